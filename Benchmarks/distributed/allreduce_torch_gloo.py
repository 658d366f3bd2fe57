# Extra (not in the brief): the gloo counterpart of allreduce_c.c, same sizes, same method (5 warm-up calls,
# a 5-call probe choosing N for ~0.5 s, rank 0's N broadcast, barrier, N in-place SUM all_reduce calls of a
# float32 zeros tensor, max over ranks of the mean time per call). One thread per rank.
#   torchrun --standalone --nproc_per_node=2 Benchmarks/distributed/allreduce_torch_gloo.py
import os, time, torch, torch.distributed as dist
torch.set_num_threads(1)
dist.init_process_group("gloo"); rank = dist.get_rank()
for b in [4<<10, 16<<10, 64<<10, 256<<10, 1<<20, 4<<20, 16<<20, 64<<20]:
    t = torch.zeros(b // 4)
    for _ in range(5): dist.all_reduce(t)
    dist.barrier(); t0 = time.perf_counter()
    for _ in range(5): dist.all_reduce(t)
    n = torch.tensor([max(10, min(100000, int(0.5 / ((time.perf_counter() - t0) / 5))))])
    dist.broadcast(n, 0); n = int(n)
    dist.barrier(); t0 = time.perf_counter()
    for _ in range(n): dist.all_reduce(t)
    dt = torch.tensor([(time.perf_counter() - t0) / n], dtype=torch.float64); dist.all_reduce(dt, op=dist.ReduceOp.MAX)
    if rank == 0: print(f"allreduce_torch_gloo bytes={b} us={dt.item()*1e6:.2f} GBps={b/dt.item()/1e9:.3f}", flush=True)
dist.destroy_process_group()
