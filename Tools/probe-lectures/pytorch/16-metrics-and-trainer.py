# The PyTorch twin of 16-metrics-and-trainer.swift: torchmetrics (module and functional forms,
# update/compute/reset, forward's batch values), then a Lightning training of a small MLP on the
# first 2,000 MNIST images (seeded, 2 epochs, batch 64, Adam), its logged metrics, validate and test.
# Usage: python 16-metrics-and-trainer.py MNIST_DIR
# (torchvision is broken in this venv and torchmetrics imports it when it looks installed, so it is
# hidden first; MNIST and ToTensor are written out as torchvision defines them: uint8 / 255.)
import sys, os, gzip, warnings, logging
import importlib.metadata as _md
sys.modules["torchvision"] = None
import lightning_utilities.core.imports as _lui
_orig_version = _lui._version
def _version(name):
    if name == "torchvision":
        raise _md.PackageNotFoundError(name)
    return _orig_version(name)
_lui._version = _version
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchmetrics
import torchmetrics.functional as TMF
import lightning as L
warnings.filterwarnings("ignore")
logging.getLogger("lightning").setLevel(logging.ERROR)
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
logging.getLogger("lightning.fabric").setLevel(logging.ERROR)

root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/mnist"
def block(t): print("## " + t, flush=True)

block("multiclass data")
torch.manual_seed(0)
logits = torch.randn(12, 4)
target = torch.randint(0, 4, (12,))
print(target)
print(logits.argmax(dim=1))

block("accuracy")
acc = torchmetrics.Accuracy(task="multiclass", num_classes=4)
print(acc)
print(acc(logits, target))
print(f"{acc.compute().item():.4f}")
print(torchmetrics.Accuracy(task="multiclass", num_classes=4, average="macro")(logits, target))
print(torchmetrics.Accuracy(task="multiclass", num_classes=4, top_k=2)(logits, target))
print(torchmetrics.Accuracy(task="multiclass", num_classes=4, average=None)(logits, target))
print(torchmetrics.Accuracy(task="multiclass", num_classes=4, ignore_index=0)(logits, target))
print(torchmetrics.Accuracy(task="multiclass", num_classes=4)(logits.argmax(dim=1), target))

block("precision recall f1")
for average in ["micro", "macro", "weighted", None]:
    p = torchmetrics.Precision(task="multiclass", num_classes=4, average=average)(logits, target)
    r = torchmetrics.Recall(task="multiclass", num_classes=4, average=average)(logits, target)
    f = torchmetrics.F1Score(task="multiclass", num_classes=4, average=average)(logits, target)
    print(average, p, r, f)
print(torchmetrics.FBetaScore(task="multiclass", num_classes=4, beta=0.5, average="macro")(logits, target))
print(torchmetrics.Specificity(task="multiclass", num_classes=4, average="macro")(logits, target))
print(torchmetrics.Precision(task="multiclass", num_classes=4))

block("confusion matrix")
cm = torchmetrics.ConfusionMatrix(task="multiclass", num_classes=4)
print(cm)
print(cm(logits, target))
print(torchmetrics.ConfusionMatrix(task="multiclass", num_classes=4, normalize="true")(logits, target))
print(torchmetrics.MatthewsCorrCoef(task="multiclass", num_classes=4)(logits, target))
print(torchmetrics.CohenKappa(task="multiclass", num_classes=4)(logits, target))

block("update compute reset")
acc = torchmetrics.Accuracy(task="multiclass", num_classes=4)
f1 = torchmetrics.F1Score(task="multiclass", num_classes=4, average="macro")
for i in range(3):
    lb, tb = logits[4 * i:4 * i + 4], target[4 * i:4 * i + 4]
    batch_acc = acc(lb, tb)
    f1.update(lb, tb)
    print(f"batch {i}: acc {batch_acc.item():.4f}")
print(f"epoch acc {acc.compute().item():.4f} f1 {f1.compute().item():.4f}")
acc.reset()
f1.reset()
acc.update(logits[:6], target[:6])
print(f"after reset {acc.compute().item():.4f}")

block("binary")
torch.manual_seed(1)
probs = torch.rand(10)
tbin = torch.randint(0, 2, (10,))
print(probs)
print(tbin)
print(torchmetrics.Accuracy(task="binary")(probs, tbin))
print(torchmetrics.Accuracy(task="binary", threshold=0.3)(probs, tbin))
print(torchmetrics.Precision(task="binary")(probs, tbin), torchmetrics.Recall(task="binary")(probs, tbin),
      torchmetrics.F1Score(task="binary")(probs, tbin))
print(torchmetrics.ConfusionMatrix(task="binary")(probs, tbin))
auroc = torchmetrics.AUROC(task="binary")
print(auroc)
print(auroc(probs, tbin))
print(torchmetrics.AveragePrecision(task="binary")(probs, tbin))
roc = torchmetrics.ROC(task="binary")
roc.update(probs, tbin)
fpr, tpr, thresholds = roc.compute()
print(fpr)
print(tpr)
print(thresholds)
print(TMF.accuracy(torch.randn(10), tbin, task="binary"))

block("multilabel")
torch.manual_seed(2)
mp = torch.rand(8, 3)
mt = torch.randint(0, 2, (8, 3))
print(torchmetrics.Accuracy(task="multilabel", num_labels=3)(mp, mt))
print(torchmetrics.F1Score(task="multilabel", num_labels=3, average="macro")(mp, mt))
print(torchmetrics.ConfusionMatrix(task="multilabel", num_labels=3)(mp, mt))

block("multiclass auroc")
for average in ["macro", "weighted", None]:
    print(average, torchmetrics.AUROC(task="multiclass", num_classes=4, average=average)(logits, target))
print(torchmetrics.AveragePrecision(task="multiclass", num_classes=4)(logits.softmax(dim=1), target))

block("regression")
torch.manual_seed(3)
yt = torch.randn(20)
yp = yt + 0.3 * torch.randn(20)
mse = torchmetrics.MeanSquaredError()
r2 = torchmetrics.R2Score()
for i in range(2):
    print(f"batch {i}: mse {mse(yp[10 * i:10 * i + 10], yt[10 * i:10 * i + 10]).item():.6f}")
    r2.update(yp[10 * i:10 * i + 10], yt[10 * i:10 * i + 10])
print(mse.compute(), r2.compute())
print(torchmetrics.MeanSquaredError(squared=False)(yp, yt))
print(torchmetrics.MeanAbsoluteError()(yp, yt))
print(torchmetrics.PearsonCorrCoef()(yp, yt))
print(torchmetrics.SpearmanCorrCoef()(yp, yt))
print(torchmetrics.ExplainedVariance()(yp, yt))
print(mse)

block("aggregation")
mean = torchmetrics.MeanMetric()
mean.update(torch.tensor([1.0, 2.0, 3.0]))
mean.update(4.0)
mean.update(torch.tensor(5.0), weight=2.0)
print(mean.compute())
mean.reset()
mean.update(torch.tensor([10.0, 20.0]))
print(mean.compute())
s, mx, mn, cat = torchmetrics.SumMetric(), torchmetrics.MaxMetric(), torchmetrics.MinMetric(), torchmetrics.CatMetric()
for v in [torch.tensor([1.0, -2.0]), torch.tensor(7.0), torch.tensor([0.5])]:
    s.update(v); mx.update(v); mn.update(v); cat.update(v)
print(s.compute(), mx.compute(), mn.compute(), cat.compute())

block("functional")
print(TMF.accuracy(logits, target, task="multiclass", num_classes=4))
print(TMF.accuracy(logits, target, task="multiclass", num_classes=4, average="macro"))
print(TMF.precision(logits, target, task="multiclass", num_classes=4, average="macro"))
print(TMF.recall(logits, target, task="multiclass", num_classes=4, average="macro"))
print(TMF.f1_score(logits, target, task="multiclass", num_classes=4, average="macro"))
print(TMF.confusion_matrix(logits, target, task="multiclass", num_classes=4))
print(TMF.auroc(probs, tbin, task="binary"))
print(TMF.mean_squared_error(yp, yt), TMF.mean_absolute_error(yp, yt), TMF.r2_score(yp, yt))

# ---------------------------------------------------------------- Lightning
def idx(name):
    b = gzip.open(os.path.join(root, name)).read()
    magic = int.from_bytes(b[0:4], "big"); nd = magic & 0xff
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return torch.tensor(np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims).copy())

class MNIST(torch.utils.data.Dataset):
    def __init__(self, root, train=True):
        p = "train" if train else "t10k"
        self.data = idx(f"{p}-images-idx3-ubyte.gz")
        self.targets = idx(f"{p}-labels-idx1-ubyte.gz").long()
    def __len__(self): return len(self.data)
    def __getitem__(self, i):   # ToTensor: (1, 28, 28) float32 in [0, 1]
        return self.data[i].unsqueeze(0).to(torch.float32).div(255), int(self.targets[i])

class LitMLP(L.LightningModule):
    def __init__(self):
        super().__init__()
        # camelCase attribute names, as the Swift twin's properties, so that print(model) compares
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
        self.valAcc = torchmetrics.Accuracy(task="multiclass", num_classes=10)
        self.testAcc = torchmetrics.Accuracy(task="multiclass", num_classes=10)
    def forward(self, x):
        return self.net(x)
    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True)
        return loss
    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.valAcc.update(logits, y)
    def on_validation_epoch_end(self):
        self.log("val_acc", self.valAcc.compute(), prog_bar=True)
        self.valAcc.reset()
    def test_step(self, batch, batch_idx):
        x, y = batch
        self.testAcc(self(x), y)
        self.log("test_acc", self.testAcc)
    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)

class PrintMetrics(L.Callback):
    def on_train_epoch_end(self, trainer, pl_module):
        m = trainer.callback_metrics
        print(f"epoch {trainer.current_epoch}: " + " ".join(f"{k}={float(m[k]):.4f}" for k in sorted(m)))

def show(metrics):
    return " ".join(f"{k}={float(metrics[k]):.4f}" for k in sorted(metrics))

block("lightning data")
full = MNIST(root, train=True)
first = torch.utils.data.Subset(full, range(2000))
train_ds, val_ds = torch.utils.data.random_split(first, [1600, 400], generator=torch.Generator().manual_seed(42))
test_ds = torch.utils.data.Subset(MNIST(root, train=False), range(1000))
print(len(train_ds), len(val_ds), len(test_ds))
print(train_ds.indices[:8])
L.seed_everything(42)
model = LitMLP()
train_loader = torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True)
val_loader = torch.utils.data.DataLoader(val_ds, batch_size=64)
test_loader = torch.utils.data.DataLoader(test_ds, batch_size=256)
print(len(train_loader), len(val_loader), len(test_loader))
print(model)

block("lightning fit")
trainer = L.Trainer(max_epochs=2, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                    enable_progress_bar=False, enable_model_summary=False, callbacks=[PrintMetrics()])
trainer.fit(model, train_loader, val_loader)
print(trainer.current_epoch, trainer.global_step)
print("callback_metrics", show(trainer.callback_metrics))
print("progress_bar_metrics", show(trainer.progress_bar_metrics))
print("logged_metrics", show(trainer.logged_metrics))
print(f"{model.net[1].weight.sum().item():.4f}")

block("lightning validate and test")
val = trainer.validate(model, dataloaders=val_loader, verbose=False)
print("validate", show(val[0]))
res = trainer.test(model, dataloaders=test_loader, verbose=False)
print(f"test_acc {res[0]['test_acc']:.4f}")
model.eval()
with torch.no_grad():
    xs = torch.stack([test_ds[i][0] for i in range(1000)])
    ys = torch.tensor([test_ds[i][1] for i in range(1000)])
    preds = model(xs)
print(f"functional accuracy {TMF.accuracy(preds, ys, task='multiclass', num_classes=10).item():.4f}")
print(preds[:10].argmax(dim=1))
print(TMF.confusion_matrix(preds, ys, task="multiclass", num_classes=10).diag())

# ---------------------------------------------------------------- last: what may be missing in Descent
block("mean metric forward")
mean = torchmetrics.MeanMetric()
print(mean(torch.tensor([10.0, 20.0])), mean(torch.tensor(6.0)))
print(mean.compute())

block("metric collection")
mc = torchmetrics.MetricCollection([torchmetrics.Accuracy(task="multiclass", num_classes=4),
                                    torchmetrics.F1Score(task="multiclass", num_classes=4, average="macro")], prefix="val_")
out = mc(logits[:6], target[:6])
for k in sorted(out):
    print(k, out[k])
mc.update(logits[6:], target[6:])
res = mc.compute()
for k in sorted(res):
    print(k, res[k])
mc.reset()
named = torchmetrics.MetricCollection({"acc": torchmetrics.Accuracy(task="multiclass", num_classes=4),
                                       "f1": torchmetrics.F1Score(task="multiclass", num_classes=4)})
res = named(logits, target)
for k in sorted(res):
    print(k, res[k])
