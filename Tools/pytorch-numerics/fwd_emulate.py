#!/usr/bin/env python3
"""Bit-exact numpy emulations (torch 2.13.0+cpu, AVX2 AMD EPYC, oneDNN v3.12, MKL 2024.2) of
  * oneDNN jit:avx2 convolution FORWARD          (conv2d_forward)
  * oneDNN jit:avx2 convolution BACKWARD DATA    (conv2d_backward_data)
  * torch Linear pieces (MKL sgemm / torch sum)  (see the functions further down)
See FWD_REPORT.md.  Values are carried as float64 holding exact float32 values; fma_step is an exact
float32 fmaf (one rounding)."""
import numpy as np
import sys
sys.path.insert(0, '/tmp/bnwork')
from conv_emulate2 import fma_step          # exact fmaf on float64 carriers

f32, f64 = np.float32, np.float64


def _fma_masked(a, b, acc, mask):
    """acc = fmaf(a, b, acc) where mask, else unchanged (a skipped tap)."""
    r = fma_step(a, b, acc)
    return r if mask is None else np.where(mask, r, acc)


# ------------------------------------------------------------------------------------------------
# conv forward, oneDNN jit_avx2_conv_fwd_kernel_f32 (jit:avx2), groups = 1, no dilation
# ------------------------------------------------------------------------------------------------
def conv2d_forward(x, w, b=None, stride=1, padding=0, order='icb_kh_kw_ic'):
    """out[n,oc,oh,ow]: acc = bias[oc] (or +0); for icb (blocks of 8 input channels; one block of
    IC channels if IC < 8 ("flat")), for kh asc, for kw asc, for ic in block asc:
    acc = fmaf(x[n,ic,oh*s+kh-p, ow*s+kw-p], w[oc,ic,kh,kw], acc); taps in the padding are skipped."""
    x = np.asarray(x, f32); w = np.asarray(w, f32)
    N, IC, H, W = x.shape; OC, _, KH, KW = w.shape
    s, p = stride, padding
    OH = (H + 2 * p - KH) // s + 1; OW = (W + 2 * p - KW) // s + 1
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))).astype(f64)
    mp = np.pad(np.ones((H, W), bool), ((p, p), (p, p)))
    acc = np.zeros((N, OC, OH, OW), f64)
    if b is not None and order != 'bias_last':
        acc += np.asarray(b, f32).astype(f64)[None, :, None, None]
    icb = IC if IC < 8 else 8
    taps = []
    if order in ('icb_kh_kw_ic', 'bias_last'):
        for c0 in range(0, IC, icb):
            for kh in range(KH):
                for kw in range(KW):
                    for ic in range(c0, min(IC, c0 + icb)):
                        taps.append((ic, kh, kw))
    elif order == 'ic_kh_kw':
        taps = [(ic, kh, kw) for ic in range(IC) for kh in range(KH) for kw in range(KW)]
    for ic, kh, kw in taps:
        xs = xp[:, ic, kh:kh + (OH - 1) * s + 1:s, kw:kw + (OW - 1) * s + 1:s][:, None]
        ms = mp[kh:kh + (OH - 1) * s + 1:s, kw:kw + (OW - 1) * s + 1:s][None, None]
        ws = w[:, ic, kh, kw].astype(f64)[None, :, None, None]
        acc = _fma_masked(xs, ws, acc, ms)
    out = acc.astype(f32)
    if b is not None and order == 'bias_last':
        out = (out + np.asarray(b, f32)[None, :, None, None]).astype(f32)
    return out


# ------------------------------------------------------------------------------------------------
# conv backward data, oneDNN jit_avx2_conv_bwd_data_kernel_f32 (jit:avx2), groups = 1, no dilation
# ------------------------------------------------------------------------------------------------
def bwd_data_oc_blocking(OW, ndims=4):
    """nb_oc_blocking: oc blocks (of 8) accumulated in ONE register chain per kernel call."""
    if ndims in (3, 4) and OW < 40:
        return 4 if OW < 15 else 2
    return 1


def conv2d_backward_data(dy, w, in_shape, stride=1, padding=0, oc_chunk_blocks=None, order='chunk_ocb_kh_kw_oc'):
    """grad_input[n,ic,ih,iw]. OC is padded to a multiple of 8 (nb_oc blocks of 8).  Chunks of
    nb_oc_blocking consecutive oc blocks: acc = +0; for ocb in chunk: for kh asc: for kw asc:
    for oc in block asc: acc = fmaf(dy[n,oc,oh,ow], w[oc,ic,kh,kw], acc) (valid taps only,
    oh = (ih+p-kh)/s, ow = (iw+p-kw)/s integral and in range).  Chunk results: g = acc (first chunk),
    else g = acc + g (float add)."""
    if stride != 1:
        raise NotImplementedError('stride > 1 grad_input runs oneDNN brgconv_strided:avx2 (not modelled)')
    dy = np.asarray(dy, f32); w = np.asarray(w, f32)
    N, OC, OH, OW = dy.shape; _, IC, KH, KW = w.shape
    _, _, H, W = in_shape
    s, p = stride, padding
    nb_oc = (OC + 7) // 8
    ocb_blk = oc_chunk_blocks or bwd_data_oc_blocking(OW)
    # "transposed" gather: for each (kh, kw) and each (ih, iw), the dy position
    dyf = dy.astype(f64)
    res = None
    for c0 in range(0, nb_oc, ocb_blk):
        acc = np.zeros((N, IC, H, W), f64)
        taps = []
        if order == 'chunk_ocb_kh_kw_oc':
            for ocb in range(c0, min(nb_oc, c0 + ocb_blk)):
                for kh in range(KH):
                    for kw in range(KW):
                        for oc in range(ocb * 8, min(OC, ocb * 8 + 8)):
                            taps.append((oc, kh, kw))
        elif order == 'oc_kh_kw':
            for oc in range(c0 * 8, min(OC, (c0 + ocb_blk) * 8)):
                for kh in range(KH):
                    for kw in range(KW):
                        taps.append((oc, kh, kw))
        for oc, kh, kw in taps:
            # ih = oh*s + kh - p  <=> oh = (ih + p - kh)/s
            ih = np.arange(H); iw = np.arange(W)
            th = ih + p - kh; tw = iw + p - kw
            vh = (th >= 0) & (th % s == 0) & (th // s < OH)
            vw = (tw >= 0) & (tw % s == 0) & (tw // s < OW)
            ohi = np.clip(th // s, 0, OH - 1); owi = np.clip(tw // s, 0, OW - 1)
            d = dyf[:, oc][:, ohi][:, :, owi][:, None]            # (N,1,H,W)
            m = (vh[:, None] & vw[None, :])[None, None]
            acc = _fma_masked(d, w[oc, :, kh, kw].astype(f64)[None, :, None, None], acc, m)
        acc = acc.astype(f32)
        res = acc if res is None else (acc + res).astype(f32)
    return res


# ================================================================================================
# MKL sgemm (oneMKL 2024.2 inside torch 2.13, this AVX2 AMD EPYC), as called by torch Linear:
#   forward      out = x @ W^T + b : SGEMM('T','N', m=Out, n=Batch, k=In)  C = bias (beta=1) or beta=0
#   grad_input   g @ W             : SGEMM('N','N', m=In,  n=Batch, k=Out) beta=0
#   grad_weight  g^T @ x           : SGEMM('N','T', m=In,  n=Out,   k=Batch) beta=0
# Written as C[m, n] = C0[m, n] + sum_k a[m, k] * b[n, k]   (a_vecs: (M, K), b_vecs: (N, K)).
# Empirical model (see FWD_REPORT.md); three kernels:
#   'big'  : FMA chain over k in k-blocks of kc (kc = K if K <= 192, K//2 if 192 < K < 384, else 192;
#            the remainder is the last block).  Each block starts at 0; C = C0 + blk0, C = C + blk1, ...
#   'dot'  : ('T','N' only) non-FMA (round(a*b) then add) k-lane dot product: L = 4 lanes for rows m in
#            the full groups of 4 (m < 4*(M//4)), L = 8 lanes for the M % 4 remainder rows. A scalar
#            head of `peel` products aligns b's row to 16 bytes; it becomes the initial value of lane 0.
#            r = tree(lanes) then + tail products one by one, then + C0.
#   'seqn' : ('N','N' / 'N','T' with small n) non-FMA sequential chain over k from 0.
# Kernel choice per thread piece of the n range:   T=1: one piece;  T=2: n0 = min(N, roundup(ceil(N/2), 4))
#   (T=2 but one piece when (M <= 16 and K <= 16) or (M <= 100 and K <= 4): mkl_uses_threads)
#   'T','N': M < 12 or piece_n <= 3 -> 'dot' else 'big'
#   'N','N' / 'N','T': piece_n <= 3 -> 'seqn'; M < 12 -> not modelled; else 'big'
# ================================================================================================
def _prod32(a, b):
    return (a * b).astype(f32).astype(f64)


def _kc_rule(K):
    return 192 if K >= 384 else (K // 2 if K > 192 else K)


def _k_big(a, b, c0):
    """a: (K, E), b: (K, E) float64 exact f32; c0: (E,) or None"""
    K, E = a.shape
    kc = max(1, _kc_rule(K))
    C = None if c0 is None else c0.copy()
    for k0 in range(0, K, kc):
        acc = np.zeros(E)
        for k in range(k0, min(K, k0 + kc)):
            acc = fma_step(a[k], b[k], acc)
        C = acc if C is None else (C + acc).astype(f32).astype(f64)
    if C is None:
        C = np.zeros(E)
    return C


def _k_seqn(a, b, c0, head=None):
    """non-FMA chain over k.  head: boolean (E,) mask of the rows peeled before the 16-byte aligned
    vector loop (C column misaligned); those use blocks of 8 k: acc += p[k0..k0+3] one by one, then
    t = p[k0+4] + ... + p[k0+7] (chain from p[k0+4]) and acc = acc + t; the K % 8 tail one by one."""
    K, E = a.shape
    acc = np.zeros(E)
    for k in range(K):
        acc = (acc + _prod32(a[k], b[k])).astype(f32).astype(f64)
    if head is not None and head.any():
        h = np.nonzero(head)[0]; ah = a[:, h]; bh = b[:, h]
        hacc = np.zeros(h.size)
        K8 = (K // 8) * 8
        for k0 in range(0, K8, 8):
            for k in range(k0, k0 + 4):
                hacc = (hacc + _prod32(ah[k], bh[k])).astype(f32).astype(f64)
            t = _prod32(ah[k0 + 4], bh[k0 + 4])
            for k in range(k0 + 5, k0 + 8):
                t = (t + _prod32(ah[k], bh[k])).astype(f32).astype(f64)
            hacc = (hacc + t).astype(f32).astype(f64)
        for k in range(K8, K):                    # K % 8 tail: one by one onto acc
            hacc = (hacc + _prod32(ah[k], bh[k])).astype(f32).astype(f64)
        acc[h] = hacc
    if c0 is not None:
        acc = (acc + c0).astype(f32).astype(f64)
    return acc


def _tree_half(q):
    q = list(q)
    while len(q) > 1:
        h = len(q) // 2
        q = [(q[i] + q[i + h]).astype(f32).astype(f64) for i in range(h)]
    return q[0]


def _k_dot(a, b, c0, L, peel):
    """all elements share L and peel"""
    K, E = a.shape
    peel = min(peel, K)
    s = None
    for k in range(peel):
        p = _prod32(a[k], b[k])
        s = p if s is None else (s + p).astype(f32).astype(f64)
    nmain = ((K - peel) // L) * L
    lanes = [np.zeros(E) for _ in range(L)]
    if s is not None:
        lanes[0] = s
    for t in range(nmain):
        k = peel + t
        lanes[t % L] = (lanes[t % L] + _prod32(a[k], b[k])).astype(f32).astype(f64)
    r = _tree_half(lanes)
    for k in range(peel + nmain, K):
        r = (r + _prod32(a[k], b[k])).astype(f32).astype(f64)
    if c0 is not None:
        r = (r + c0).astype(f32).astype(f64)
    return r


def mkl_uses_threads(M, N, K):
    """Measured at T=2 (n = 5..11; same for 'TN', 'NN', 'NT'): MKL stays single-threaded for
    (M <= 16 and K <= 16) or (17 <= M <= 100 and K <= 4)."""
    return not ((M <= 16 and K <= 16) or (M <= 100 and K <= 4))


def mkl_n_pieces(N, nthr, M=None, K=None):
    if nthr <= 1 or (M is not None and not mkl_uses_threads(M, N, K)):
        return [(0, N)]
    if nthr == 2:
        n0 = min(N, -(-(-(-N // 2)) // 4) * 4)
        return [(0, n0)] + ([(n0, N)] if n0 < N else [])
    raise NotImplementedError('thread split for nthr > 2 not measured')


def mkl_sgemm(layout, a_vecs, b_vecs, c0=None, nthr=2, b_row_offsets=None):
    """C[m, n] = c0[m, n] + sum_k a_vecs[m, k] * b_vecs[n, k] with MKL's order (see above).
    layout: 'TN' (Linear forward), 'NN' (grad_input), 'NT' (grad_weight).
    b_row_offsets: (N,) element offsets of b's rows in memory (TN 'dot' kernel alignment; default n*K)."""
    a_vecs = np.asarray(a_vecs, f32); b_vecs = np.asarray(b_vecs, f32)
    M, K = a_vecs.shape; N = b_vecs.shape[0]
    if layout == 'TN' and (N == 1 or M == 1):
        raise NotImplementedError("'T','N' with n == 1 (batch-1 Linear; Out == 1 is swapped by torch into n == 1): "
                                  "MKL's n == 1 path is not modelled")
    if b_row_offsets is None:
        b_row_offsets = np.arange(N) * K
    out = np.zeros((M, N), f64)
    for n0, n1 in mkl_n_pieces(N, nthr, M, K):
        pn = n1 - n0
        if layout == 'TN':
            kern = 'dot' if (M < 12 or pn <= 3) else 'big'
        else:
            if pn <= 3:
                kern = 'seqn'
            elif M < 12:
                raise NotImplementedError('NN/NT with M < 12: small-m MKL kernel not modelled')
            else:
                kern = 'big'
        if kern in ('big', 'seqn'):
            a = np.repeat(a_vecs.T[:, :, None], pn, 2).reshape(K, -1).astype(f64)
            b = np.repeat(b_vecs[n0:n1].T[:, None, :], M, 1).reshape(K, -1).astype(f64)
            cc = None if c0 is None else np.asarray(c0, f32)[:, n0:n1].reshape(-1).astype(f64)
            if kern == 'big':
                r = _k_big(a, b, cc)
            else:   # rows m < peel(n) of C column n (offset n*M) are peeled to 16-byte alignment
                peel = (4 - (np.arange(n0, n1) * M) % 4) % 4                  # (pn,)
                head = (np.arange(M)[:, None] < peel[None, :]).reshape(-1)
                r = _k_seqn(a, b, cc, head)
            out[:, n0:n1] = r.reshape(M, pn)
        else:
            m4 = 4 * (M // 4)
            for n in range(n0, n1):
                peel = int((4 - (b_row_offsets[n] % 4)) % 4)
                for (ms, me, L) in ((0, m4, 4), (m4, M, 8)):
                    if me <= ms:
                        continue
                    a = a_vecs[ms:me].T.astype(f64)                       # (K, rows)
                    b = np.repeat(b_vecs[n][:, None], me - ms, 1).astype(f64)
                    cc = None if c0 is None else np.asarray(c0, f32)[ms:me, n].astype(f64)
                    out[ms:me, n] = _k_dot(a, b, cc, L, peel)
    return out.astype(f32)


def linear_forward(x, W, b=None, nthr=2):
    """torch F.linear(x, W, b) for 2-D contiguous x (Batch, In), W (Out, In)."""
    x = np.asarray(x, f32); W = np.asarray(W, f32)
    c0 = None if b is None else np.repeat(np.asarray(b, f32)[:, None], x.shape[0], 1)
    return mkl_sgemm('TN', W, x, c0, nthr).T.copy()


def linear_grad_input(g, W, nthr=2):
    """grad wrt x: g (Batch, Out) @ W (Out, In)."""
    g = np.asarray(g, f32); W = np.asarray(W, f32)
    return mkl_sgemm('NN', W.T, g, None, nthr).T.copy()


def linear_grad_weight(g, x, nthr=2):
    """grad wrt W: g^T (Out, Batch) @ x (Batch, In)."""
    g = np.asarray(g, f32); x = np.asarray(x, f32)
    return mkl_sgemm('NT', x.T, g.T, None, nthr).T.copy()


# ================================================================================================
# torch sum over dim 0 of a contiguous 2-D float tensor (R, C)  (aten cascade_sum, SumKernel.cpp)
# used for Linear grad_bias = grad_output.sum(0)
# ================================================================================================
def _ceil_log2(x):
    return 1 if x <= 2 else int(x - 1).bit_length()


def _multi_row_sum(rows):
    """rows: list of float64 arrays (exact f32), summed in the cascade order of multi_row_sum."""
    size = len(rows)
    num_levels = 4
    lp = max(4, _ceil_log2(size) // num_levels)
    step = 1 << lp; mask = step - 1
    shape = rows[0].shape if size else ()
    acc = [np.zeros(shape) for _ in range(num_levels)]
    i = 0
    while i + step <= size:
        for _ in range(step):
            acc[0] = (acc[0] + rows[i]).astype(f32).astype(f64); i += 1
        for j in range(1, num_levels):
            acc[j] = (acc[j] + acc[j - 1]).astype(f32).astype(f64); acc[j - 1] = np.zeros(shape)
            if (i & (mask << (j * lp))) != 0:
                break
    while i < size:
        acc[0] = (acc[0] + rows[i]).astype(f32).astype(f64); i += 1
    for j in range(1, num_levels):
        acc[0] = (acc[0] + acc[j]).astype(f32).astype(f64)
    return acc[0]


def _row_sum(rows):
    """row_sum with ilp_factor 4: rows viewed as (size/4, 4); 4 cascades; leftovers into partial 0."""
    size = len(rows); ilp = 4; sz = size // ilp
    if sz > 0:
        parts = [_multi_row_sum([rows[ilp * t + k] for t in range(sz)]) for k in range(ilp)]
    else:
        parts = [np.zeros(rows[0].shape) for _ in range(ilp)]
    for i in range(sz * ilp, size):
        parts[0] = (parts[0] + rows[i]).astype(f32).astype(f64)
    r = parts[0]
    for k in range(1, ilp):
        r = (r + parts[k]).astype(f32).astype(f64)
    return r


def sum_contiguous(v):
    """torch.sum of a contiguous 1-D float32 vector (vectorized_inner_sum; size < 8: scalar row_sum)."""
    v = np.asarray(v, f32).astype(f64)
    n = v.size
    if n < 8:
        return _row_sum([v[i:i + 1] for i in range(n)]).astype(f32)[0] if n else f32(0)
    nv = n // 8
    vecs = [v[8 * i:8 * i + 8] for i in range(nv)]          # lane l of vector i = element 8i + l
    part = _row_sum(vecs)                                    # (8,) lane partials
    acc = np.zeros(1)
    for k in range(nv * 8, n):                               # scalar tail first ...
        acc = (acc + v[k]).astype(f32).astype(f64)
    for l in range(8):                                       # ... then lanes 0..7 one by one
        acc = (acc + part[l]).astype(f32).astype(f64)
    return acc.astype(f32)[0]


def sum_dim0(t):
    """torch.sum(t, 0) for a contiguous float32 (R, C) tensor (serial path: R*C < 32768;
    larger sizes also matched in tests up to 4100 x 100 at T = 1, 2)."""
    t = np.asarray(t, f32).astype(f64)
    R, C = t.shape
    if C == 1:
        return np.array([sum_contiguous(t[:, 0])], f32)
    out = np.zeros(C)
    rows = [t[r] for r in range(R)]
    if C >= 8:       # vectorized_outer_sum (Vectorized<float> = 8 lanes, nrows = 4)
        j = 0
        while j + 32 <= C:
            out[j:j + 32] = _multi_row_sum([r[j:j + 32] for r in rows]); j += 32
        while j + 8 <= C:
            out[j:j + 8] = _row_sum([r[j:j + 8] for r in rows]); j += 8
        if j < C:
            out[j:] = _row_sum([r[j:] for r in rows])
    else:            # scalar_outer_sum (nrows = 4)
        j = 0
        while j + 4 <= C:
            out[j:j + 4] = _multi_row_sum([r[j:j + 4] for r in rows]); j += 4
        if j < C:
            out[j:] = _row_sum([r[j:] for r in rows])
    return (np.zeros(C) + out).astype(f32)


def linear_grad_bias(g):
    return sum_dim0(g)


# ================================================================================================
# self-test against torch:  /work/venv-torch/bin/python /tmp/bnwork/fwd_emulate.py [threads...]
# ================================================================================================
def _selftest(threads=(2, 1)):
    import torch
    import torch.nn.functional as F
    bad = []

    def cmp(tag, emu, ref):
        ref = ref.detach().numpy() if hasattr(ref, 'detach') else np.asarray(ref)
        d = int((np.asarray(emu, f32).view(np.int32) != np.asarray(ref, f32).view(np.int32)).sum())
        if d:
            bad.append(tag); print('DIFF', tag, d, 'of', ref.size)

    conv_cfgs = [(64, 1, 8, 28, 3, 1, 1), (64, 8, 16, 14, 3, 1, 1), (8, 3, 8, 12, 3, 1, 1), (4, 24, 8, 7, 3, 1, 1),
                 (4, 8, 40, 9, 3, 1, 1), (2, 8, 32, 20, 3, 1, 1), (2, 8, 16, 41, 3, 1, 1), (2, 12, 8, 10, 3, 1, 1),
                 (2, 8, 8, 12, 5, 1, 2), (4, 1, 6, 28, 5, 1, 0), (8, 4, 16, 9, 3, 2, 1), (2, 16, 32, 14, 3, 1, 1)]
    lin_cfgs = [(64, 784, 32), (64, 32, 10), (2, 784, 32), (2, 32, 10), (8, 784, 32), (10, 784, 32), (10, 32, 10),
                (32, 784, 32), (32, 32, 10), (512, 784, 32), (512, 32, 10), (5, 13, 12), (3, 37, 10), (9, 100, 7),
                (64, 300, 20), (2, 2000, 32), (3, 32, 500), (11, 64, 64), (64, 1568, 32)]
    for T in threads:
        torch.set_num_threads(T)
        for i, (N, IC, OC, H, k, s, p) in enumerate(conv_cfgs):
            torch.manual_seed(i)
            x = torch.randn(N, IC, H, H, requires_grad=True); w = torch.randn(OC, IC, k, k) * 0.3; b = torch.randn(OC)
            y = F.conv2d(x, w, b, stride=s, padding=p); g = torch.randn_like(y); y.backward(g)
            cmp(f'T{T} conv fwd {N, IC, OC, H, k, s, p}', conv2d_forward(x.detach().numpy(), w.numpy(), b.numpy(), s, p), y)
            if s == 1:
                cmp(f'T{T} conv bwd_data {N, IC, OC, H, k, s, p}',
                    conv2d_backward_data(g.numpy(), w.numpy(), x.shape, s, p), x.grad)
        for i, (Bt, In, Out) in enumerate(lin_cfgs):
            torch.manual_seed(100 + i)
            x = torch.randn(Bt, In, requires_grad=True); W = (torch.randn(Out, In) / In ** 0.5).requires_grad_()
            b = torch.randn(Out).requires_grad_()
            y = F.linear(x, W, b); g = torch.randn_like(y); y.backward(g)
            xn, Wn, bn, gn = x.detach().numpy(), W.detach().numpy(), b.detach().numpy(), g.numpy()
            cmp(f'T{T} linear fwd {Bt, In, Out}', linear_forward(xn, Wn, bn, T), y)
            cmp(f'T{T} linear fwd nobias {Bt, In, Out}', linear_forward(xn, Wn, None, T), F.linear(x, W))
            cmp(f'T{T} linear grad_in {Bt, In, Out}', linear_grad_input(gn, Wn, T), x.grad)
            cmp(f'T{T} linear grad_W {Bt, In, Out}', linear_grad_weight(gn, xn, T), W.grad)
            cmp(f'T{T} linear grad_b {Bt, In, Out}', linear_grad_bias(gn), b.grad)
        for R, C in ((64, 32), (64, 10), (32, 10), (100, 7), (257, 33), (1000, 1), (5, 3)):
            torch.manual_seed(R + C); t = torch.randn(R, C)
            cmp(f'T{T} sum0 {R, C}', sum_dim0(t.numpy()), t.sum(0))
    print('ALL BIT-EXACT' if not bad else f'{len(bad)} FAILURES')
    return not bad


if __name__ == '__main__':
    _selftest(tuple(int(a) for a in sys.argv[1:]) or (2, 1))
