// dk_sgemm benchmark. Build & run from the repo root (same -O2 as a SwiftPM release build):
//   clang -O2 -I Sources/CDescentKernels/include Benchmarks/c/gemm_bench.c Sources/CDescentKernels/gemm.c Sources/CDescentKernels/parallel.c -o /tmp/gemm_bench -lpthread -lm && /tmp/gemm_bench [seconds_per_shape [name_filter]]
// Env: DESCENT_NUM_THREADS=n (threads), DESCENT_GEMM_KERNEL=0|1|2 (cap kernel: portable|AVX2|AVX-512).
#include "dk_gemm.h"
#include "dk_parallel.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    const char *name;
    long M, N, K;
    int ta, tb; /* ta: A passed as a transposed view (X^T, X is KxM row-major); tb likewise for B */
    int tc;     /* C column-major (rsc = 1, csc = M) */
} Shape;

static const Shape shapes[] = {
    {"512^3", 512, 512, 512, 0, 0},
    {"1024^3", 1024, 1024, 1024, 0, 0},
    {"2048^3", 2048, 2048, 2048, 0, 0},
    {"MLP fwd (12665x784)(784x32)", 12665, 32, 784, 0, 0},
    {"MLP fwd (12665x784)(784x32) B=W^T", 12665, 32, 784, 0, 1},
    {"MLP dW  (784x12665)(12665x32) A=X^T", 784, 32, 12665, 1, 0},
    {"MLP dW  (32x12665)(12665x784) A=G^T", 32, 784, 12665, 1, 0},
    {"MLP dW  (784x12665)(12665x32) A=X^T C col-major", 784, 32, 12665, 1, 0, 1},
    {"MLP dX  (12665x32)(32x784) B=W^T", 12665, 784, 32, 0, 1},
    {"gemv (100x512)(512x1)", 100, 1, 512, 0, 0},
    {"(64x784)(784x256)", 64, 256, 784, 0, 0},
    {"(64x784)(784x256) B=W^T", 64, 256, 784, 0, 1},
    {"1024^3 A^T B^T", 1024, 1024, 1024, 1, 1},
    {"1x1x1", 1, 1, 1, 0, 0},
    {"3x1x1", 3, 1, 1, 0, 0},
    {"16^3", 16, 16, 16, 0, 0},
    {"32^3", 32, 32, 32, 0, 0},
    {"64^3", 64, 64, 64, 0, 0},
    {"128^3", 128, 128, 128, 0, 0},
    {"256^3", 256, 256, 256, 0, 0},
};

int main(int argc, char **argv) {
    double min_time = argc > 1 ? atof(argv[1]) : 0.5; /* seconds per shape */
    static const char *kn[] = {"portable C", "AVX2+FMA", "AVX-512F"};
    printf("dk_sgemm: kernel %s, threads %d\n", kn[dk_gemm_kernel_level()], dk_num_threads());
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const Shape sh = shapes[s];
        if (argc > 2 && !strstr(sh.name, argv[2])) continue; /* optional name filter */
        const long M = sh.M, N = sh.N, K = sh.K;
        float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
        float *C = malloc(sizeof(float) * M * N);
        for (long i = 0; i < M * K; i++) A[i] = (float)((i * 7) % 13) / 13.f - 0.5f;
        for (long i = 0; i < K * N; i++) B[i] = (float)((i * 5) % 11) / 11.f - 0.5f;
        memset(C, 0, sizeof(float) * M * N);
        const long rsa = sh.ta ? 1 : K, csa = sh.ta ? M : 1;
        const long rsb = sh.tb ? 1 : N, csb = sh.tb ? K : 1;
        const double flop = 2.0 * M * N * K;
        /* batch tiny calls so the timer resolution does not matter */
        int inner = (int)(2e5 / (flop + 100.0)) + 1;
        dk_sgemm(M, N, K, 1.f, A, rsa, csa, B, rsb, csb, 0.f, C, sh.tc ? 1 : N, sh.tc ? M : 1); /* warm-up */
        double best = 1e30, t_start = now();
        int reps = 0;
        while (reps < 3 || (now() - t_start < min_time && reps < 100000)) {
            double t0 = now();
            for (int i = 0; i < inner; i++) dk_sgemm(M, N, K, 1.f, A, rsa, csa, B, rsb, csb, 0.f, C, sh.tc ? 1 : N, sh.tc ? M : 1);
            double t = (now() - t0) / inner;
            if (t < best) best = t;
            reps++;
        }
        printf("%-40s %9.1f GFLOP/s %12.3f us\n", sh.name, flop / best * 1e-9, best * 1e6);
        free(A);
        free(B);
        free(C);
    }
    return 0;
}
