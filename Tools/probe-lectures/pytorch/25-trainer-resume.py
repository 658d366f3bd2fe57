# The PyTorch twin of 25-trainer-resume.swift: Lightning's callbacks, logging and resume on a small
# synthetic 3-class problem (2-D points, MLP 2-16-3, Adam + StepLR returned in configure_optimizers'
# dict): ModelCheckpoint (monitor, save_top_k, save_last, filename pattern), EarlyStopping,
# LearningRateMonitor, CSVLogger read back, callback / logged / progress-bar metrics, validate, test,
# predict, load_from_checkpoint, a fit stopped after 2 epochs and resumed to 4 from last.ckpt against
# an uninterrupted 4-epoch run, a callback's state across the resume, and gradient accumulation and
# clipping against a hand-written loop. No data files are read; everything is written to a temp dir.
# Usage: python 25-trainer-resume.py
# (torchvision is broken in this venv and torchmetrics, which lightning imports, imports it when it
# looks installed, so it is hidden first.)
import sys, os, csv, shutil, tempfile, warnings, logging
import importlib.metadata as _md
sys.modules["torchvision"] = None
import lightning_utilities.core.imports as _lui
_orig_version = _lui._version
def _version(name):
    if name == "torchvision":
        raise _md.PackageNotFoundError(name)
    return _orig_version(name)
_lui._version = _version
import torch
import torch.nn as nn
import torch.nn.functional as F
import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint, EarlyStopping, LearningRateMonitor, Callback
from lightning.pytorch.loggers import CSVLogger
warnings.filterwarnings("ignore")
# Lightning's info lines ("GPU available: False", "Restoring states from the checkpoint ...") go to
# stderr through its loggers: silenced, as the Swift twin has none
logging.getLogger("lightning").setLevel(logging.ERROR)
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
logging.getLogger("lightning.fabric").setLevel(logging.ERROR)

def block(t): print("## " + t, flush=True)
def f4(v): return f"{float(v):.4f}"
def show(metrics): return " ".join(f"{k}={float(metrics[k]):.4f}" for k in sorted(metrics))
def quiet(**kw):   # the flags every Trainer here gets: no progress bar, no summary, CPU
    return L.Trainer(enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1, **kw)

tmp = tempfile.mkdtemp()

# ---------------------------------------------------------------- data
torch.manual_seed(0)
X = torch.randn(224, 2)
Y = ((X[:, 0] + X[:, 1] > 0).long() + (X[:, 0] - X[:, 1] > 1).long())
train_ds = torch.utils.data.TensorDataset(X[:128], Y[:128])
val_ds = torch.utils.data.TensorDataset(X[128:160], Y[128:160])
test_ds = torch.utils.data.TensorDataset(X[160:], Y[160:])
val_loader = torch.utils.data.DataLoader(val_ds, batch_size=16)
test_loader = torch.utils.data.DataLoader(test_ds, batch_size=32)

class LitClassifier(L.LightningModule):
    def __init__(self, lr=0.05, hidden=16):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 3))
        self.note = None
    def forward(self, x):
        return self.net(x)
    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True)
        return loss
    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean())
    def test_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("test_loss", F.cross_entropy(logits, y))
        self.log("test_acc", (logits.argmax(dim=1) == y).float().mean())
    def predict_step(self, batch, batch_idx):
        x, _ = batch
        return self(x).softmax(dim=1)
    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch", "frequency": 1}}
    # extra state in the checkpoint (Lightning's on_save_checkpoint / on_load_checkpoint)
    def on_save_checkpoint(self, checkpoint):
        checkpoint["note"] = f"saved at epoch {self.current_epoch}"
    def on_load_checkpoint(self, checkpoint):
        self.note = checkpoint.get("note")

def weights_equal(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)

def csv_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]

def show_row(header, row):   # numbers to 4 decimals, epoch and step as written, empty cells as "-"
    cells = []
    for k, v in zip(header, row):
        cells.append("-" if v == "" else v if k in ("epoch", "step") else f4(v))
    return " ".join(cells)

block("data")
print(list(X.shape), list(Y.shape))
print(torch.bincount(Y[:128]).tolist(), torch.bincount(Y[128:160]).tolist(), torch.bincount(Y[160:]).tolist())
print(len(train_ds), len(val_ds), len(test_ds))

# ---------------------------------------------------------------- fit with callbacks and a CSV logger
block("fit with ModelCheckpoint, EarlyStopping, LearningRateMonitor and CSVLogger")
L.seed_everything(42, verbose=False)
model = LitClassifier()
print(dict(model.hparams))
train_loader = torch.utils.data.DataLoader(train_ds, batch_size=16, shuffle=True)
print(len(train_loader), len(val_loader), len(test_loader))
ckpt_dir = os.path.join(tmp, "ckpts")
checkpoint = ModelCheckpoint(dirpath=ckpt_dir, filename="{epoch:02d}-{val_loss:.3f}", monitor="val_loss", mode="min",
                             save_top_k=2, save_last=True)
early = EarlyStopping(monitor="val_acc", mode="max", patience=2)
lr_monitor = LearningRateMonitor(logging_interval="epoch")
csv_logger = CSVLogger(tmp, name="csv", version=0)
trainer = quiet(max_epochs=12, callbacks=[checkpoint, early, lr_monitor], logger=csv_logger, log_every_n_steps=4)
trainer.fit(model, train_loader, val_loader)
print("current_epoch", trainer.current_epoch, "global_step", trainer.global_step)
print("should_stop", trainer.should_stop, "stopped_epoch", early.stopped_epoch, "wait_count", early.wait_count,
      "best_score", f4(early.best_score))
print("log_dir", os.path.relpath(trainer.log_dir, tmp))

block("metrics after fit")
print("callback_metrics", show(trainer.callback_metrics))
print("progress_bar_metrics", show(trainer.progress_bar_metrics))
print("logged_metrics", show(trainer.logged_metrics))

block("checkpoints")
print(sorted(os.listdir(ckpt_dir)))
print("best", os.path.basename(checkpoint.best_model_path), f4(checkpoint.best_model_score))
print("top k", [(os.path.basename(k), f4(v)) for k, v in sorted(checkpoint.best_k_models.items())])
print("last", os.path.basename(checkpoint.last_model_path))
print(trainer.checkpoint_callback is checkpoint)
ck = torch.load(checkpoint.last_model_path, weights_only=False)
print("last.ckpt epoch", ck["epoch"], "global_step", ck["global_step"])
print(list(ck["state_dict"].keys()))

block("learning rates")
print({k: [f4(v) for v in vs] for k, vs in lr_monitor.lrs.items()})
print("lr now", trainer.optimizers[0].param_groups[0]["lr"])
print("scheduler last_epoch", trainer.lr_scheduler_configs[0].scheduler.last_epoch)

block("CSVLogger metrics.csv")
metrics_path = os.path.join(csv_logger.log_dir, "metrics.csv")
print(sorted(os.listdir(csv_logger.log_dir)))
header, rows = csv_rows(metrics_path)
print(header)
print(len(rows), "rows")
for r in rows:
    print(show_row(header, r))
with open(os.path.join(csv_logger.log_dir, "hparams.yaml")) as f:
    print(f.read().strip())

# ---------------------------------------------------------------- validate, test, predict
block("validate, test and predict")
val = trainer.validate(model, dataloaders=val_loader, verbose=False)
print("validate", show(val[0]))
print("callback_metrics", show(trainer.callback_metrics))
res = trainer.test(model, dataloaders=test_loader, verbose=False)
print("test", show(res[0]))
preds = trainer.predict(model, dataloaders=test_loader)
print(len(preds), [list(p.shape) for p in preds])
probs = torch.cat(preds)
print(probs[:3])
print(probs.argmax(dim=1)[:16])
print(f4((probs.argmax(dim=1) == Y[160:]).float().mean()))
header2, rows2 = csv_rows(metrics_path)
print(header2)
for r in rows2[len(rows):]:
    print(show_row(header2, r))

block("load_from_checkpoint")
restored = LitClassifier.load_from_checkpoint(checkpoint.best_model_path)
print(dict(restored.hparams), restored.note)
val_best = quiet(logger=False).validate(restored, dataloaders=val_loader, verbose=False)[0]
print("val_loss", f4(val_best["val_loss"]), "best_model_score", f4(checkpoint.best_model_score))
print(abs(val_best["val_loss"] - float(checkpoint.best_model_score)) < 1e-6)
print(weights_equal(restored, model))

# ---------------------------------------------------------------- resume after a crash
class History(Callback):
    """Prints each epoch's losses and keeps them."""
    def __init__(self):
        self.losses = []
    def on_train_epoch_end(self, trainer, pl_module):
        m = trainer.callback_metrics
        self.losses.append((float(m["train_loss_epoch"]), float(m["val_loss"])))
        print(f"  epoch {trainer.current_epoch}: train_loss_epoch={f4(m['train_loss_epoch'])} val_loss={f4(m['val_loss'])}"
              f" lr={trainer.optimizers[0].param_groups[0]['lr']}")

class EpochCounter(Callback):
    """Counts the epochs it has seen; its count is part of the checkpoint (state_dict / load_state_dict)."""
    def __init__(self):
        self.epochs = 0
    def on_train_epoch_end(self, trainer, pl_module):
        self.epochs += 1
    def state_dict(self):
        return {"epochs": self.epochs}
    def load_state_dict(self, state_dict):
        self.epochs = state_dict["epochs"]

def shuffled_loader():   # its own generator: the order of every epoch is fixed by the seed
    return torch.utils.data.DataLoader(train_ds, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(5))

block("uninterrupted 4 epochs")
L.seed_everything(7, verbose=False)
straight = LitClassifier()
hist_a = History()
t_a = quiet(max_epochs=4, callbacks=[hist_a], logger=False, enable_checkpointing=False)
t_a.fit(straight, shuffled_loader(), val_loader)
print("current_epoch", t_a.current_epoch, "global_step", t_a.global_step)

block("stopped after 2 epochs")
resume_dir = os.path.join(tmp, "resume")
L.seed_everything(7, verbose=False)
first = LitClassifier()
loader_b = shuffled_loader()
hist_b, counter_b = History(), EpochCounter()
t_b = quiet(max_epochs=2, callbacks=[ModelCheckpoint(dirpath=resume_dir, save_last=True), hist_b, counter_b], logger=False)
t_b.fit(first, loader_b, val_loader)
print("current_epoch", t_b.current_epoch, "global_step", t_b.global_step, "counter", counter_b.epochs)
print(sorted(os.listdir(resume_dir)))
last_path = os.path.join(resume_dir, "last.ckpt")
ck = torch.load(last_path, weights_only=False)
print("last.ckpt epoch", ck["epoch"], "global_step", ck["global_step"], "note", ck.get("note"))

block("resumed from last.ckpt to 4 epochs")
second = LitClassifier()   # a new process would build a fresh model; fit(ckpt_path=...) restores everything
hist_c, counter_c = History(), EpochCounter()
resume_ckpt = ModelCheckpoint(dirpath=resume_dir, save_last=True)
t_c = quiet(max_epochs=4, callbacks=[resume_ckpt, hist_c, counter_c], logger=False)
t_c.fit(second, loader_b, val_loader, ckpt_path=last_path)
print("current_epoch", t_c.current_epoch, "global_step", t_c.global_step, "counter", counter_c.epochs, "note", second.note)
print("lr", t_c.optimizers[0].param_groups[0]["lr"], "scheduler last_epoch", t_c.lr_scheduler_configs[0].scheduler.last_epoch)
print(sorted(os.listdir(resume_dir)))
print("best", os.path.basename(resume_ckpt.best_model_path))
losses_resumed = hist_b.losses + hist_c.losses
print("losses equal", losses_resumed == hist_a.losses)
print("weights equal", weights_equal(second, straight))
print(f4(straight.net[0].weight.sum()), f4(second.net[0].weight.sum()))
print(f4(t_a.callback_metrics["val_loss"]), f4(t_c.callback_metrics["val_loss"]))

# ---------------------------------------------------------------- accumulation and clipping
block("accumulate_grad_batches and gradient_clip_val")
plain_loader = torch.utils.data.DataLoader(train_ds, batch_size=16)

def by_hand(accumulate, clip, algorithm, epochs):
    """The loop Lightning runs: the loss divided by `accumulate`, a step every `accumulate` batches and at
    the epoch's last batch, the gradients clipped before the step, StepLR after each epoch."""
    L.seed_everything(3, verbose=False)
    m = LitClassifier()
    opt = torch.optim.Adam(m.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    steps = 0
    for _ in range(epochs):
        n = len(plain_loader)
        for i, (x, y) in enumerate(plain_loader):
            (F.cross_entropy(m(x), y) / accumulate).backward()
            if (i + 1) % accumulate == 0 or i + 1 == n:
                if algorithm == "norm":
                    torch.nn.utils.clip_grad_norm_(m.parameters(), clip)
                else:
                    torch.nn.utils.clip_grad_value_(m.parameters(), clip)
                opt.step()
                opt.zero_grad()
                steps += 1
        sched.step()
    return m, steps

for accumulate, clip, algorithm in [(3, 0.5, "norm"), (1, 0.01, "value")]:
    L.seed_everything(3, verbose=False)
    m = LitClassifier()
    t = quiet(max_epochs=2, accumulate_grad_batches=accumulate, gradient_clip_val=clip, gradient_clip_algorithm=algorithm,
              logger=False, enable_checkpointing=False)
    t.fit(m, plain_loader)
    hand, steps = by_hand(accumulate, clip, algorithm, 2)
    print(f"accumulate={accumulate} clip={clip} {algorithm}: global_step", t.global_step, "by hand", steps,
          "train_loss_epoch", f4(t.callback_metrics["train_loss_epoch"]))
    print("  weights equal", weights_equal(m, hand), f4(m.net[0].weight.sum()), f4(hand.net[0].weight.sum()))

# ---------------------------------------------------------------- last: what may be missing in Descent
block("Lightning conveniences")
L.seed_everything(11, verbose=False)
extra = LitClassifier(hidden=8)
ck_extra = ModelCheckpoint(dirpath=os.path.join(tmp, "extra"), monitor="val_loss", save_last=True)
t_x = quiet(max_epochs=3, callbacks=[ck_extra, EarlyStopping(monitor="val_loss", patience=5)], logger=False)
t_x.fit(extra, train_loader, val_loader)
print("estimated_stepping_batches", t_x.estimated_stepping_batches, "num_training_batches", t_x.num_training_batches)
print(t_x.early_stopping_callback.patience, t_x.early_stopping_callback.wait_count)
print(len(t_x.checkpoint_callbacks))
best_val = t_x.validate(extra, dataloaders=val_loader, ckpt_path="best", verbose=False)[0]
print("validate best", show(best_val), f4(ck_extra.best_model_score))
print("test best", show(t_x.test(extra, dataloaders=test_loader, ckpt_path="best", verbose=False)[0]))
manual_path = os.path.join(tmp, "extra", "manual.ckpt")
t_x.save_checkpoint(manual_path)
rebuilt = LitClassifier.load_from_checkpoint(manual_path)
print(dict(rebuilt.hparams), list(rebuilt.net[0].weight.shape), rebuilt.note, weights_equal(rebuilt, extra))
t_y = quiet(max_epochs=4, callbacks=[ModelCheckpoint(dirpath=os.path.join(tmp, "extra"), monitor="val_loss", save_last=True)],
            logger=False)
t_y.fit(extra, train_loader, val_loader, ckpt_path="last")
print("resumed from 'last': current_epoch", t_y.current_epoch, "global_step", t_y.global_step)

shutil.rmtree(tmp)
print(os.path.exists(tmp))
