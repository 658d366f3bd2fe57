"""Bit-exact numpy emulation of MKL sgemm 'T','N' with n == 1 (torch 2.13 / MKL 2024.2, AVX2 AMD EPYC).
C[m] = beta*C0[m] + sum_k a[m][k] * b[k],   a[m][k] = A[aoff + m*lda + k],  b[k] = B[boff + k].
Non-FMA (every product rounded, then added)."""
import numpy as np
from conv_emulate2 import fma_step
f32, f64 = np.float32, np.float64

def _r(x):
    return x.astype(f32).astype(f64)

def _dot_rows(a, b, L, peel, nmain, fma=False):
    """a: (R, K) float64 (exact f32), b: (K,).  Head chain of `peel` products -> lane 0; L lanes over
    nmain products (lane t % L); lane tree; tail products one by one."""
    R, K = a.shape
    def prod_add(acc, k):
        if fma:
            return fma_step(a[:, k], np.full(R, b[k]), acc)
        return _r(acc + _r(a[:, k] * b[k]))
    lanes = [np.zeros(R) for _ in range(L)]
    if peel:
        s = _r(a[:, 0] * b[0])
        for k in range(1, peel):
            s = prod_add(s, k)
        lanes[0] = s
    for t in range(nmain):
        k = peel + t
        lanes[t % L] = prod_add(lanes[t % L], k)
    if L == 4:
        r = _r(_r(lanes[0] + lanes[2]) + _r(lanes[1] + lanes[3]))
    elif L == 8:
        l = lanes
        r = _r(_r(_r(l[0] + l[4]) + _r(l[2] + l[6])) + _r(_r(l[1] + l[5]) + _r(l[3] + l[7])))
    for k in range(peel + nmain, K):
        r = prod_add(r, k)
    return r

def row_params(M, K, m, a_mis, b_mis, lda=None):
    """(L, peel, nmain) for row m.  a_mis/b_mis = A/B base pointer misalignment in floats (addr/4 % 4)."""
    lda = K if lda is None else lda
    m4 = 4 * (M // 4)
    if m < m4:      # rows in full groups of 4: head aligns the group's LAST row (4g+3) of a to 16 bytes (1..4)
        peel = min(4 - (a_mis + 3 * lda) % 4, K)
        nmain = ((K - peel) // 4) * 4
        return 4, peel, nmain
    # remainder rows: alignment from b (M == 1: from a)
    peel = min(4 - (a_mis if M == 1 else b_mis) % 4, K)
    nmain = ((K - peel) // 8) * 8
    return (8 if (m - m4) % 2 == 0 else 4), peel, nmain

def sgemm_tn_n1(A2, b, c0=None, a_mis=0, b_mis=0, fma=False, lda=None):
    """A2: (M, K) rows a[m]; b: (K,); c0: (M,) or None (beta = 0)."""
    A2 = np.asarray(A2, f32).astype(f64); b = np.asarray(b, f32).astype(f64)
    M, K = A2.shape
    out = np.zeros(M)
    groups = {}
    for m in range(M):
        groups.setdefault(row_params(M, K, m, a_mis, b_mis, lda), []).append(m)
    for (L, peel, nmain), rows in groups.items():
        out[rows] = _dot_rows(A2[rows], b, L, peel, nmain, fma)
    if c0 is not None:
        out = _r(out + np.asarray(c0, f32).astype(f64))
    return out.astype(f32)
