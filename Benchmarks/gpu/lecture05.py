# Lecture 05's experiment in PyTorch, for the ratio beside `descent gpu-suite`'s table:
# 1,000 Adam steps of a 1-H-1 MSE net on 100 points, on the CPU and on cuda:0.
import sys, time, torch

def seconds(hidden, device, steps=1000):
    torch.manual_seed(5)
    x = torch.linspace(0, 1, 100).reshape(-1, 1).to(device)
    y = (torch.randn(100).reshape(-1, 1) * 0.01).to(device)
    net = torch.nn.Sequential(torch.nn.Linear(1, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)).to(device)
    loss_fn, opt = torch.nn.MSELoss(), torch.optim.Adam(net.parameters())
    start = time.time()
    for _ in range(steps):
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    if device != 'cpu':
        torch.cuda.synchronize()
    return time.time() - start

def captured_seconds(hidden, steps=1000):
    # the same step captured in a CUDA graph after three warm-up steps (Adam capturable), as Descent's
    torch.manual_seed(5)
    x = torch.linspace(0, 1, 100).reshape(-1, 1).cuda()
    y = (torch.randn(100).reshape(-1, 1) * 0.01).cuda()
    net = torch.nn.Sequential(torch.nn.Linear(1, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)).cuda()
    loss_fn, opt = torch.nn.MSELoss(), torch.optim.Adam(net.parameters(), capturable=True)
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            loss_fn(net(x), y).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        loss_fn(net(x), y).backward()
        opt.step()
    torch.cuda.synchronize()
    start = time.time()
    for _ in range(steps):
        g.replay()
    torch.cuda.synchronize()
    return time.time() - start

print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'}")
for h in [int(a) for a in sys.argv[1:]] or [512, 20480, 204800]:
    cpu = seconds(h, 'cpu')
    gpu = seconds(h, 'cuda:0') if torch.cuda.is_available() else float('nan')
    captured = captured_seconds(h) if torch.cuda.is_available() else float('nan')
    print(f"H={h} cpu {cpu:.3f} s gpu {gpu:.3f} s gpu (captured step) {captured:.3f} s")
