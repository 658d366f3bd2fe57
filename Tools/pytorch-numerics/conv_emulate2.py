#!/usr/bin/env python3
"""Bit-exact numpy emulation of PyTorch 2.13 CPU float32 convolution weight / bias gradients
(aten::convolution_backward with output_mask [*, True, True]; autograd through F.conv1d / F.conv2d /
F.conv_transpose1d/2d) on an AVX2 CPU without AVX-512 (oneDNN v3.12 inside torch), any thread count T.

Models (see CONV_MATRIX.md for the dispatch rule and the verification matrix):
  'jit:avx2'     jit_avx2_convolution_bwd_weights_t      (general direct conv, no dilation)
  'jit_dw:avx2'  jit_uni_dw_convolution_bwd_weights_t    (depthwise, multiplier 1, kw <= 3)
  'jit_1x1:avx2' jit_avx2_1x1_convolution_bwd_weights_t  (1x1 kernel, no padding, groups 1)
  'gemm:jit'     gemm_convolution_bwd_weights_t          (im2col + oneDNN nocopy sgemm / gemv_t)
Not modelled: PyTorch's own _Slow2d path (use_mkldnn() false: im2col + MKL sgemm, bias = at::sum).

Common model: every weight element has float32 accumulators updated with one-rounding fmaf (or, in
some sgemm tiles, separate mul + add); taps in the zero padding are skipped (identical to adding 0).
Images are split into contiguous ranges ("partials", one per thread of a reduction group); partials
start at +0.0f and are added left to right in float32.  Kernels differ in the number of partials,
the (oh, ow) order inside an image, chunking, and the sgemm tile accumulation pattern.

Entry points: select_impl(), conv_bwd_weights(), conv_transpose_bwd_weights().
Run this file to self-test against torch (threads 1, 2, 4).
"""
import numpy as np

f32, f64, u64 = np.float32, np.float64, np.uint64


def div_up(a, b):
    return -(-a // b)


def rnd_up(a, b):
    return div_up(a, b) * b


def balance(nthr, job_size, njobs, reduction_size, max_buffer_size=1 << 21):
    """oneDNN reduce_balancer_t::balance() (allow_nthr_in_group = true). Returns (ngroups, nthr_per_group)."""
    min_njobs_per_group = max(1, njobs // nthr)
    max_njobs_per_group = max(1, max_buffer_size // (nthr * job_size))
    ngroups = min(njobs // min_njobs_per_group, nthr)
    nthr_per_group = min(nthr // ngroups, reduction_size)
    best = njobs * job_size * reduction_size
    for c_njobs in range(min_njobs_per_group, njobs):
        c_ngroups = min(njobs // c_njobs, nthr)
        c_tpg = min(nthr // c_ngroups, reduction_size)
        c_ub = div_up(njobs, c_ngroups)
        if c_tpg > 1 and c_ub > max_njobs_per_group:
            continue
        c = job_size * c_ub * (div_up(reduction_size, c_tpg) + (1 if c_tpg != 1 else 0))
        if c < best:
            ngroups, nthr_per_group, best = c_ngroups, c_tpg, c
    return ngroups, nthr_per_group


def balance211(n, team, tid):
    if team <= 1 or n == 0:
        return 0, n
    n1 = div_up(n, team); n2 = n1 - 1; T1 = n - n2 * team
    my = n1 if tid < T1 else n2
    start = tid * n1 if tid <= T1 else T1 * n1 + (tid - T1) * n2
    return start, start + my


# ------------------------------------------------------------------------------------------------
# exact float32 FMA on float64 carriers
# ------------------------------------------------------------------------------------------------
def _fma32_exact(a, b, c):
    a = np.asarray(a, f64); b = np.asarray(b, f64); c = np.asarray(c, f64)
    p = a * b; s = p + c                                   # p exact (24+24 bits <= 53)
    bp = s - c; e = (p - bp) + (c - (s - bp))             # TwoSum: s + e == p + c exactly
    bits = s.view(u64)                                     # round-to-odd on the sticky bit
    fix = (e != 0) & ((bits & u64(1)) == 0)
    s = np.where(fix, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)
    return s.astype(f32)


def fma_step(a64, b64, c64):
    """c64 holds float32 values as float64; returns float64 carrier of fmaf(a, b, c).
    fl32(fl64(a*b + c)) is exact unless fl64 lands on a float32 rounding midpoint: redo those."""
    s = a64 * b64
    s += c64
    r = s.astype(f32)
    mid = (s.view(u64) & u64(0x1FFFFFFF)) == u64(0x10000000)
    if mid.any():
        idx = np.nonzero(mid)
        A = np.broadcast_to(a64, s.shape)[idx]; B = np.broadcast_to(b64, s.shape)[idx]
        C = np.broadcast_to(c64, s.shape)[idx]
        r[idx] = _fma32_exact(A, B, C)
    return r.astype(f64)


# ------------------------------------------------------------------------------------------------
# geometry
# ------------------------------------------------------------------------------------------------
class Geo:
    def __init__(self, x, dy, KH, KW, s, p, dl, groups):
        self.N, self.IC, self.IH, self.IW = x.shape
        self.OC, self.OH, self.OW = dy.shape[1:]
        self.KH, self.KW = KH, KW
        (self.sh, self.sw), (self.ph, self.pw), (self.dh, self.dw) = s, p, dl
        self.G = groups; self.ICg = self.IC // groups; self.OCg = self.OC // groups
        self.S = self.OH * self.OW
        self.xp = np.pad(x, ((0, 0), (0, 0), (self.ph, self.ph), (self.pw, self.pw))).astype(f64)
        self.dy = dy
        self._cache = {}

    def ops(self, img):
        """A (S, G, OCg, 1, 1, 1) dy values, B (S, G, 1, ICg, KH, KW) input taps, float64."""
        if img in self._cache:
            return self._cache[img]
        G, OCg, ICg, KH, KW, OH, OW, S = self.G, self.OCg, self.ICg, self.KH, self.KW, self.OH, self.OW, self.S
        A = self.dy[img].reshape(G, OCg, S).astype(f64)
        A = np.ascontiguousarray(np.moveaxis(A, -1, 0))[:, :, :, None, None, None]
        pt = np.empty((self.IC, KH, KW, OH, OW), f64)
        for a in range(KH):
            for b in range(KW):
                h0, w0 = a * self.dh, b * self.dw
                pt[:, a, b] = self.xp[img, :, h0:h0 + (OH - 1) * self.sh + 1:self.sh,
                                      w0:w0 + (OW - 1) * self.sw + 1:self.sw]
        B = np.ascontiguousarray(np.moveaxis(pt.reshape(G, ICg, KH, KW, S), -1, 0))[:, :, None]
        self._cache = {img: (A, B)}
        return A, B


def _run_partial(geo, chunks):
    """chunks: list of chunks; a chunk is a list of (img, positions) steps.  Each chunk accumulates
    from +0 with fmaf in the given order; chunk results are added (float32) to the running output."""
    out = None
    shape = (geo.G, geo.OCg, geo.ICg, geo.KH, geo.KW)
    for chunk in chunks:
        acc = np.zeros(shape, f64)
        for img, pos in chunk:
            A, B = geo.ops(img)
            for q in pos:
                acc = fma_step(A[q], B[q], acc)
        acc = acc.astype(f32)
        out = acc if out is None else (acc + out).astype(f32)
    if out is None:
        out = np.zeros(shape, f32)
    return out.reshape(geo.OC, geo.ICg, geo.KH, geo.KW)


def _bias_partial(dy, imgs):
    N, OC = dy.shape[:2]
    d = dy.reshape(N, OC, -1)
    b = np.zeros(OC, f32)
    for img in imgs:
        for p in range(d.shape[2]):
            b = b + d[img, :, p]                   # float32 + float32 -> float32 (one rounding)
    return b


def reduce_parts(parts):
    r = parts[0].astype(f32)
    for p in parts[1:]:
        r = (r + p).astype(f32)
    return r


# ------------------------------------------------------------------------------------------------
# kernel models
# ------------------------------------------------------------------------------------------------
def _end_pad(l_pad, o, i, s, ext_k):
    return max(0, (o - 1) * s + ext_k - (i + l_pad))


def model_jit_avx2(geo, nthr):
    G, ICg, OCg = geo.G, geo.ICg, geo.OCg
    flat = ICg == 3
    if G == 1:
        OCp = rnd_up(OCg, 8); ICp = ICg if flat else rnd_up(ICg, 8)
    else:
        OCp, ICp = OCg, ICg
    ic_block = ICp if flat else 8
    nb_ic = div_up(ICp, ic_block); nb_oc = div_up(OCp, 8)
    _, tpg_w = balance(nthr, geo.KH * geo.KW * ic_block * 8, G * nb_oc * nb_ic, geo.N)
    _, tpg_b = balance(nthr, 8, G * nb_oc, geo.N)
    allpos = range(geo.S)
    wparts = [_run_partial(geo, [[(i, allpos) for i in range(*balance211(geo.N, tpg_w, t))]])
              for t in range(tpg_w)]
    branges = [range(*balance211(geo.N, tpg_b, t)) for t in range(tpg_b)]
    return wparts, branges


def dw_position_order(OH, OW, IW, KW, sw, l_pad):
    """jit_uni_dw bwd_weights: oh blocks of 15 (driver), inside each: ow blocks (kernel, when
    OW > 30: blocks of 15 with tail rebalancing), inside each: oh, then ow."""
    r_pad = _end_pad(l_pad, OW, IW, sw, KW)
    if OW > 30:
        uw = min(15, OW); trips = OW // uw; tail = OW % uw
        if (tail == 0 and r_pad != 0) or (r_pad > 0 and r_pad >= tail):
            if trips > 1:
                tail += uw; trips -= 1
            else:
                tail += uw - uw // 2; uw //= 2
        blocks = [uw] * trips + ([tail] if tail else [])
    else:
        blocks = [OW]
    order = []
    for oh0 in range(0, OH, 15):
        ow0 = 0
        for bw in blocks:
            for oh in range(oh0, min(oh0 + 15, OH)):
                order.extend(oh * OW + ow for ow in range(ow0, ow0 + bw))
            ow0 += bw
    assert sorted(order) == list(range(OH * OW))
    return order


def model_jit_dw(geo, nthr):
    nb_ch = div_up(geo.G, 8)
    nthr_g = min(nb_ch, nthr)
    nthr_mb = min(max(1, nthr // nthr_g), geo.N)
    order = dw_position_order(geo.OH, geo.OW, geo.IW, geo.KW, geo.sw, geo.pw)
    ranges = [range(*balance211(geo.N, nthr_mb, t)) for t in range(nthr_mb)]
    wparts = [_run_partial(geo, [[(i, order) for i in r]]) for r in ranges]
    return wparts, ranges


def model_jit_1x1(geo, nthr):
    G = geo.G
    OCp = rnd_up(geo.OCg, 8); ICp = rnd_up(geo.ICg, 8)
    nb_oc, nb_ic = OCp // 8, ICp // 8

    def blk(n, lim):
        while n > lim:
            if n % 2 == 0:
                n //= 2
            elif n % 3 == 0:
                n //= 3
            else:
                break
        return n
    nb_load_blocking = blk(nb_oc, 32); nb_bcast_blocking = blk(nb_ic, 9)
    load_work = div_up(nb_oc, nb_load_blocking); bcast_work = div_up(nb_ic, nb_bcast_blocking)
    job_size = nb_load_blocking * nb_bcast_blocking * 64
    OS = geo.S
    _, tpg_w = balance(nthr, job_size, G * load_work * bcast_work, geo.N * OS, nthr * job_size * 8)
    _, tpg_b = balance(nthr, 8, G * nb_oc, geo.N, nthr * job_size * 8)
    wparts = []
    for t in range(tpg_w):
        lo, hi = balance211(geo.N * OS, tpg_w, t)
        chunks = []
        mb_sp = lo
        while mb_sp < hi:
            img, sp = divmod(mb_sp, OS)
            step = min(OS - sp, hi - mb_sp)
            s0, s1 = sp, sp + step
            while s0 < s1:                       # spatial chunks: 128, last one up to 191
                rem = s1 - s0
                n = rem if rem < 192 else 128
                chunks.append([(img, range(s0, s0 + n))])
                s0 += n
            mb_sp += step
        wparts.append(_run_partial(geo, chunks))
    branges = [range(*balance211(geo.N, tpg_b, t)) for t in range(tpg_b)]
    return wparts, branges


# ------------------------------------------------------------------------------------------------
# gemm:jit  (oneDNN gemm_convolution_bwd_weights_t, ncsp): per image and group an im2col matrix and
# extended_sgemm('T', 'N', M = ICg*KH*KW, N = OCg, K = OH*OW, beta = first ? 0 : 1) which, for
# 1/M + 1/N >= 0.0038 (always, in practice), runs the "nocopy" xbyak sgemm of
# src/cpu/x64/gemm/f32/jit_avx_gemm_f32.cpp.  Bias: per (img, oh) a sequential row sum, added to db.
# ------------------------------------------------------------------------------------------------
def _nocopy_blocks(n, size, halve_above):
    """oneDNN nocopy's blocking of n: blocks of `size`, except that a remainder of more than
    `halve_above` (and less than 2*size) is split in two halves."""
    out = []; b = 0
    while b < n:
        s = n - b
        if s >= 2 * size:
            s = size
        elif s > halve_above:
            s = (s + 1) // 2
        out.append((b, b + s)); b += s
    return out


def _nocopy_kblocks(K, BK=256):
    return _nocopy_blocks(K, BK, BK)


def _nocopy_nblocks(N, BN=96):
    return _nocopy_blocks(N, BN, BN + BN // 2)


def _nocopy_tile_modes(M, N):
    """per (m, n) of one sgemm_nocopy_driver call: 0 = one FMA chain (16x4..16x6 tiles);
    1 = two accumulators (even / odd k) with FMA (16x3, 8x3..8x6); 2 = two accumulators with
    separate vmulps + vaddps (16x1, 16x2, 8x1, 8x2).  M tiles: 16 rows, tail > 8 -> 16-tile,
    tail <= 8 -> 8-tile.  N tiles: 6 columns, tail N%6 (inside blocks of BN = 96)."""
    mk = np.empty(M, int); full = (M // 16) * 16
    mk[:full] = 16
    if M - full:
        mk[full:] = 16 if M - full > 8 else 8
    un = np.empty(N, int)
    for b0, b1 in _nocopy_nblocks(N):
        w = b1 - b0; f = (w // 6) * 6
        un[b0:b0 + f] = 6
        if w - f:
            un[b0 + f:b1] = w - f
    MK = mk[:, None]; UN = un[None, :]
    return np.where((MK == 16) & (UN >= 4), 0, np.where(UN <= 2, 2, 1))


def _sgemm_nocopy(A, B, C, beta0):
    """A: (K, G, M) float64, B: (K, G, N) float64, C: (G, M, N) float32 or None (beta0 = True
    means beta == 0).  One sgemm_nocopy_driver call per group; returns float32 (G, M, N)."""
    K, G, M = A.shape; N = B.shape[2]
    mode = _nocopy_tile_modes(M, N)[None]
    for k0, k1 in _nocopy_kblocks(K):
        Kb = k1 - k0
        one = np.zeros((G, M, N), f64)
        ev = np.zeros((G, M, N), f64); od = np.zeros((G, M, N), f64)
        ev2 = np.zeros((G, M, N), f32); od2 = np.zeros((G, M, N), f32)
        for i in range(Kb - Kb % 2):
            a = A[k0 + i][:, :, None]; b = B[k0 + i][:, None, :]
            one = fma_step(a, b, one)
            if i % 2 == 0:
                ev = fma_step(a, b, ev); ev2 = ev2 + (a * b).astype(f32)
            else:
                od = fma_step(a, b, od); od2 = od2 + (a * b).astype(f32)
        two = (ev + od).astype(f32).astype(f64)
        two2 = ev2 + od2
        if Kb % 2:
            a = A[k1 - 1][:, :, None]; b = B[k1 - 1][:, None, :]
            one = fma_step(a, b, one); two = fma_step(a, b, two)
            two2 = two2 + (a * b).astype(f32)
        acc = np.where(mode == 0, one, np.where(mode == 1, two, two2.astype(f64))).astype(f32)
        C = acc if (k0 == 0 and beta0) else (acc + C).astype(f32)
    return C


def _calc_nthr_nocopy_avx(m, n, k, nthrs):
    """gemm_utils::calc_nthr_nocopy_avx (src/cpu/gemm/f32/gemm_utils_f32.cpp)."""
    if nthrs == 1:
        return 1, 1, 1, m, n, k
    nthr = nthrs
    nthr_m = div_up(m, 64); nthr_n = div_up(n, 48); nthr_k = 1
    nthr_other = 1
    while nthr_m * nthr_n * nthr_other < nthr and k // (nthr_other + 1) > 384:
        nthr_other += 1
        if (nthr // nthr_other) * nthr_other > 0.9 * nthr:
            nthr_k = nthr_other
    nthr //= nthr_k
    if nthr_m == 1:
        nthr_n = nthr
    if nthr_n == 1:
        nthr_m = nthr
    while nthr_m * nthr_n > nthr:
        if nthr_m > nthr_n:
            nthr_m -= 1
        else:
            nthr_n -= 1
    while nthr_m * nthr_n < nthr:
        if nthr_m < nthr_n:
            nthr_m += 1
        else:
            nthr_n += 1
    if nthr_m * nthr_n > nthr and nthr_m > 1 and nthr_n > 1:
        if nthr_m <= nthr_n:
            nthr_m = int(np.sqrt(nthr))
            if nthr_m > div_up(m, 16):
                nthr_m = div_up(m, 16)
            nthr_n = nthr // nthr_m
            while nthr_m > 1 and nthr_m * nthr_n != nthr:
                nthr_m -= 1; nthr_n = nthr // nthr_m
        else:
            nthr_n = int(np.sqrt(nthr))
            if nthr_n > n:
                nthr_n = n
            nthr_m = nthr // nthr_n
            while nthr_n > 1 and nthr_m * nthr_n != nthr:
                nthr_n -= 1; nthr_m = nthr // nthr_n
    MB = div_up(m, nthr_m) + 15; MB -= MB % 16
    NB = div_up(n, nthr_n)
    KB = div_up(k, nthr_k) + 3; KB -= KB % 4
    if MB * nthr_m > m:
        nthr_m = div_up(m, MB)
    if NB * nthr_n > n:
        nthr_n = div_up(n, NB)
    if KB * nthr_k > k:
        nthr_k = div_up(k, KB)
    return nthr_m, nthr_n, nthr_k, MB, NB, KB


def _partition_unit_diff(ithr, nthr, n):
    band = n // nthr
    if band == 0:
        band = 1
    tail = max(0, n - band * nthr)
    if ithr < tail:
        band += 1; off = band * ithr
    else:
        off = band * ithr + tail
    if off >= n:
        return 0, 0
    return off, min(band, n - off)


def _adjust_thread_count(m, n, k, nthrs):
    """gemm_driver.cpp adjust_thread_count<float> (OpenMP runtime, AVX2, no AVX-512)."""
    if n > 50 and m <= 3:
        return nthrs
    if m > 10 * n and n < nthrs and m // nthrs < 24:
        nthrs = max(m // 8 // 3, 1)
    cycles = m * n * k / 32.0 * 2.0
    i = nthrs
    if nthrs <= 4:
        if cycles < 3.0e3:
            return 1
        while i > 1:
            if 3.0e3 * i < cycles * (i - 1):
                break
            i -= 1
    else:
        if cycles < 4.0e3 + 2 * 5.0e2:
            return 1
        while i > 1:
            if (4.0e3 + i * 5.0e2) * i < cycles * (i - 1):
                break
            i -= 2 if i < 10 else (4 if i < 30 else 8)
    return max(i, 1)


def _hsum8(acc):
    """vhaddps; vperm2f128(0x1); vaddps; vhaddps  ->  ((a0+a1)+(a4+a5)) + ((a2+a3)+(a6+a7))"""
    h = lambda i, j: (acc[..., i] + acc[..., j]).astype(f32)
    return (((h(0, 1) + h(4, 5)).astype(f32)) + ((h(2, 3) + h(6, 7)).astype(f32))).astype(f32)


def _gemv_t(X, Amat, Y, beta0):
    """jit_avx_gemv_t_f32_kern: y[j] (+)= dot(x, a[:, j]).  X: (K, G) float64, Amat: (K, G, J),
    Y: (G, J) float32 or None.  Main loop: 8 lanes, k = 16c + l then 16c + 8 + l (FMA); y += hsum;
    then remainder chunks of 8, 4, 2, 1 (bits of K % 16), each: y += hsum(products)."""
    K = X.shape[0]; G, J = Amat.shape[1:]
    y = np.zeros((G, J), f32) if (beta0 or Y is None) else Y.astype(f32)
    nmain = K // 16
    if nmain:
        acc = np.zeros((G, J, 8), f64)
        for c in range(nmain):
            for h in (0, 8):
                k0 = 16 * c + h
                acc = fma_step(np.moveaxis(X[k0:k0 + 8], 0, -1)[:, None, :],
                               np.moveaxis(Amat[k0:k0 + 8], 0, -1), acc)
        y = (y + _hsum8(acc.astype(f32))).astype(f32)
    k0 = 16 * nmain; rem = K - k0
    for ux in (8, 4, 2, 1):
        if rem & ux:
            acc = np.zeros((G, J, 8), f32)
            acc[..., :ux] = (np.moveaxis(X[k0:k0 + ux], 0, -1)[:, None, :] *
                             np.moveaxis(Amat[k0:k0 + ux], 0, -1)).astype(f32)
            y = (y + _hsum8(acc)).astype(f32)
            k0 += ux
    return y


def _sgemm_avx(A, B, C, beta0, nthrs):
    """gemm_driver -> (N == 1 or M == 1: gemv) -> jit_avx_gemm_f32(nthrs, 'T', 'N', ...):
    m/n/k partition over threads, k partials summed."""
    K, G, M = A.shape; N = B.shape[2]
    if N == 1:
        y = _gemv_t(B[:, :, 0], A, None if C is None else C[:, :, 0], beta0)
        return y[:, :, None]
    if M == 1:
        y = _gemv_t(A[:, :, 0], B, None if C is None else C[:, 0, :], beta0)
        return y[:, None, :]
    if nthrs > 1:
        nthrs = _adjust_thread_count(M, N, K, nthrs)
    nm, nn, nk, MB, NB, KB = _calc_nthr_nocopy_avx(M, N, K, nthrs)
    if nm * nn * nk == 1:
        return _sgemm_nocopy(A, B, C, beta0)
    out = np.zeros((G, M, N), f32) if C is None else C.copy()
    for im in range(nm):
        m0, m1 = MB * im, min(M, MB * (im + 1))
        for jn in range(nn):
            n0, n1 = NB * jn, min(N, NB * (jn + 1))
            if m1 <= m0 or n1 <= n0:
                continue
            parts = []
            for ik in range(nk):
                k0, k1 = KB * ik, min(K, KB * (ik + 1))
                Csub = None if (ik > 0 or C is None) else C[:, m0:m1, n0:n1]
                parts.append(_sgemm_nocopy(A[k0:k1, :, m0:m1], B[k0:k1, :, n0:n1], Csub,
                                           beta0 or ik > 0))
            res = parts[0]
            if nk > 1:
                myN = n1 - n0
                res = res.copy()
                for j in range(nk):             # column slice summed by the thread with k-index j
                    c0, cn = _partition_unit_diff(j, nk, myN)
                    order = ([j] if j > 0 else []) + [i for i in range(1, nk) if i != j]
                    for i in order:
                        res[:, :, c0:c0 + cn] = (res[:, :, c0:c0 + cn] + parts[i][:, :, c0:c0 + cn]).astype(f32)
            out[:, m0:m1, n0:n1] = res
    return out


def model_gemm_jit(geo, nthr):
    G, N, S = geo.G, geo.N, geo.S
    M = geo.ICg * geo.KH * geo.KW; NN = geo.OCg
    outer = (S // nthr < 256) and (N != 1 or G > 2)        # jcp.outer_threading (memory assumed ok)
    jnthr = nthr if outer else 1
    need_red = N != 1 and jnthr != 1
    nthr_g = min(G, jnthr)
    nthr_mb = min(N if need_red else 1, jnthr // nthr_g)
    gemm_thr = 1 if jnthr > 1 else nthr                     # nested sgemm runs single-threaded
    parts = []
    for t in range(nthr_mb):
        lo, hi = balance211(N, nthr_mb, t)
        C = None
        for img in range(lo, hi):
            Aop, Bop = geo.ops(img)              # (S, G, OCg, 1,1,1) dy, (S, G, 1, ICg, KH, KW) taps
            Acol = Bop[:, :, 0].reshape(S, G, M)
            Bdd = Aop[:, :, :, 0, 0, 0]
            C = _sgemm_avx(Acol, Bdd, C, img == lo, gemm_thr)
        parts.append(np.transpose(C, (0, 2, 1)).reshape(geo.OC, geo.ICg, geo.KH, geo.KW))
    # bias: for each (img, oh): row = sequential sum over ow from 0; db = db + row
    return parts, None


def _bias_rowfirst(dy):
    N, OC, OH, OW = dy.shape
    db = np.zeros(OC, f32)
    for n in range(N):
        for oh in range(OH):
            s = np.zeros(OC, f32)
            for ow in range(OW):
                s = s + dy[n, :, oh, ow]
            db = db + s
    return db


# ------------------------------------------------------------------------------------------------
# which implementation runs (PyTorch backend selection + oneDNN dispatch list order)
# ------------------------------------------------------------------------------------------------
def _use_mkldnn(N, IC, H, W, KH, KW, s, dl, groups, nthr):
    """aten/src/ATen/native/ConvUtils.h ConvParams::use_mkldnn for float32 CPU tensors (4-D view;
    conv1d is viewed as H = 1, KH = 1).  For transposed convs pass the deconv *input* shape
    (and transposed convs with output_padding >= stride or >= dilation never use mkldnn)."""
    strided = s[0] != 1 or s[1] != 1; dilated = dl[0] != 1 or dl[1] != 1
    return ((strided or dilated or N >= 16 or KW != 1 or KH != 1 or nthr > 1) and
            (groups > 1 or (KW > 3 and KH > 3) or N > 1 or N * IC * H * W > 20480))


def select_impl(N, IC, OC, H, W, KH, KW, s=(1, 1), p=(0, 0), dl=(1, 1), groups=1, nthr=2, transposed=False,
                torch_input=None):
    """Returns 'slow2d' (PyTorch THNN im2col + MKL sgemm), 'jit_dw:avx2', 'jit_1x1:avx2', 'jit:avx2',
    or 'gemm:jit'.  For conv1d pass H=1, KH=1.
    For transposed convs pass the *forward-conv* view (IC/OC/H/W of the equivalent conv: H,W = deconv
    output size, IC = deconv OC, OC = deconv IC) and torch_input = deconv input shape (N, C, H, W);
    PyTorch then runs oneDNN 'deconvolution conv:any+<impl>' with <impl> chosen for that conv view."""
    tin = torch_input if torch_input is not None else (N, IC, H, W)
    if not _use_mkldnn(tin[0], tin[1], tin[2], tin[3], KH, KW, s, dl, groups, nthr):
        return 'slow2d'
    G = groups; ICg, OCg = IC // G, OC // G
    OH = (H + 2 * p[0] - dl[0] * (KH - 1) - 1) // s[0] + 1
    OW = (W + 2 * p[1] - dl[1] * (KW - 1) - 1) // s[1] + 1
    dil = dl[0] != 1 or dl[1] != 1
    ekh, ekw = (KH - 1) * dl[0] + 1, (KW - 1) * dl[1] + 1
    b_pad = _end_pad(p[0], OH, H, s[0], ekh); r_pad = _end_pad(p[1], OW, W, s[1], ekw)
    # jit_dw (jit_uni_dw_conv_bwd_weights_kernel_t<avx2>::init_conf)
    if G > 1 and ICg == 1 and OCg == 1 and not dil and KW <= 3 and s[1] <= KW:
        if (p[0] <= KH // 2 and b_pad <= KH // 2 and p[1] <= KW // 2 and r_pad <= KW // 2
                and H >= KH + (-p[0]) % s[0]
                and (p[0] <= 1 or p[0] % s[0] == 0) and (b_pad <= 1 or b_pad % s[0] == 0)
                and OH == (H + p[0] + b_pad - KH) // s[0] + 1 and OW == (W + p[1] + r_pad - KW) // s[1] + 1):
            return 'jit_dw:avx2'
    # jit_1x1 (jit_avx2_1x1_conv_kernel_f32_t::init_conf; blocked layouts -> channels padded for g=1)
    if KH == 1 and KW == 1 and p == (0, 0) and not dil and G == 1:
        return 'jit_1x1:avx2'
    # jit:avx2 (jit_avx2_conv_bwd_weights_kernel_f32_t::init_conf)
    if G == 1:
        chan_ok = True                                  # channels zero-padded to 8 (IC == 3: flat)
    else:
        chan_ok = ICg % 8 == 0 and OCg % 8 == 0
    if (not dil and chan_ok and KW < 14
            and p[0] < ekh and b_pad < ekh and p[1] < ekw and r_pad < ekw
            and KH <= p[0] + H and KH <= H and p[0] < KH):
        return 'jit:avx2'
    return 'gemm:jit'


# ------------------------------------------------------------------------------------------------
# public entry point
# ------------------------------------------------------------------------------------------------
def _norm2(v, one_d, fill):
    if one_d:
        return (fill, int(v if np.isscalar(v) else v[0]))
    return (v, v) if np.isscalar(v) else tuple(v)


def conv_bwd_weights(dy, x, kernel, stride=1, padding=0, groups=1, nthr=2, with_bias=True,
                     dilation=1, impl=None):
    """Emulates torch's conv weight (and bias) grads.  dy: (N, OC, OH, OW) or (N, OC, OL);
    x: (N, IC, H, W) or (N, IC, L); kernel: (KH, KW) or KL.  impl: None = select_impl(); or one of
    'jit:avx2', 'jit_dw:avx2', 'jit_1x1:avx2', 'gemm:jit' to force a model.  Returns (grad_w, grad_b).
    For conv_transpose2d weight grads call with (dy=x_deconv, x=dy_deconv) (roles swapped)."""
    x = np.asarray(x, f32); dy = np.asarray(dy, f32)
    one_d = x.ndim == 3
    if one_d:                                   # PyTorch views conv1d as 2-D with H = 1
        x = x[:, :, None, :]; dy = dy[:, :, None, :]
        KH, KW = 1, int(kernel if np.isscalar(kernel) else kernel[0])
    else:
        KH, KW = (kernel, kernel) if np.isscalar(kernel) else tuple(kernel)
    s = _norm2(stride, one_d, 1); p = _norm2(padding, one_d, 0); dl = _norm2(dilation, one_d, 1)
    geo = Geo(x, dy, KH, KW, s, p, dl, groups)
    if impl is None:
        impl = select_impl(geo.N, geo.IC, geo.OC, geo.IH, geo.IW, KH, KW, s, p, dl, groups, nthr)
        if impl not in MODELS:
            raise NotImplementedError('no bit-exact model for ' + impl)
    wparts, branges = MODELS[impl](geo, nthr)
    gw = reduce_parts(wparts)
    if one_d:
        gw = gw[:, :, 0, :]
    gb = None
    if with_bias:
        if impl == 'gemm:jit':
            gb = _bias_rowfirst(dy)
        else:
            gb = reduce_parts([_bias_partial(dy, r) for r in branges])
    return gw, gb


def conv_transpose_bwd_weights(dy, x, kernel, stride=1, padding=0, groups=1, nthr=2, with_bias=True,
                               dilation=1):
    """conv_transpose2d / conv_transpose1d weight (IC, OC/G, ...) and bias (OC) grads.
    x: deconv input (N, IC, H, W); dy: deconv output grad (N, OC, OH, OW).  oneDNN runs
    'deconvolution conv:any+<impl>': the conv backward_weights with src = dy, diff_dst = x.
    Bias (ref_deconvolution compute_bwd_bias): blocked layout (jit impls) -> one float chain over
    (img, oh, ow); plain layout (gemm:jit) -> per image a plane sum from 0, then db += plane."""
    x = np.asarray(x, f32); dy = np.asarray(dy, f32)
    one_d = x.ndim == 3
    x4 = x[:, :, None, :] if one_d else x
    d4 = dy[:, :, None, :] if one_d else dy
    if one_d:
        KH, KW = 1, int(kernel if np.isscalar(kernel) else kernel[0])
    else:
        KH, KW = (kernel, kernel) if np.isscalar(kernel) else tuple(kernel)
    s = _norm2(stride, one_d, 1); p = _norm2(padding, one_d, 0); dl = _norm2(dilation, one_d, 1)
    impl = select_impl(d4.shape[0], d4.shape[1], x4.shape[1], d4.shape[2], d4.shape[3], KH, KW, s, p, dl,
                       groups, nthr, True, x4.shape)
    if impl not in MODELS:
        raise NotImplementedError('no bit-exact model for ' + impl)
    gw, _ = conv_bwd_weights(x, dy, kernel, stride, padding, groups, nthr, False, dilation, impl)
    gb = None
    if with_bias:
        Nn, OCd = d4.shape[:2]; flat = d4.reshape(Nn, OCd, -1)
        gb = np.zeros(OCd, f32)
        for n in range(Nn):
            if impl == 'gemm:jit':
                plane = np.zeros(OCd, f32)
                for q in range(flat.shape[2]):
                    plane = plane + flat[n, :, q]
                gb = gb + plane
            else:
                for q in range(flat.shape[2]):
                    gb = gb + flat[n, :, q]
    return gw, gb


MODELS = {'jit:avx2': model_jit_avx2, 'jit_dw:avx2': model_jit_dw, 'jit_1x1:avx2': model_jit_1x1,
          'gemm:jit': model_gemm_jit}


if __name__ == '__main__':
    # self-test against torch (CPU, float32): one config per modelled kernel, threads 1, 2, 4
    import torch
    import torch.nn.functional as F
    aten = torch.ops.aten

    def ref(x, w, dy, s, p, d, g, tr=False):
        X, W, DY = map(torch.from_numpy, (x, w, dy))
        nd = x.ndim - 2
        bsz = [w.shape[1] * g] if tr else [w.shape[0]]
        _, gw, gb = aten.convolution_backward(DY, X, W, bsz, [s] * nd, [p] * nd, [d] * nd, tr, [0] * nd, g,
                                              [False, True, True])
        return gw.numpy(), gb.numpy()

    rng = np.random.default_rng(0)
    cases = [  # (N, IC, OC, H, W, k, s, p, d, g, transposed, conv1d)
        (64, 1, 8, 28, 28, 3, 1, 1, 1, 1, False, False),    # jit:avx2 (n01 conv1)
        (7, 3, 20, 33, 33, 5, 2, 2, 1, 1, False, False),    # jit:avx2 flat ic=3, OW > 28
        (16, 16, 32, 14, 14, 3, 1, 1, 1, 2, False, False),  # jit:avx2 groups
        (9, 16, 16, 40, 40, 3, 1, 1, 1, 16, False, False),  # jit_dw (OW > 30 blocking)
        (17, 8, 20, 20, 20, 1, 1, 0, 1, 1, False, False),   # jit_1x1 (mid-image split)
        (5, 8, 16, 24, 24, 3, 1, 2, 2, 1, False, False),    # gemm:jit (dilation)
        (2, 8, 16, 40, 40, 3, 1, 1, 2, 1, False, False),    # gemm:jit, multithreaded sgemm (k split)
        (4, 8, 8, 20, 20, 5, 1, 2, 1, 8, False, False),     # gemm:jit gemv (depthwise 5x5)
        (16, 4, 16, 1, 100, 5, 2, 2, 1, 1, False, True),    # conv1d
        (4, 8, 16, 10, 10, 3, 2, 1, 1, 1, True, False),     # conv_transpose2d
    ]
    ok = True
    for nthr in (1, 2, 4):
        torch.set_num_threads(nthr)
        for (N, IC, OC, H, W, k, s, p, d, g, tr, c1) in cases:
            if c1:
                x = rng.standard_normal((N, IC, W)).astype(f32)
                w = rng.standard_normal((OC, IC // g, k)).astype(f32)
                y = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), None, s, p, d, g)
            elif tr:
                x = rng.standard_normal((N, IC, H, W)).astype(f32)
                w = rng.standard_normal((IC, OC // g, k, k)).astype(f32)
                y = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), None, s, p, 0, g, d)
            else:
                x = rng.standard_normal((N, IC, H, W)).astype(f32)
                w = rng.standard_normal((OC, IC // g, k, k)).astype(f32)
                y = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, s, p, d, g)
            dy = rng.standard_normal(tuple(y.shape)).astype(f32)
            tw, tb = ref(x, w, dy, s, p, d, g, tr)
            if tr:
                ew, eb = conv_transpose_bwd_weights(dy, x, k, s, p, g, nthr, dilation=d)
            else:
                ew, eb = conv_bwd_weights(dy, x, k if c1 else (k, k), s, p, g, nthr, dilation=d)
            bw = int((ew.view(np.uint32) != tw.view(np.uint32)).sum())
            bb = int((eb.view(np.uint32) != tb.view(np.uint32)).sum())
            ok &= bw == 0 and bb == 0
            impl = select_impl(*((dy.shape[0], OC, IC, y.shape[2], y.shape[3]) if tr else
                                 (N, IC, OC, 1 if c1 else H, W)), 1 if c1 else k, k,
                               (1, s) if c1 else (s, s), (0, p) if c1 else (p, p), (1, d) if c1 else (d, d),
                               g, nthr, tr, x.shape if tr else None)
            print(f"threads={nthr} N={N} IC={IC} OC={OC} {H}x{W} k={k} s={s} p={p} d={d} g={g}"
                  f"{' transposed' if tr else ''}{' conv1d' if c1 else ''} [{impl}]: "
                  f"weight diff {bw}, bias diff {bb}")
    print('ALL BIT-EXACT' if ok else 'MISMATCH')
