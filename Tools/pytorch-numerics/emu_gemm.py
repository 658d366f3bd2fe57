"""Bit-exact emulation of MKL sgemm (torch 2.13 / oneMKL 2024.2 / AVX2 AMD EPYC) for all four
transposition combinations, as C[m][n] = beta*C0[m][n] + sum_k a[m][k]*b[n][k] (column-major C).
a_mis, b_mis, c_mis: misalignment (in floats, address/4 mod 4) of the A, B and C base pointers."""
import numpy as np
import fwd_emulate as fe
from emu_n1 import sgemm_tn_n1
f32, f64 = np.float32, np.float64

def uses_threads(M, K):
    return not ((M <= 16 and K <= 16) or (M <= 100 and K <= 4))

def pieces(M, N, K, T):
    """list of (m0, m1, n0, n1) thread pieces."""
    if T <= 1 or not uses_threads(M, K):
        return [(0, M, 0, N)]
    if T == 2:                       # n split
        w = -(-(-(-N // 2)) // 4) * 4
        return [(0, M, n0, min(N, n0 + w)) for n0 in range(0, N, w)]
    if T in (3, 4):                  # m split in multiples of 16 rows, at most T pieces, the last piece takes the rest
        c = 16 * (max(1, M // 48) if T == 3 else -(-M // 48))
        out = []; s = 0
        while s < M:
            e = M if (s + c >= M or len(out) == T - 1) else s + c
            out.append((s, e, 0, N)); s = e
        return out
    raise NotImplementedError('T > 4 not measured')

def _seq(a, b, init):
    """plain non-FMA chain over k: a (K, E), b (K, E); init (E,) start value."""
    acc = init.copy()
    for k in range(a.shape[0]):
        acc = (acc + fe._prod32(a[k], b[k])).astype(f32).astype(f64)
    return acc

def sgemm(ta, tb, a_vecs, b_vecs, c0=None, T=2, a_mis=0, b_mis=0, c_mis=0, lda=None, ldb=None, ldc=None):
    a_vecs = np.asarray(a_vecs, f32); b_vecs = np.asarray(b_vecs, f32)
    M, K = a_vecs.shape; N = b_vecs.shape[0]
    lda = lda or (K if ta == 'T' else M); ldb = ldb or (N if tb == 'T' else K); ldc = ldc or M
    c0 = None if c0 is None else np.asarray(c0, f32)
    # --- special paths ---
    if ta == 'T' and tb == 'T' and M == 1:          # sequential chain that starts from C0
        init = np.zeros(N) if c0 is None else c0[0].astype(f64)
        return _seq(np.repeat(a_vecs[0][:, None], N, 1).astype(f64), b_vecs.T.astype(f64), init)[None, :].astype(f32)
    if ta == 'T' and N == 1 and (tb == 'N' or ldb == 1):   # 'T','N' n == 1 (and 'T','T' n == 1 with ldb == 1)
        return sgemm_tn_n1(a_vecs, b_vecs[0], None if c0 is None else c0[:, 0], a_mis, b_mis, lda=lda)[:, None]
    out = np.zeros((M, N))
    for (m0, m1, n0, n1) in pieces(M, N, K, T):
        Mp, pn = m1 - m0, n1 - n0
        small = Mp < 12 or pn <= 3
        A = np.repeat(a_vecs[m0:m1].T[:, :, None], pn, 2).reshape(K, -1).astype(f64)     # (K, Mp*pn), index m*pn+n
        B = np.repeat(b_vecs[n0:n1].T[:, None, :], Mp, 1).reshape(K, -1).astype(f64)
        cc = None if c0 is None else c0[m0:m1, n0:n1].reshape(-1).astype(f64)
        if not small:
            r = fe._k_big(A, B, cc)
        elif ta == 'T' and tb == 'N':                 # dot kernel per element
            r = np.zeros(Mp * pn); m4 = 4 * (M // 4)
            for j, n in enumerate(range(n0, n1)):
                peel = int((4 - (b_mis + n * ldb) % 4) % 4)
                for m in range(m0, m1):
                    L = 4 if m < m4 else 8
                    i = (m - m0) * pn + j
                    r[i] = fe._k_dot(A[:, i:i + 1], B[:, i:i + 1], None if cc is None else cc[i:i + 1], L, peel)[0]
        elif ta == 'N':                               # 'N','N' / 'N','T': seqn with the C-column head rule
            head = np.zeros((Mp, pn), bool)
            for j, n in enumerate(range(n0, n1)):
                hp = (4 - (c_mis + n * ldc) % 4) % 4
                head[:, j] = np.arange(Mp) < hp - m0
            r = fe._k_seqn(A, B, cc, head.reshape(-1))
        else:                                         # 'T','T' small: plain non-FMA chain, C0 last
            r = _seq(A, B, np.zeros(A.shape[1]))
            if cc is not None: r = (r + cc).astype(f32).astype(f64)
        out[m0:m1, n0:n1] = r.reshape(Mp, pn)
    return out.astype(f32)
