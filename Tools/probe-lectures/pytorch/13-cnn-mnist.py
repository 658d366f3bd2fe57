# The PyTorch original of 13-cnn-mnist.swift. Usage: python 13-cnn-mnist.py MNIST_DIR
# A small CNN on the first 1,000 MNIST training images: Conv2d/BatchNorm2d/MaxPool2d/Dropout/
# AdaptiveAvgPool2d/Flatten/Linear, Adam with weight decay, StepLR, evaluation, save and reload.
# (torchvision is broken in this venv, so MNIST, ToTensor and Normalize are written out as
# torchvision defines them: uint8 -> float32 / 255, then (x - mean) / std with float32 mean/std.)
import torch, torch.nn as nn, gzip, numpy as np, sys, os
root = sys.argv[1]
def block(t): print("## " + t, flush=True)
def idx(name):
    b = gzip.open(os.path.join(root, name)).read()
    magic = int.from_bytes(b[0:4], 'big'); nd = magic & 0xff
    dims = [int.from_bytes(b[4+4*i:8+4*i], 'big') for i in range(nd)]
    return torch.tensor(np.frombuffer(b, dtype=np.uint8, offset=4+4*nd).reshape(dims).copy())

class ToTensor:
    def __call__(self, img): return img.unsqueeze(0).to(torch.get_default_dtype()).div(255)
class Normalize:
    def __init__(self, mean, std): self.mean, self.std = mean, std
    def __call__(self, t):
        mean = torch.as_tensor(self.mean, dtype=t.dtype).view(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=t.dtype).view(-1, 1, 1)
        return t.sub(mean).div(std)
class Compose:
    def __init__(self, ts): self.ts = ts
    def __call__(self, x):
        for t in self.ts: x = t(x)
        return x
class MNIST(torch.utils.data.Dataset):
    def __init__(self, root, train=True, transform=None):
        p = "train" if train else "t10k"
        self.data = idx(f"{p}-images-idx3-ubyte.gz"); self.targets = idx(f"{p}-labels-idx1-ubyte.gz").long()
        self.transform = transform
    def __len__(self): return len(self.data)
    def __getitem__(self, i): return self.transform(self.data[i]), int(self.targets[i])

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((7, 7)),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    def forward(self, x):
        return self.classifier(self.features(x))

transform = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
train_full = MNIST(root, train=True, transform=transform)
test_full = MNIST(root, train=False, transform=transform)
train_ds = torch.utils.data.Subset(train_full, range(1000))
test_ds = torch.utils.data.Subset(test_full, range(500))

block("data")
print(len(train_ds), len(test_ds))
img, label = train_ds[0]
print(list(img.shape), str(img.dtype).removeprefix("torch."), label)
print(f"{img.mean().item():.4f} {img.std().item():.4f} {img.min().item():.4f} {img.max().item():.4f}")

torch.manual_seed(0)
model = Net()
block("model")
print(model)
block("parameter count")
print(sum(p.numel() for p in model.parameters()))
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
block("state dict")
for k, v in model.state_dict().items():
    print(k, list(v.shape))
block("named parameters")
for name, p in model.named_parameters():
    print(name, list(p.shape), str(p.requires_grad).lower())

block("one batch")
g = torch.Generator().manual_seed(0)
loader = torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True, generator=g)
print(len(loader))
xb, yb = next(iter(loader))
print(list(xb.shape), list(yb.shape), str(yb.dtype).removeprefix("torch."))
print(yb[:10])
with torch.no_grad():
    out = model(xb)
print(list(out.shape))
print(list(model.features(xb).shape))

block("training")
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(2):
    model.train()
    total, n = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
        n += xb.size(0)
    scheduler.step()
    print(f"epoch {epoch + 1}: loss {total / n:.4f} lr {scheduler.get_last_lr()[0]:.6f} {optimizer.param_groups[0]['lr']:.6f}")

block("batch norm buffers")
bn = model.features[1]
print(bn.num_batches_tracked)
print(f"{bn.running_mean.sum().item():.4f} {bn.running_var.sum().item():.4f}")

block("evaluation")
model.eval()
test_loader = torch.utils.data.DataLoader(test_ds, batch_size=250)
correct, preds, targets = 0, [], []
with torch.no_grad():
    for xb, yb in test_loader:
        pred = model(xb).argmax(dim=1)
        correct += (pred == yb).sum().item()
        preds.append(pred); targets.append(yb)
preds, targets = torch.cat(preds), torch.cat(targets)
print(f"accuracy {correct / len(test_ds):.4f}")
confusion = torch.bincount(targets * 10 + preds, minlength=100).reshape(10, 10)
print(confusion)
print(str(confusion.diag().sum().item() == correct).lower())

block("save and reload")
path = "/tmp/descent-probe-13-cnn.pt"
torch.save(model.state_dict(), path)
torch.manual_seed(1)
model2 = Net()
x = torch.stack([test_ds[i][0] for i in range(8)])
model2.eval()
with torch.no_grad():
    print(str(torch.equal(model(x), model2(x))).lower())
print(model2.load_state_dict(torch.load(path)))
model2.eval()
with torch.no_grad():
    a, b = model(x), model2(x)
print(str(torch.equal(a, b)).lower())
print(a.argmax(dim=1))
print(f"{a[0, 0].item():.4f}")
os.remove(path)
