# PyTorch DDP (gloo, CPU) baseline for Descent's data-parallel trainer: one epoch of the MNIST MLP.
#   torchrun --standalone --nproc_per_node=2 Benchmarks/distributed/ddp_mnist_torch.py    (DDP, 2 ranks)
#   python Benchmarks/distributed/ddp_mnist_torch.py --single                                (1 process, no DDP)
# (python = ../venv-torch/bin/python, torchrun = ../venv-torch/bin/torchrun; MNIST from $DESCENT_MNIST
#  or ../shared/data/mnist, the raw gzipped IDX files, parsed here; nothing is downloaded.)
# Setup: MLP 784-256-256-10 (Linear, ReLU, Linear, ReLU, Linear), CrossEntropyLoss, SGD lr=0.1
# (momentum 0, no weight decay), batch 64 per rank, torch.set_num_threads(1) per process, pixels /255
# then (x - 0.1307) / 0.3081, DistributedSampler(shuffle=True, seed=0, drop_last=False) feeding a
# DataLoader(TensorDataset, batch_size=64, drop_last=False, num_workers=0). --single uses the same
# sampler with num_replicas=1, rank=0, so it walks the whole set in the same kind of order.
# Timing: 20 warm-up steps taken from epoch 0's order (untimed, they do train the model), then
# sampler.set_epoch(1) and one full epoch is timed: barrier, perf_counter, the epoch, barrier,
# perf_counter. Rank 0 prints the wall time of that epoch, the number of optimizer steps in it per rank
# (469 with 2 ranks: 30,000 samples, the last batch 48; 938 single: the last batch 32), and final_loss =
# the loss of the last batch of the timed epoch, on rank 0 only (not averaged over ranks).
import gzip, os, sys, time
import numpy as np, torch, torch.distributed as dist
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

torch.set_num_threads(1)
root = os.environ.get("DESCENT_MNIST", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data/mnist"))
single = "--single" in sys.argv[1:]
WARMUP, BATCH, LR = 20, 64, 0.1

def idx(name):
    b = gzip.open(os.path.join(root, name)).read()
    nd = b[3]; dims = [int.from_bytes(b[4+4*i:8+4*i], "big") for i in range(nd)]
    return torch.from_numpy(np.frombuffer(b, dtype=np.uint8, offset=4+4*nd).reshape(dims).copy())

if single:
    world, rank = 1, 0
else:
    dist.init_process_group("gloo")   # env:// rendezvous from torchrun
    world, rank = dist.get_world_size(), dist.get_rank()

X = ((idx("train-images-idx3-ubyte.gz").float().div(255) - 0.1307) / 0.3081).reshape(-1, 784)
Y = idx("train-labels-idx1-ubyte.gz").long()
ds = TensorDataset(X, Y)
sampler = DistributedSampler(ds, num_replicas=world, rank=rank, shuffle=True, seed=0, drop_last=False)
loader = DataLoader(ds, batch_size=BATCH, sampler=sampler, drop_last=False, num_workers=0)

torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                          torch.nn.Linear(256, 10))
model = net if single else torch.nn.parallel.DistributedDataParallel(net)
opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.0)
lossf = torch.nn.CrossEntropyLoss()

def step(xb, yb):
    loss = lossf(model(xb), yb); opt.zero_grad(); loss.backward(); opt.step(); return loss

def barrier():
    if not single: dist.barrier()

sampler.set_epoch(0)
for i, (xb, yb) in enumerate(loader):
    if i == WARMUP: break
    step(xb, yb)

sampler.set_epoch(1)
barrier(); t0 = time.perf_counter()
steps = 0
for xb, yb in loader:
    loss = step(xb, yb); steps += 1
barrier(); dt = time.perf_counter() - t0

if rank == 0:
    name = "single_torch" if single else f"ddp_torch_gloo"
    print(f"{name} epoch_s={dt:.3f} steps={steps} final_loss={loss.item():.6f}"
          + ("" if single else f" world={world}"), flush=True)
if not single: dist.destroy_process_group()
