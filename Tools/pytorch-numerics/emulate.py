#!/usr/bin/env python3
"""Bit-exact numpy emulation of PyTorch's float32 CPU BatchNorm kernels (torch 2.13 CPU, AVX2 build,
contiguous NCHW input with H*W > 1), i.e. what aten::native_batch_norm (training) and
aten::native_batch_norm_backward (training) compute for F.batch_norm / nn.BatchNorm2d on CPU.

Source: aten/src/ATen/native/cpu/batch_norm_kernel.cpp
  forward stats : batch_norm_cpu_collect_stats_contiguous_impl<float>   (scalar loops, double accumulators)
  invstd/running: batch_norm_cpu_update_stats_template (Normalization.cpp)
  forward output: batch_norm_cpu_contiguous_impl<float>                 (alpha/beta, 8-lane FMA)
  backward      : batch_norm_cpu_backward_contiguous_impl<float>        (per-image vec::reduce_all /
                  vec::map2_reduce_all in 8 float lanes + AVX2 shuffle tree, double across images)
Vectorized<float> = 8 lanes (AVX2).  GCC contracts the vector a*b+c of the AVX2 build into FMA
(vfmadd/vfnmadd); that is essential for bit-exactness (see REPORT.md).

Run standalone:  /work/venv-torch/bin/python /tmp/bnwork/emulate.py
It checks bit-exactness against torch on the n01 step tensors (/tmp/bnwork/step.pt, written by
harness.py; skipped if absent) and on random inputs of the same shapes.
"""
import numpy as np

f32, f64 = np.float32, np.float64
LANES = 8


# ----------------------------------------------------------------------------------------------
# exact float32 fused multiply-add: round_to_float32(a*b + c) with ONE rounding
# ----------------------------------------------------------------------------------------------
def fma32(a, b, c):
    a = np.asarray(a, f32).astype(f64); b = np.asarray(b, f32).astype(f64); c = np.asarray(c, f32).astype(f64)
    p = a * b                      # exact: 24+24 bit significands fit in 53 bits
    s = p + c                      # rounded to double
    bp = s - c; e = (p - bp) + (c - (s - bp))   # TwoSum: s + e == p + c exactly
    # double rounding only matters if s is exactly halfway between two float32 and e != 0:
    # then nudge s one double-ulp towards the true value (round-to-odd fix).
    r = s.astype(f32).astype(f64)
    ulp32 = np.abs(np.nextafter(r.astype(f32), np.where(s >= r, np.inf, -np.inf).astype(f32)).astype(f64) - r)
    mid = (np.abs(s - r) * 2 == ulp32) & (e != 0)
    s = np.where(mid, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)
    return s.astype(f32)


def fnma32(a, b, c):
    """round32(c - a*b) (vfnmadd)."""
    return fma32(-np.asarray(a, f32), b, c)


# ----------------------------------------------------------------------------------------------
# at::vec helpers (AVX2, float)
# ----------------------------------------------------------------------------------------------
def vec_reduce_all_tree(acc):
    """VecReduceAllSIMD<float>::apply for AVX2: permute2f128(0x1), shuffle_ps(0x4E), shuffle_ps(0xB1).
    acc[..., 8] -> ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7))"""
    w = (acc[..., 0:4] + acc[..., 4:8]).astype(f32)
    u = (w[..., 0:2] + w[..., 2:4]).astype(f32)
    return (u[..., 0] + u[..., 1]).astype(f32)


def vec_reduce_all_slow(acc, size):
    """3-argument vec_reduce_all(op, acc_vec, size) (used when size < 8): lane 0 accumulates lanes
    1..size-1 strictly left to right: ((a0 + a1) + a2) + ..."""
    r = acc[..., 0].astype(f32)
    for i in range(1, size):
        r = (r + acc[..., i]).astype(f32)
    return r


def reduce_all_sum(data):
    """vec::reduce_all<float>([](x,y){return x+y;}, data, size) over the last axis."""
    size = data.shape[-1]
    if size < LANES:
        return vec_reduce_all_slow(data.astype(f32), size)
    main = size - size % LANES
    acc = data[..., 0:LANES].astype(f32).copy()
    for d in range(LANES, main, LANES):
        acc = (acc + data[..., d:d + LANES]).astype(f32)
    rem = size - main
    if rem:   # Vec::loadu(ptr, rem) zero-fills; Vec::set(acc, acc+v, rem) updates lanes [0, rem)
        acc[..., :rem] = (acc[..., :rem] + data[..., main:]).astype(f32)
    return vec_reduce_all_tree(acc)


def map2_reduce_all_dotp(x, dy, mean):
    """vec::map2_reduce_all<float>([mean](x,dy){return (x - Vec(mean))*dy;}, +, x, dy, size).
    As compiled in the shipped AVX2 binary (verified bit-exact):
      first block : acc = round32(round32(x-mean) * dy)
      main loop   : acc = round32(acc + round32(round32(x-mean) * dy))      (NOT fused)
      tail (rem)  : acc[0:rem] = fma(round32(x-mean), dy, acc[0:rem])       (fused: one rounding)
      reduction   : AVX2 shuffle tree ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7))
    If size < 8: v = round32(round32(x-mean)*dy) on the valid lanes, then ((v0+v1)+v2)+... ."""
    size = x.shape[-1]
    mean = np.asarray(mean, f32)[..., None]
    def xm(lo, hi):
        return (x[..., lo:hi] - mean).astype(f32)
    if size < LANES:
        return vec_reduce_all_slow((xm(0, size) * dy[..., 0:size]).astype(f32), size)
    main = size - size % LANES
    acc = (xm(0, LANES) * dy[..., 0:LANES]).astype(f32)
    for d in range(LANES, main, LANES):
        acc = (acc + (xm(d, d + LANES) * dy[..., d:d + LANES]).astype(f32)).astype(f32)
    rem = size - main
    if rem:
        acc[..., :rem] = fma32(xm(main, size), dy[..., main:], acc[..., :rem])
    return vec_reduce_all_tree(acc)


# ----------------------------------------------------------------------------------------------
# forward (training): batch statistics + running stats update + normalized output
# ----------------------------------------------------------------------------------------------
def bn_forward_train(x, weight, bias, running_mean, running_var, momentum=0.1, eps=1e-5, fma=True):
    """x: float32 (N, C, H, W) contiguous.  Returns out, save_mean, save_invstd, new_running_mean,
    new_running_var (all float32)."""
    x = np.ascontiguousarray(x, f32)
    Nb, C = x.shape[:2]
    xs = x.reshape(Nb, C, -1)
    S = xs.shape[2]
    n = Nb * S                                  # int64 N
    # --- batch_norm_cpu_collect_stats_contiguous_impl<float>: accscalar_t = double, strictly sequential
    #     loop n (image) outer, i (pixel) inner.  Sequential double sums: use np.add.accumulate-free loop.
    flat = xs.transpose(1, 0, 2).reshape(C, n).astype(f64)          # per channel, in (n, i) order
    sum_d = np.zeros(C, f64)
    for j in range(n):                                               # sequential double adds
        sum_d = sum_d + flat[:, j]
    mean = (sum_d / f64(n)).astype(f32)                              # scalar_t mean = sum / N
    dev = (xs.transpose(1, 0, 2).reshape(C, n) - mean[:, None]).astype(f32)
    sq = (dev * dev).astype(f32).astype(f64)                         # (x - mean)*(x - mean) in float
    var_sum_d = np.zeros(C, f64)
    for j in range(n):
        var_sum_d = var_sum_d + sq[:, j]
    var_sum = var_sum_d.astype(f32)                                  # var_sum_data[c] = _var_sum (float)
    # --- batch_norm_cpu_update_stats_template (Normalization.cpp, baseline flags, no FMA)
    var_biased = (var_sum / f32(n)).astype(f32)                      # float / int64 -> float
    invstd = (f64(1) / np.sqrt(var_biased.astype(f64) + f64(eps))).astype(f32)   # InvStd<double>
    mom = f32(momentum)
    rm = np.asarray(running_mean, f32); rv = np.asarray(running_var, f32)
    new_rm = ((mom * mean).astype(f32) + ((f32(1) - mom).astype(f32) * rm).astype(f32)).astype(f32)
    unbiased = (var_sum / f32(n - 1)).astype(f32).astype(f64)        # float division, then to double
    # momentum_ * unbiased_var -> double ; (1 - momentum_) * running_var -> FLOAT product ; sum in double
    new_rv = (f64(mom) * unbiased + ((f32(1) - mom).astype(f32) * rv).astype(f32).astype(f64)).astype(f32)
    # --- batch_norm_cpu_contiguous_impl<float>: alpha, beta per channel (float), out = x*alpha + beta
    w = np.asarray(weight, f32); b = np.asarray(bias, f32)
    alpha = (invstd * w).astype(f32)
    beta = fnma32(mean, alpha, b) if fma else (b - (mean * alpha).astype(f32)).astype(f32)
    if fma:
        out = fma32(xs, alpha[None, :, None], beta[None, :, None])
    else:
        out = ((xs * alpha[None, :, None]).astype(f32) + beta[None, :, None]).astype(f32)
    return out.reshape(x.shape), mean, invstd, new_rm, new_rv


def bn_forward_eval(x, weight, bias, running_mean, running_var, eps=1e-5):
    """Eval-mode forward (batch_norm_cpu_contiguous_impl<float>, train=false):
    invstd = 1 / sqrtf(running_var + (float)eps) in FLOAT; alpha = invstd*w; beta = fnma(mean, alpha, b);
    out = fma(x, alpha, beta)."""
    x = np.ascontiguousarray(x, f32)
    rm = np.asarray(running_mean, f32); rv = np.asarray(running_var, f32)
    invstd = (f32(1) / np.sqrt((rv + f32(eps)).astype(f32)).astype(f32)).astype(f32)
    alpha = (invstd * np.asarray(weight, f32)).astype(f32)
    beta = fnma32(rm, alpha, np.asarray(bias, f32))
    shp = (1, -1) + (1,) * (x.ndim - 2)
    return fma32(x, alpha.reshape(shp), beta.reshape(shp))


# ----------------------------------------------------------------------------------------------
# backward (training)
# ----------------------------------------------------------------------------------------------
def bn_backward_train(dy, x, weight, save_mean, save_invstd, fma=True):
    """Returns grad_input, grad_weight, grad_bias (float32), bit-exact to
    batch_norm_cpu_backward_contiguous_impl<float>(train=true)."""
    x = np.ascontiguousarray(x, f32); dy = np.ascontiguousarray(dy, f32)
    Nb, C = x.shape[:2]
    xs = x.reshape(Nb, C, -1); dys = dy.reshape(Nb, C, -1)
    S = xs.shape[2]
    n = Nb * S
    mean = np.asarray(save_mean, f32); invstd = np.asarray(save_invstd, f32); w = np.asarray(weight, f32)
    # per image plane: 8-lane float partial sums, AVX2 tree; accumulate planes in double, image order
    plane_sum = reduce_all_sum(dys)                                   # (Nb, C) float
    plane_dotp = map2_reduce_all_dotp(xs, dys, mean[None, :])          # (Nb, C) float
    sum_d = np.zeros(C, f64); dotp_d = np.zeros(C, f64)
    for i in range(Nb):
        sum_d = sum_d + plane_sum[i].astype(f64)
        dotp_d = dotp_d + plane_dotp[i].astype(f64)
    # scalar_t k = (scalar_t) dotp * invstd * invstd / N;   (float arithmetic, left to right)
    k = ((((dotp_d.astype(f32) * invstd).astype(f32)) * invstd).astype(f32) / f32(n)).astype(f32)
    # scalar_t grad_mean = sum / N;                          (double division, then float)
    grad_mean = (sum_d / f64(n)).astype(f32)
    # dx = (x - mean) * k ; out = (dy - grad_mean - dx) * invstd * w   (8-lane map2)
    # GCC contracts "(dy - grad_mean) - (x - mean)*k" into one vfnmadd: round32(t - xm*k) with one rounding
    xm = (xs - mean[None, :, None]).astype(f32)
    t = (dys - grad_mean[None, :, None]).astype(f32)
    if fma:
        t = fnma32(xm, k[None, :, None], t)
    else:
        t = (t - (xm * k[None, :, None]).astype(f32)).astype(f32)
    gi = ((t * invstd[None, :, None]).astype(f32) * w[None, :, None]).astype(f32)
    grad_weight = (dotp_d * invstd.astype(f64)).astype(f32)          # dotp (double) * invstd
    grad_bias = sum_d.astype(f32)
    return gi.reshape(x.shape), grad_weight, grad_bias


# ----------------------------------------------------------------------------------------------
# self-test against torch
# ----------------------------------------------------------------------------------------------
def _bits_equal(a, b):
    a = np.ascontiguousarray(a, f32); b = np.ascontiguousarray(b, f32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def _check(name, x, dy, w, b, fma=True, verbose=True, rm=None, rv=None):
    import torch
    aten = torch.ops.aten
    tx, tdy, tw, tb = (torch.from_numpy(np.ascontiguousarray(v, f32)) for v in (x, dy, w, b))
    C = x.shape[1]
    rm = torch.zeros(C) if rm is None else torch.from_numpy(np.array(rm, f32))
    rv = torch.ones(C) if rv is None else torch.from_numpy(np.array(rv, f32))
    rm0 = rm.clone(); rv0 = rv.clone()
    out, sm, si = aten.native_batch_norm(tx, tw, tb, rm, rv, True, 0.1, 1e-5)
    gi, gw, gb = aten.native_batch_norm_backward(tdy, tx, tw, None, None, sm, si, True, 1e-5, [True, True, True])
    e_out, e_sm, e_si, e_rm, e_rv = bn_forward_train(x, w, b, rm0.numpy(), rv0.numpy(), fma=fma)
    # backward is fed the kernel's own save_mean/save_invstd (as autograd does)
    e_gi, e_gw, e_gb = bn_backward_train(dy, x, w, sm.numpy(), si.numpy(), fma=fma)
    res = {'save_mean': _bits_equal(e_sm, sm.numpy()), 'save_invstd': _bits_equal(e_si, si.numpy()),
           'running_mean': _bits_equal(e_rm, rm.numpy()), 'running_var': _bits_equal(e_rv, rv.numpy()),
           'output': _bits_equal(e_out, out.numpy()),
           'grad_input': _bits_equal(e_gi, gi.numpy()), 'grad_weight': _bits_equal(e_gw, gw.numpy()),
           'grad_bias': _bits_equal(e_gb, gb.numpy())}
    if verbose:
        def nd(a, b_):
            return int(np.sum(np.ascontiguousarray(a, f32).view(np.uint32) != np.ascontiguousarray(b_, f32).view(np.uint32)))
        diffs = {'output': nd(e_out, out.numpy()), 'grad_input': nd(e_gi, gi.numpy()),
                 'grad_weight': nd(e_gw, gw.numpy()), 'grad_bias': nd(e_gb, gb.numpy())}
        print(f"{name:38s} " + " ".join(f"{k}={'OK' if v else 'DIFF'}" for k, v in res.items())
              + ("" if all(res.values()) else f"   mismatching elements: {diffs}"))
    return all(res.values())


if __name__ == "__main__":
    import os, sys, torch
    print("torch", torch.__version__, "capability", torch.backends.cpu.get_cpu_capability(),
          "threads", torch.get_num_threads())
    ok = True
    path = "/tmp/bnwork/step.pt"
    if os.path.exists(path):
        S = torch.load(path)
        T, P = S['T'], S['P']
        for L in ('1', '2'):
            ok &= _check(f"n01 step bn{L} (fma)", T[f'c{L}'].numpy(), T[f'g_b{L}'].numpy(),
                         P[f'bn{L}.weight'].numpy(), P[f'bn{L}.bias'].numpy())
            _check(f"n01 step bn{L} (no fma, for contrast)", T[f'c{L}'].numpy(), T[f'g_b{L}'].numpy(),
                   P[f'bn{L}.weight'].numpy(), P[f'bn{L}.bias'].numpy(), fma=False)
    rng = np.random.default_rng(1234)
    for trial, (Nb, C, H, W) in enumerate([(64, 8, 28, 28), (64, 16, 14, 14), (7, 3, 5, 5), (4, 5, 3, 3),
                                           (64, 16, 7, 7), (3, 4, 13, 11), (8, 4, 6, 6), (64, 32, 3, 3),
                                           (5, 3, 2, 2), (6, 2, 1, 7), (9, 3, 1, 3), (2, 3, 4, 5)]):
        x = (rng.standard_normal((Nb, C, H, W)) * 1.7 + 0.3).astype(f32)
        dy = (rng.standard_normal((Nb, C, H, W)) * 1e-3).astype(f32)
        w = (1 + 0.1 * rng.standard_normal(C)).astype(f32); b = (0.1 * rng.standard_normal(C)).astype(f32)
        ok &= _check(f"random {Nb}x{C}x{H}x{W}", x, dy, w, b,
                     rm=(0.5 * rng.standard_normal(C)).astype(f32), rv=(0.5 + rng.random(C)).astype(f32))
    # many small random cases with wide dynamic range (exercise the FMA tie/rounding paths)
    nrand = 0
    for trial in range(200):
        Nb, C, H, W = (int(v) for v in rng.integers(1, 9, size=4))
        if H * W == 1 or Nb * H * W < 2:
            continue                     # image_size == 1 takes the channels-last kernels (not emulated)
        x = (rng.standard_normal((Nb, C, H, W)) * 10.0 ** rng.uniform(-3, 3) + rng.uniform(-5, 5)).astype(f32)
        dy = (rng.standard_normal((Nb, C, H, W)) * 10.0 ** rng.uniform(-6, 1)).astype(f32)
        w = rng.standard_normal(C).astype(f32); b = rng.standard_normal(C).astype(f32)
        r = _check(f"rand{trial}", x, dy, w, b, verbose=False,
                   rm=rng.standard_normal(C).astype(f32), rv=(0.1 + rng.random(C)).astype(f32))
        if not r:
            _check(f"rand{trial} {Nb}x{C}x{H}x{W}", x, dy, w, b)
        ok &= r; nrand += 1
    print(f"{nrand} extra random shapes checked")
    # eval-mode forward
    for trial in range(20):
        Nb, C, H, W = (int(v) for v in rng.integers(1, 9, size=4))
        if H * W == 1:
            continue
        x = (rng.standard_normal((Nb, C, H, W)) * 3 + 1).astype(f32)
        w = rng.standard_normal(C).astype(f32); b = rng.standard_normal(C).astype(f32)
        rm = rng.standard_normal(C).astype(f32); rv = (0.01 + rng.random(C)).astype(f32)
        t = torch.ops.aten.native_batch_norm(*(torch.from_numpy(v) for v in (x, w, b, rm, rv)), False, 0.1, 1e-5)[0]
        r = _bits_equal(bn_forward_eval(x, w, b, rm, rv), t.numpy())
        ok &= r
        if not r:
            print("eval forward MISMATCH", (Nb, C, H, W))
    print("eval-mode forward checked")
    print("ALL BIT-EXACT" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)
