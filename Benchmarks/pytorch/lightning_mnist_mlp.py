# Lecture 04 (../shared/lectures/04-trainer-mnist-mlp.swift) in PyTorch Lightning + torchmetrics, timed:
# the MNIST MLP (784-32-16-10) as a LightningModule, 55,000/5,000 split, batch 64, Adam 1e-3,
# ModelCheckpoint on valid_acc, TensorBoardLogger; EPOCHS epochs (default 1) of fit, then test.
#   python Benchmarks/pytorch/lightning_mnist_mlp.py     (MNIST from $DESCENT_MNIST or ../shared/data/mnist)
# Prints tab-separated "name<TAB>seconds<TAB>extra" lines like bench.py.
import gzip, os, sys, tempfile, time, warnings
import numpy as np, torch
import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger
from torchmetrics import Accuracy
warnings.filterwarnings("ignore")
torch.set_num_threads(int(os.environ.get("DESCENT_NUM_THREADS", "2")))
root = os.environ.get("DESCENT_MNIST", os.path.join(os.path.dirname(__file__), "../../../shared/data/mnist"))
epochs = int(os.environ.get("EPOCHS", "1"))

def idx(name):
    b = gzip.open(os.path.join(root, name)).read()
    nd = b[3]; dims = [int.from_bytes(b[4+4*i:8+4*i], "big") for i in range(nd)]
    return torch.tensor(np.frombuffer(b, dtype=np.uint8, offset=4+4*nd).reshape(dims).copy())

class MNIST(torch.utils.data.Dataset):   # torchvision's MNIST with ToTensor()
    def __init__(self, train):
        p = "train" if train else "t10k"
        self.x, self.y = idx(f"{p}-images-idx3-ubyte.gz"), idx(f"{p}-labels-idx1-ubyte.gz").long()
    def __len__(self): return len(self.y)
    def __getitem__(self, i): return self.x[i].float().div(255).unsqueeze(0), int(self.y[i])

class MultiLayerPerceptron(L.LightningModule):
    def __init__(self, image_shape=(1, 28, 28), hidden_units=(32, 16)):
        super().__init__()
        self.train_acc = Accuracy(task="multiclass", num_classes=10)
        self.valid_acc = Accuracy(task="multiclass", num_classes=10)
        self.test_acc = Accuracy(task="multiclass", num_classes=10)
        input_size = int(np.prod(image_shape)); layers = [torch.nn.Flatten()]
        for u in hidden_units:
            layers += [torch.nn.Linear(input_size, u), torch.nn.ReLU()]; input_size = u
        layers.append(torch.nn.Linear(hidden_units[-1], 10))
        self.model = torch.nn.Sequential(*layers)
    def forward(self, x): return self.model(x)
    def training_step(self, batch, batch_idx):
        x, y = batch; logits = self(x); loss = torch.nn.functional.cross_entropy(logits, y)
        self.train_acc.update(logits.argmax(1), y); self.log("train_loss", loss, prog_bar=True); return loss
    def on_train_epoch_end(self):
        self.log("train_acc", self.train_acc.compute()); self.train_acc.reset()
    def validation_step(self, batch, batch_idx):
        x, y = batch; logits = self(x); loss = torch.nn.functional.cross_entropy(logits, y)
        self.valid_acc.update(logits.argmax(1), y); self.log("valid_loss", loss, prog_bar=True); return loss
    def on_validation_epoch_end(self):
        self.log("valid_acc", self.valid_acc.compute(), prog_bar=True); self.valid_acc.reset()
    def test_step(self, batch, batch_idx):
        x, y = batch; logits = self(x); self.test_acc.update(logits.argmax(1), y)
        self.log("test_acc", self.test_acc.compute(), prog_bar=True)
    def configure_optimizers(self): return torch.optim.Adam(self.parameters(), lr=0.001)

class MnistDataModule(L.LightningDataModule):
    def setup(self, stage):
        all_ = MNIST(True)
        self.train, self.val = torch.utils.data.random_split(all_, [55000, 5000], generator=torch.Generator().manual_seed(1))
        self.test = MNIST(False)
    def train_dataloader(self): return torch.utils.data.DataLoader(self.train, batch_size=64, num_workers=2)
    def val_dataloader(self): return torch.utils.data.DataLoader(self.val, batch_size=64)
    def test_dataloader(self): return torch.utils.data.DataLoader(self.test, batch_size=64)

torch.manual_seed(1)
model, dm = MultiLayerPerceptron(), MnistDataModule()
with tempfile.TemporaryDirectory() as logs:
    ckpt = ModelCheckpoint(monitor="valid_acc", mode="max", save_top_k=1)
    trainer = L.Trainer(max_epochs=epochs, callbacks=[ckpt], logger=TensorBoardLogger(save_dir=logs),
                        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1)
    t0 = time.perf_counter(); trainer.fit(model, datamodule=dm); t1 = time.perf_counter()
    valid_acc = trainer.callback_metrics["valid_acc"].item()
    res = trainer.test(model, datamodule=dm, verbose=False); t2 = time.perf_counter()
print(f"# lightning {L.__version__}, torch {torch.__version__}, {torch.get_num_threads()} threads")
print(f"trainer_mnist_mlp_fit_{epochs}_epochs\t{t1 - t0:.3e}\tvalid_acc {valid_acc!r}", flush=True)
print(f"trainer_mnist_mlp_test\t{t2 - t1:.3e}\ttest_acc {res[0]['test_acc']!r}", flush=True)
