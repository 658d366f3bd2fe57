// In-place MPI_Allreduce (float32, MPI_SUM, MPI_COMM_WORLD) latency/bandwidth, the C baseline for
// Descent's all-reduce. Build and run from the repo root:
//   mpicc -O2 Benchmarks/distributed/allreduce_c.c -o /tmp/allreduce_c
//   mpirun --allow-run-as-root --oversubscribe -np 2 /tmp/allreduce_c
// For each size: one correctness check, 5 warm-up calls, a probe that picks N so the timed loop runs
// about 0.5 s (at least 10, at most 100000 calls; rank 0's choice is broadcast), a barrier, then N
// timed calls. Reported time = max over ranks of (wall time / N). GBps = bytes / time (algorithmic
// bandwidth, 1 GB = 1e9 bytes). The buffer is all zeros while timing so repeated sums stay finite.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    static const long sizes[] = {4L << 10, 16L << 10, 64L << 10, 256L << 10,
                                 1L << 20, 4L << 20, 16L << 20, 64L << 20};
    const double target_s = 0.5;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        long bytes = sizes[s];
        int count = (int)(bytes / 4);
        float *buf = malloc((size_t)bytes);
        if (!buf) { fprintf(stderr, "malloc %ld failed\n", bytes); MPI_Abort(MPI_COMM_WORLD, 1); }
        // Correctness: rank r contributes (r + 1) * (i % 7); the sum is (i % 7) * size * (size + 1) / 2.
        for (int i = 0; i < count; i++) buf[i] = (float)((rank + 1) * (i % 7));
        MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        for (int i = 0; i < count; i++) {
            float want = (float)((i % 7) * size * (size + 1) / 2);
            if (buf[i] != want) {
                fprintf(stderr, "rank %d bytes=%ld: buf[%d]=%g, want %g\n", rank, bytes, i, buf[i], want);
                MPI_Abort(MPI_COMM_WORLD, 2);
            }
        }
        memset(buf, 0, (size_t)bytes);
        for (int i = 0; i < 5; i++)
            MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        // Probe: time a few calls to choose N.
        int probe = 5;
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int i = 0; i < probe; i++)
            MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double per = (MPI_Wtime() - t0) / probe;
        long n = per > 0 ? (long)(target_s / per) : 100000;
        if (n < 10) n = 10;
        if (n > 100000) n = 100000;
        MPI_Bcast(&n, 1, MPI_LONG, 0, MPI_COMM_WORLD);
        // Timed loop.
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        for (long i = 0; i < n; i++)
            MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double avg = (MPI_Wtime() - t0) / (double)n, worst;
        MPI_Reduce(&avg, &worst, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            printf("allreduce_c bytes=%ld us=%.2f GBps=%.3f\n", bytes, worst * 1e6, (double)bytes / worst / 1e9);
            fflush(stdout);
        }
        free(buf);
    }
    MPI_Finalize();
    return 0;
}
