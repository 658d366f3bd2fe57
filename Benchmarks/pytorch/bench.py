# The workloads of Sources/descent-bench in PyTorch, timed the same way (best of several repetitions).
# Prints: name <TAB> seconds per iteration <TAB> extra. Usage: python bench.py [name-prefix]
import sys, time, torch
only = sys.argv[1] if len(sys.argv) > 1 else None
def enabled(n): return only is None or n.startswith(only)
def bench(iters, body, reps=5):
    body(); best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(iters): body()
        best = min(best, (time.perf_counter() - t0) / iters)
    return best
def report(name, secs, extra=""): print(f"{name}\t{secs:.3e}\t{extra}", flush=True)
print(f"# pytorch {torch.__version__}, {torch.get_num_threads()} threads")
for n in (512, 1024, 2048):
    if not enabled("sgemm"): break
    torch.manual_seed(0); a = torch.randn(n, n); b = torch.randn(n, n)
    t = bench(3 if n >= 2048 else 10, lambda: a.mm(b), reps=3)
    report(f"sgemm_{n}", t, f"{2*n**3/t/1e9:.1f} GFLOP/s")
for (b, n, k, m) in [(32, 64, 64, 64), (8, 256, 256, 256)]:
    if not enabled("bmm"): break
    torch.manual_seed(0)
    x = torch.randn(b, n, k); y = torch.randn(b, m, k).transpose(1, 2)   # attention's q @ k^T
    t = bench(20, lambda: torch.bmm(x, y), reps=3)
    report(f"bmm_{b}x{n}x{k}x{m}", t, f"{2*b*n*k*m/t/1e9:.1f} GFLOP/s")
if enabled("tiny_add"):
    a = torch.tensor([1.0]); b = torch.tensor([2.0]); report("tiny_add", bench(100000, lambda: a + b))
if enabled("tiny_backward"):
    w = torch.tensor([[0.5]], requires_grad=True); x = torch.tensor([[2.0]])
    report("tiny_matmul_sum_backward", bench(20000, lambda: x.mm(w).sum().backward()))
if enabled("tiny_step"):
    torch.manual_seed(0); net = torch.nn.Linear(1, 1)
    x = torch.tensor([[0.0], [0.1], [0.2]]); y = torch.tensor([[0.0], [0.2], [0.4]])
    lf = torch.nn.MSELoss(); opt = torch.optim.SGD(net.parameters(), lr=0.01)
    def step(): l = lf(net(x), y); l.backward(); opt.step(); opt.zero_grad()
    report("tiny_train_step", bench(20000, step))
if enabled("mlp512"):
    torch.manual_seed(43052); x = torch.linspace(0, 1, 100).reshape(-1, 1); y = torch.randn(100).reshape(-1, 1) * 0.01
    def run():
        net = torch.nn.Sequential(torch.nn.Linear(1, 512), torch.nn.ReLU(), torch.nn.Linear(512, 1))
        lf = torch.nn.MSELoss(); opt = torch.optim.Adam(net.parameters())
        for _ in range(1000): l = lf(net(x), y); l.backward(); opt.step(); opt.zero_grad()
    report("mlp_1_512_1_adam_1000_steps", bench(1, run, reps=3))
if enabled("bce784"):
    torch.manual_seed(1); x = torch.rand(12665, 784); y = (torch.rand(12665, 1) > 0.5).float()
    net = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1), torch.nn.Sigmoid())
    lf = torch.nn.BCELoss(); opt = torch.optim.SGD(net.parameters(), lr=0.001)
    def step(): l = lf(net(x), y); l.backward(); opt.step(); opt.zero_grad()
    report("mlp_784_32_1_bce_sgd_step", bench(10, step, reps=3))
if enabled("elementwise"):
    a = torch.rand(10_000_000); b = torch.rand(10_000_000)
    t = bench(10, lambda: a + b, reps=3); report("add_10M", t, f"{12e7/t/1e9:.1f} GB/s")
    t = bench(10, lambda: a.sum(), reps=3); report("sum_10M", t, f"{4e7/t/1e9:.1f} GB/s")
    report("exp_10M", bench(5, lambda: a.exp(), reps=3))
if enabled("loader"):
    x = torch.rand(60000, 784); y = torch.randint(0, 10, (60000,))
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64, shuffle=True)
    def epoch():
        for xb, _ in dl: pass
    report("loader_60000x784_b64_epoch", bench(1, epoch, reps=3))
if enabled("conv2d"):
    torch.manual_seed(0); conv = torch.nn.Conv2d(1, 32, 3); x = torch.randn(64, 1, 28, 28)
    report("conv2d_64x1x28x28_32x3x3_fwd_bwd", bench(20, lambda: conv(x).sum().backward()))
if enabled("cnn_bn"):
    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))
    x = torch.randn(64, 1, 28, 28); y = torch.randint(0, 10, (64,))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    def step():
        opt.zero_grad(); torch.nn.functional.cross_entropy(net(x), y).backward(); opt.step()
    report("cnn_bn_mnist_b64_sgd_step", bench(20, step, reps=3))
if enabled("lstm"):
    # an MNIST-rows LSTM classifier step: 28 steps of 28 features, batch 64, hidden 128, then a linear head
    torch.manual_seed(0); lstm = torch.nn.LSTM(28, 128, batch_first=True); head = torch.nn.Linear(128, 10)
    x = torch.randn(64, 28, 28); y = torch.randint(0, 10, (64,))
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters())); lf = torch.nn.CrossEntropyLoss()
    def step():
        out, _ = lstm(x); l = lf(head(out[:, -1]), y); l.backward(); opt.step(); opt.zero_grad()
    report("lstm_28x28_b64_h128_train_step", bench(10, step, reps=3))
if enabled("act"):
    torch.manual_seed(0)
    x = torch.randn(1 << 20) * 3; p = x.abs() + 0.1; g = torch.randn(1 << 20)
    F = torch.nn.functional
    report("act_exp_1m", bench(50, lambda: x.exp())); report("act_log_1m", bench(50, lambda: p.log()))
    report("act_sigmoid_1m", bench(50, lambda: x.sigmoid())); report("act_gelu_1m", bench(50, lambda: F.gelu(x)))
    report("act_elu_1m", bench(50, lambda: F.elu(x)))
    def bw(f):
        t = x.detach().requires_grad_(True); f(t).backward(g)
    report("act_silu_backward_1m", bench(20, lambda: bw(F.silu))); report("act_gelu_backward_1m", bench(20, lambda: bw(F.gelu)))
if enabled("mnist_mlp"):
    # one epoch of the MNIST MLP lecture (784-256-256-10, Adam 1e-3, batch 100, shuffled)
    import gzip, os, numpy as np
    root = os.environ.get("DESCENT_MNIST", os.path.join(os.path.dirname(__file__), "../../../shared/data/mnist"))
    def idx(name):
        b = gzip.open(os.path.join(root, name)).read(); nd = b[3]
        dims = [int.from_bytes(b[4+4*i:8+4*i], "big") for i in range(nd)]
        return torch.tensor(np.frombuffer(b, dtype=np.uint8, offset=4+4*nd).reshape(dims).copy())
    X = idx("train-images-idx3-ubyte.gz").float().div(255).reshape(-1, 784); Y = idx("train-labels-idx1-ubyte.gz").long()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=100, shuffle=True)
    def epoch():
        for xb, yb in dl:
            l = torch.nn.functional.cross_entropy(net(xb), yb); opt.zero_grad(); l.backward(); opt.step()
    report("mnist_mlp_784_256_256_10_adam_epoch", bench(1, epoch, reps=3))
