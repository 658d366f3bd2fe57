# Makes the torch.save fixtures of TorchFileTests with torch 2.13 (CPU). Run from this folder:
# ../../../../../venv-torch/bin/python make-torch-fixtures.py
# Every file is small; the values the tests expect are printed by the snippets in the tests.
import torch, torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
model(torch.randn(4, 3))                   # moves the running stats
torch.save(model.state_dict(), "sequential.pt")              # zip format
torch.save(model.state_dict(), "sequential-legacy.pt", _use_new_zipfile_serialization=False)

# a training checkpoint: model, optimizer after two Adam steps, numbers, strings, views, dtypes
torch.manual_seed(0)
net = nn.Linear(3, 2)
opt = torch.optim.Adam(net.parameters(), lr=0.01)
x, y = torch.randn(5, 3), torch.randn(5, 2)
for _ in range(2):
    opt.zero_grad(); nn.functional.mse_loss(net(x), y).backward(); opt.step()
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
torch.save({
    "epoch": 3, "loss": 0.25, "done": True, "name": "adam-run", "tags": ["a", "b"], "sizes": [1, 2, 3],
    "lrs": [0.1, 0.01], "nothing": None,
    "model": net.state_dict(), "optimizer": opt.state_dict(),
    "x": x, "y": y,
    "column": base[:, 1], "transposed": base.t(), "row": base[2],          # views of one storage
    "half": torch.tensor([1.5, -2.25, 65504.0], dtype=torch.float16),
    "bf16": torch.tensor([1.5, -3.0], dtype=torch.bfloat16),
    "int8": torch.tensor([-128, 127], dtype=torch.int8),
    "int16": torch.tensor([-300, 300], dtype=torch.int16),
    "mask": torch.tensor([True, False, True]),
    "scalar": torch.tensor(7, dtype=torch.int64),
    "double": torch.tensor([[1.25]], dtype=torch.float64),
    "param": nn.Parameter(torch.tensor([4.0, 5.0])),
    "empty": torch.zeros(0, 3),
    "expanded": torch.tensor([9.0]).expand(4),
}, "checkpoint.pt")

class Net(nn.Module):
    def __init__(self): super().__init__(); self.fc = nn.Linear(2, 1)
torch.save(Net(), "whole-model.pt")            # a pickled module object: refused
torch.jit.save(torch.jit.script(nn.Linear(2, 1)), "scripted.pt")   # TorchScript: refused
