"""PyTorch's CUDA random numbers for `descent torch-random-check` (run by gpu-suite.sh on a GPU machine).

Writes DIR/manifest.txt, one draw per line: `name kind dtype n seed a b`, and DIR/<name>.bin, the
values as little-endian float64. Each draw is `torch.manual_seed(seed)` then one call on cuda:0;
`second` draws twice and keeps the second (the generator's offset after a first draw).
"""
import os
import sys

import torch
import torch.nn.functional as F

out = sys.argv[1] if len(sys.argv) > 1 else "torch-random"
os.makedirs(out, exist_ok=True)
props = torch.cuda.get_device_properties(0)
big = props.multi_processor_count * (props.max_threads_per_multi_processor // 256) * 256 * 4 * 2 + 37
cases = [
    ("randn_small", "normal", "float32", 64, 0, 0.0, 1.0),
    ("randn_big", "normal", "float32", big, 1, 0.5, 2.0),
    ("rand_big", "uniform", "float32", big, 2, -2.0, 3.0),
    ("randn_f64", "normal", "float64", big // 2 + 1, 3, 0.0, 1.0),
    ("rand_f64", "uniform", "float64", big // 2 + 1, 4, 0.0, 1.0),
    ("randint_small", "randint", "int64", big, 5, -3, 10),
    ("randint_mid", "randint", "int64", big, 15, 0, 2 ** 30),
    ("randint_below", "randint", "int64", big, 16, 0, 2 ** 27),
    ("randint_wide", "randint", "int64", big // 2, 6, 0, 2 ** 40),
    ("bernoulli", "bernoulli", "float32", big, 7, 0.3, 0.0),
    ("bernoulli_probs", "bernoulli_tensor", "float32", big, 13, 0.0, 0.0),
    ("bernoulli_probs_f64", "bernoulli_tensor", "float64", 4 * 1000 + 3, 14, 0.0, 0.0),
    ("exponential", "exponential", "float32", big, 8, 1.5, 0.0),
    ("dropout_vec4", "dropout", "float32", big - 37 + 8, 9, 0.3, 0.0),
    ("dropout_vec2", "dropout", "float32", big - 37 + 6, 10, 0.3, 0.0),
    ("dropout_vec1", "dropout", "float32", big, 11, 0.3, 0.0),
    ("second", "second", "float32", 3000, 12, 0.0, 1.0),
    # randperm: keys of 23 bits (seed 51 draws two equal keys, whose run is shuffled), all 32 bits of
    # an int32 key, int64 keys of 34 bits
    ("randperm_small", "randperm", "int64", 1000, 51, 0.0, 0.0),
    ("randperm_int32", "randperm", "int64", 25000, 17, 0.0, 0.0),
    ("randperm_int64", "randperm", "int64", 60000, 18, 0.0, 0.0),
    # multinomial with replacement: n samples from each of a rows of b categories
    ("multinomial", "multinomial", "float32", 300, 19, 4.0, 1000.0),
    ("multinomial_f64", "multinomial", "float64", 129, 20, 3.0, 10.0),
    ("multinomial_rows", "multinomial", "float32", 2, 21, 70000.0, 3.0),
    # 2^29 + 1 floats (2 GiB) are drawn in two 32-bit-indexable pieces; kept: 1,000 values each side of the cut
    ("uniform_cut", "uniform_cut", "float32", 2 ** 29 + 1, 22, 0.0, 1.0),
]
dtypes = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}
with open(os.path.join(out, "manifest.txt"), "w") as manifest:
    for name, kind, dtype, n, seed, a, b in cases:
        torch.manual_seed(seed)
        dt = dtypes[dtype]
        if kind == "normal":
            t = torch.empty(n, dtype=dt, device="cuda").normal_(a, b)
        elif kind == "uniform":
            t = torch.empty(n, dtype=dt, device="cuda").uniform_(a, b)
        elif kind == "randint":
            t = torch.randint(int(a), int(b), (n,), device="cuda")
        elif kind == "bernoulli":
            t = torch.empty(n, dtype=dt, device="cuda").bernoulli_(a)
        elif kind == "bernoulli_tensor":
            # probabilities (i % 101) / 100, computed in float64 as the Swift side does
            probs = ((torch.arange(n, dtype=torch.float64) % 101) / 100).to(dt).cuda()
            t = torch.bernoulli(probs)
        elif kind == "uniform_cut":
            t = torch.empty(n, dtype=dt, device="cuda").uniform_(a, b)[2 ** 28 - 1000:2 ** 28 + 1000].clone()
        elif kind == "randperm":
            t = torch.randperm(n, device="cuda")
        elif kind == "multinomial":
            # probabilities ((i % 101) + 1) / 100, 0 where i % 7 == 3, computed in float64 as the Swift side does
            i = torch.arange(int(a) * int(b), dtype=torch.float64)
            probs = torch.where(i % 7 == 3, 0.0, ((i % 101) + 1) / 100).reshape(int(a), int(b)).to(dt).cuda()
            t = torch.multinomial(probs, n, replacement=True)
        elif kind == "exponential":
            t = torch.empty(n, dtype=dt, device="cuda").exponential_(a)
        elif kind == "dropout":
            t = (F.dropout(torch.ones(n, dtype=dt, device="cuda"), a) != 0).to(dt)
        else:
            torch.rand(n, device="cuda")
            t = torch.rand(100, device="cuda")
        t.double().cpu().numpy().astype("<f8").tofile(os.path.join(out, name + ".bin"))
        manifest.write(f"{name} {kind} {dtype} {n} {seed} {a!r} {b!r}\n")
print(f"wrote {len(cases)} PyTorch CUDA draws to {out} ({props.name}, {props.multi_processor_count} SMs)")
