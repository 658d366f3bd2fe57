# The PyTorch twin of 19-data-pipeline.swift. Usage: python 19-data-pipeline.py MNIST_DIR
# The data pipeline: custom Datasets, TensorDataset, DataLoader (batch_size, shuffle with a seeded
# Generator and with the global seed, drop_last, collate_fn, num_workers), random_split, Subset,
# ConcatDataset, the samplers and the indices they yield, MNIST with transforms, train/val split,
# dataset mean/std, class counts, class-balanced sampling, augmentation draws and one_hot.
# (torchvision is broken in this venv, so MNIST and the transforms used are written out as
# torchvision defines them: ToTensor = uint8 -> float32 / 255 with a channel dim, Normalize with
# float32 mean/std, RandomCrop pads then draws torch.randint for top then left, RandomHorizontalFlip
# draws torch.rand(1); reprs as torchvision's.)
import torch, torch.nn.functional as F, gzip, numpy as np, sys, os
from torch.utils.data import (Dataset, TensorDataset, DataLoader, Subset, ConcatDataset, random_split,
                              SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
                              BatchSampler)
from torch.nn.utils.rnn import pad_sequence
root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DESCENT_MNIST", "/work/shared/data/mnist")
def block(t): print("## " + t, flush=True)
def dt(t): return str(t.dtype).removeprefix("torch.")
def b(v): return str(v).lower()   # Swift prints booleans in lower case

# ---- torchvision, written out ----
def idx(name):
    raw = gzip.open(os.path.join(root, name)).read()
    nd = int.from_bytes(raw[0:4], 'big') & 0xff
    dims = [int.from_bytes(raw[4+4*i:8+4*i], 'big') for i in range(nd)]
    return torch.tensor(np.frombuffer(raw, dtype=np.uint8, offset=4+4*nd).reshape(dims).copy())

class ToTensor:
    def __call__(self, img): return img.unsqueeze(0).to(torch.get_default_dtype()).div(255)
    def __repr__(self): return "ToTensor()"
class Normalize:
    def __init__(self, mean, std): self.mean, self.std = mean, std
    def __call__(self, t):
        mean = torch.as_tensor(self.mean, dtype=t.dtype).view(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=t.dtype).view(-1, 1, 1)
        return t.sub(mean).div(std)
    def __repr__(self): return f"Normalize(mean={self.mean}, std={self.std})"
class Compose:
    def __init__(self, ts): self.transforms = ts
    def __call__(self, x):
        for t in self.transforms: x = t(x)
        return x
    def __repr__(self):
        s = "Compose("
        for t in self.transforms: s += f"\n    {t}"
        return s + "\n)"
class Lambda:
    def __init__(self, f): self.lambd = f
    def __call__(self, x): return self.lambd(x)
    def __repr__(self): return "Lambda()"
class RandomHorizontalFlip:
    def __init__(self, p=0.5): self.p = p
    def __call__(self, img):
        if torch.rand(1) < self.p: return img.flip(-1)
        return img
    def __repr__(self): return f"RandomHorizontalFlip(p={self.p})"
class RandomCrop:
    def __init__(self, size, padding=None, fill=0):
        self.size = (size, size); self.padding = padding; self.fill = fill
    def __call__(self, img):
        if self.padding is not None:
            p = self.padding
            img = F.pad(img, [p, p, p, p], mode="constant", value=self.fill)
        h, w = img.shape[-2], img.shape[-1]
        th, tw = self.size
        if w == tw and h == th: return img
        i = torch.randint(0, h - th + 1, size=(1,)).item()
        j = torch.randint(0, w - tw + 1, size=(1,)).item()
        return img[..., i:i + th, j:j + tw]
    def __repr__(self): return f"RandomCrop(size={self.size}, padding={self.padding})"
class MNIST(Dataset):
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    def __init__(self, root, train=True, transform=None):
        p = "train" if train else "t10k"
        self.data = idx(f"{p}-images-idx3-ubyte.gz"); self.targets = idx(f"{p}-labels-idx1-ubyte.gz").long()
        self.transform = transform
    def __len__(self): return len(self.data)
    def __getitem__(self, i):
        img = self.data[i]
        if self.transform is not None: img = self.transform(img)
        return img, int(self.targets[i])

# ---- the lecture ----
class Squares(Dataset):
    def __init__(self, n): self.n = n
    def __len__(self): return self.n
    def __getitem__(self, i):
        return torch.tensor([float(i), float(i * i)]), i % 3

block("custom dataset")
sq = Squares(10)
print(len(sq))
x, y = sq[3]
print(x, y)
loader = DataLoader(sq, batch_size=4)
print(len(loader))
for i, (xb, yb) in enumerate(loader):
    print(i, list(xb.shape), dt(xb), list(yb.shape), dt(yb))
    print(xb)
    print(yb)

block("TensorDataset")
X = torch.arange(20.).reshape(10, 2)
Y = torch.arange(10)
tds = TensorDataset(X, Y)
print(len(tds))
x, y = tds[2]
print(x, y)
print(b(tds.tensors[0].shape == X.shape))
loader = DataLoader(tds, batch_size=4)
print(len(loader), loader.batch_size, len(loader.dataset), b(loader.drop_last))
for xb, yb in loader:
    print(list(xb.shape), yb.tolist())

block("shuffle with a seeded generator")
g = torch.Generator().manual_seed(0)
loader = DataLoader(tds, batch_size=4, shuffle=True, generator=g)
print(type(loader.sampler).__name__)
for epoch in range(2):
    print(epoch, [yb.tolist() for _, yb in loader])
g2 = torch.Generator().manual_seed(0)
print([yb.tolist() for _, yb in DataLoader(tds, batch_size=4, shuffle=True, generator=g2)])
state = g.get_state()
first = [yb.tolist() for _, yb in loader]
g.set_state(state)
again = [yb.tolist() for _, yb in loader]
print(b(first == again), first)

block("shuffle with the global seed")
torch.manual_seed(0)
loader = DataLoader(tds, batch_size=4, shuffle=True)
for epoch in range(2):
    print(epoch, [yb.tolist() for _, yb in loader])
xb, yb = next(iter(loader))
print(yb)
print(torch.rand(2))
torch.manual_seed(0)
print([yb.tolist() for _, yb in loader])

block("drop_last")
loader = DataLoader(tds, batch_size=4, drop_last=True)
print(len(loader))
for xb, yb in loader:
    print(list(xb.shape), yb.tolist())
loader = DataLoader(tds, batch_size=3, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(1))
print(len(loader), [yb.tolist() for _, yb in loader])

block("num_workers")
w0 = [yb.tolist() for _, yb in DataLoader(tds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5))]
w2 = [yb.tolist() for _, yb in DataLoader(tds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5), num_workers=2)]
print(b(w0 == w2), w2)

block("collate_fn")
class Seqs(Dataset):
    def __len__(self): return 7
    def __getitem__(self, i): return torch.arange(1, i % 4 + 2), i
def pad_collate(batch):
    seqs = [s for s, _ in batch]
    lengths = torch.tensor([len(s) for s in seqs])
    labels = torch.tensor([y for _, y in batch])
    return pad_sequence(seqs, batch_first=True), lengths, labels
loader = DataLoader(Seqs(), batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(1), collate_fn=pad_collate)
for padded, lengths, labels in loader:
    print(padded)
    print(lengths, labels)
def pair_collate(batch):
    xs = torch.stack([x for x, _ in batch])
    ys = torch.tensor([y for _, y in batch], dtype=torch.float32)
    return xs.sum(1), ys * 2
for s, y2 in DataLoader(sq, batch_size=5, collate_fn=pair_collate):
    print(s, y2)

block("dict samples")
class Pairs(Dataset):
    def __len__(self): return 5
    def __getitem__(self, i): return {"x": torch.full((2,), float(i)), "y": torch.tensor(i * 10)}
batch = next(iter(DataLoader(Pairs(), batch_size=3)))
print(", ".join(sorted(batch.keys())))
print(batch["x"])
print(batch["y"])

block("random_split")
parts = random_split(tds, [7, 3], generator=torch.Generator().manual_seed(42))
print([len(p) for p in parts])
print(parts[0].indices, parts[1].indices)
x, y = parts[1][0]
print(x, y)
parts = random_split(tds, [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(42))
print([p.indices for p in parts])
torch.manual_seed(0)
a, c = random_split(tds, [6, 4])
print(a.indices, c.indices)
print(torch.rand(1))

block("Subset and ConcatDataset")
sub = Subset(tds, [0, 2, 4, 6])
print(len(sub), sub.indices)
x, y = sub[1]
print(x, y)
for xb, yb in DataLoader(sub, batch_size=3):
    print(xb, yb)
a = TensorDataset(torch.arange(0., 6.).reshape(3, 2), torch.tensor([0, 1, 2]))
c = TensorDataset(torch.arange(10., 20.).reshape(5, 2), torch.tensor([3, 4, 5, 6, 7]))
both = ConcatDataset([a, c])
print(len(both), both.cumulative_sizes)
x, y = both[4]
print(x, y)
for xb, yb in DataLoader(both, batch_size=3):
    print(xb.tolist(), yb.tolist())
print([yb.tolist() for _, yb in DataLoader(both, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(2))])

block("samplers")
ds10 = TensorDataset(torch.arange(10))
print(list(SequentialSampler(ds10)))
g = torch.Generator().manual_seed(0)
rs = RandomSampler(ds10, generator=g)
print(list(rs), len(rs))
print(list(rs))
rs = RandomSampler(ds10, replacement=True, num_samples=5, generator=torch.Generator().manual_seed(0))
print(list(rs), len(rs))
srs = SubsetRandomSampler([1, 3, 5, 7], generator=torch.Generator().manual_seed(0))
print(list(srs), len(srs))
ws = WeightedRandomSampler([0.1, 0.1, 0.4, 0.4], num_samples=8, replacement=True, generator=torch.Generator().manual_seed(0))
print(list(ws), len(ws))
ws = WeightedRandomSampler([0.1, 0.1, 0.4, 0.4], num_samples=4, replacement=False, generator=torch.Generator().manual_seed(0))
print(list(ws))
bs = BatchSampler(SequentialSampler(ds10), batch_size=3, drop_last=False)
print(list(bs), len(bs))
bs = BatchSampler(SequentialSampler(ds10), batch_size=3, drop_last=True)
print(list(bs), len(bs))
loader = DataLoader(ds10, batch_size=4, sampler=SubsetRandomSampler([0, 2, 4, 6, 8], generator=torch.Generator().manual_seed(3)))
print(len(loader), [xb.tolist() for (xb,) in loader])
loader = DataLoader(ds10, batch_sampler=BatchSampler(RandomSampler(ds10, generator=torch.Generator().manual_seed(3)), batch_size=4, drop_last=False))
print(len(loader), [xb.tolist() for (xb,) in loader])

block("MNIST")
transform = Compose([ToTensor(), Normalize([0.1307], [0.3081])])
train = MNIST(root, train=True, transform=transform)
test = MNIST(root, train=False, transform=transform)
print(len(train), len(test))
print(list(train.data.shape), dt(train.data), list(train.targets.shape), dt(train.targets))
print(train.targets[:10])
print(", ".join(train.classes))
img, label = train[0]
print(list(img.shape), dt(img), label)
print(f"{img.mean().item():.4f} {img.std().item():.4f} {img.min().item():.4f} {img.max().item():.4f}")
print(transform)

block("train/val split")
train_ds, val_ds = random_split(train, [55000, 5000], generator=torch.Generator().manual_seed(42))
print(len(train_ds), len(val_ds))
print(train_ds.indices[:8], val_ds.indices[:8])
train_loader = DataLoader(train_ds, batch_size=256, shuffle=True, generator=torch.Generator().manual_seed(0))
val_loader = DataLoader(val_ds, batch_size=1000)
print(len(train_loader), len(val_loader))
xb, yb = next(iter(train_loader))
print(list(xb.shape), list(yb.shape), dt(xb), dt(yb))
print(yb[:16])
print(f"{xb.mean().item():.4f} {xb.std().item():.4f}")
val_labels = torch.cat([yb for _, yb in val_loader])
print(list(val_labels.shape), val_labels[:10].tolist())
tr, va = random_split(train, [0.9, 0.1], generator=torch.Generator().manual_seed(42))
print(len(tr), len(va), tr.indices[:4])
full = ConcatDataset([train, test])
print(len(full), b(full[60000][1] == test[0][1]), full[59999][1])
mixed = ConcatDataset([Subset(train, range(100)), test])
print(len(mixed), mixed[100][1])

block("dataset mean and std")
plain = MNIST(root, train=True, transform=ToTensor())
data = plain.data.float() / 255
print(f"{data.mean().item():.4f} {data.std().item():.4f}")
loader = DataLoader(Subset(plain, range(10000)), batch_size=1000)
mean = torch.zeros(1)
std = torch.zeros(1)
for images, _ in loader:
    n = images.size(0)
    images = images.view(n, images.size(1), -1)
    mean += images.mean(2).sum(0)
    std += images.std(2).sum(0)
mean /= len(loader.dataset)
std /= len(loader.dataset)
print(f"{mean.item():.4f} {std.item():.4f}")
total, total_sq, count = 0.0, 0.0, 0
for images, _ in loader:
    total += images.sum().item()
    total_sq += (images ** 2).sum().item()
    count += images.numel()
m = total / count
print(f"{m:.4f} {(total_sq / count - m * m) ** 0.5:.4f}")

block("class counts")
counts = torch.bincount(train.targets, minlength=10)
print(counts)
values, counts2 = torch.unique(train.targets, return_counts=True)
print(values, counts2)
print(torch.bincount(train.targets[val_ds.indices], minlength=10))
print(test.targets.bincount())
w = 1.0 / counts.float()
print(f"{(w.max() / w.min()).item():.4f}")

block("class-balanced sampling")
labels = train.targets[:1000]
class_count = torch.bincount(labels)
sample_weights = 1.0 / class_count[labels].float()
sampler = WeightedRandomSampler(sample_weights, num_samples=1000, replacement=True, generator=torch.Generator().manual_seed(0))
loader = DataLoader(Subset(train, range(1000)), batch_size=100, sampler=sampler)
print(len(loader))
drawn = torch.cat([yb for _, yb in loader])
print(class_count)
print(torch.bincount(drawn, minlength=10))

block("transforms")
aug = Compose([RandomCrop(28, padding=4), RandomHorizontalFlip(), ToTensor(), Normalize([0.1307], [0.3081])])
print(aug)
x = torch.arange(16, dtype=torch.uint8).reshape(4, 4)
torch.manual_seed(0)
print(RandomHorizontalFlip(p=1.0)(x))
print(RandomHorizontalFlip(p=0.0)(x))
print(RandomCrop(3, padding=1)(x))
print(RandomCrop(3, padding=1)(x))
print(RandomCrop(2)(x))
print(torch.rand(2))
flat = Compose([ToTensor(), Lambda(lambda t: t.flatten())])
print(flat)
print(list(flat(x).shape), flat(x)[:4])
aug_train = MNIST(root, train=True, transform=aug)
torch.manual_seed(0)
a1, l1 = aug_train[0]
a2, l2 = aug_train[0]
print(list(a1.shape), l1, l2, b(torch.equal(a1, a2)))
print((a1[0] > 0).nonzero()[0].tolist(), (a2[0] > 0).nonzero()[0].tolist(), (train[0][0][0] > 0).nonzero()[0].tolist())
print(int((a1 > 0).sum().item()), int((a2 > 0).sum().item()))

block("augmented loader, global seed")
torch.manual_seed(0)
aug_loader = DataLoader(Subset(aug_train, range(512)), batch_size=128, shuffle=True)
print(len(aug_loader))
for xb, yb in aug_loader:
    print(list(xb.shape), yb[:8].tolist(), (xb[0, 0] > 0).nonzero()[0].tolist(), int((xb > 0).sum().item()))
print(torch.rand(2))

block("one_hot")
y = torch.tensor([3, 0, 2])
print(F.one_hot(y))
print(F.one_hot(y, num_classes=5))
print(F.one_hot(train.targets[:4], 10).float())
xb, yb = next(iter(DataLoader(train, batch_size=6)))
oh = F.one_hot(yb, num_classes=10)
print(list(oh.shape), dt(oh), oh.argmax(1).tolist(), oh.sum(0).tolist())
