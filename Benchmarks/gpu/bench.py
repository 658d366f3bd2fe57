# PyTorch's twin of `descent gpu-bench`: the same work on cuda:0, for the ratios. float32 products
# (TF32 off, PyTorch's default), memory bandwidth (a device copy, an elementwise add), a sort and a
# permutation of a long row, and epochs of
# an MNIST-shaped MLP (784-256-256-10, Adam, cross-entropy) with the data on the GPU and batches
# gathered by a shuffled index.
import argparse, time, torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--gemm", type=int, default=4096)
p.add_argument("--megabytes", type=int, default=1024)
p.add_argument("--batch", type=int, nargs="+", default=[64, 2048])
p.add_argument("--samples", type=int, default=60000)
p.add_argument("--repeats", type=int, default=20)
p.add_argument("--sort", type=int, default=1 << 20)
args = p.parse_args()
torch.backends.cuda.matmul.allow_tf32 = False
dev = "cuda:0"
print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")

def timed(body):
    torch.cuda.synchronize()
    start = time.time()
    body()
    torch.cuda.synchronize()
    return time.time() - start

torch.manual_seed(0)
n = args.gemm
a, b = torch.randn(n, n).to(dev), torch.randn(n, n).to(dev)
a @ b; a @ b
t = timed(lambda: [a @ b for _ in range(args.repeats)])
print(f"sgemm {n}: {t / args.repeats * 1e3:.3f} ms, {2 * n ** 3 * args.repeats / t / 1e12:.2f} TFLOP/s")

m = args.megabytes << 18
x, y, z = torch.ones(m, device=dev), torch.ones(m, device=dev), torch.zeros(m, device=dev)
z.copy_(x); x + y
t_copy = timed(lambda: [z.copy_(x) for _ in range(args.repeats)])
t_add = timed(lambda: [x + y for _ in range(args.repeats)])
nbytes = m * 4 * args.repeats
print(f"bandwidth {args.megabytes} MiB: copy {2 * nbytes / t_copy / 1e12:.3f} TB/s, add {3 * nbytes / t_add / 1e12:.3f} TB/s")

row = torch.randn(args.sort).to(dev)
row.sort(); torch.randperm(args.sort, device=dev)
t_sort = timed(lambda: [row.sort() for _ in range(args.repeats)])
t_perm = timed(lambda: [torch.randperm(args.sort, device=dev) for _ in range(args.repeats)])
print(f"sort {args.sort}: {t_sort / args.repeats * 1e3:.3f} ms, randperm {args.sort}: {t_perm / args.repeats * 1e3:.3f} ms")

for bs in args.batch:
    torch.manual_seed(0)
    images, labels = torch.randn(args.samples, 784).to(dev), torch.randint(0, 10, (args.samples,)).to(dev)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 10)).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    def epoch():
        order = torch.randperm(args.samples).to(dev)
        loss = None
        for start in range(0, args.samples, bs):
            idx = order[start:start + bs]
            loss = F.cross_entropy(net(images.index_select(0, idx)), labels.index_select(0, idx))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss
    epoch()
    last = [None]
    t = timed(lambda: last.__setitem__(0, epoch()))
    print(f"mlp 784-256-256-10 batch {bs}: epoch {t:.3f} s ({(args.samples + bs - 1) // bs} steps), last loss {last[0].item():.4f}")
