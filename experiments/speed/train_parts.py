"""PyTorch's GeneratorFullModel step (bench/fomm_pytorch.py's train case, allocator tuned as dime's)
split into the forward with its losses, the backward and the two Adams, beside
experiments/speed/train-parts.ts. Run with Debian's python3-torch and FOMM_DIR set:
  FOMM_DIR=/work/fomm python3 experiments/speed/train_parts.py [threads] [runs]
Prints one JSON line: per part, the median and min ms over the runs (after 2 warm-ups).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import torch  # noqa: E402
import fomm_pytorch  # noqa: E402

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 6
torch.set_num_threads(threads)
fomm_pytorch.retain_freed_memory()
fomm = fomm_pytorch.Fomm()
fomm.train_step()  # builds the trainer (and is the first warm-up)
full, optimizers, batch = fomm.trainer
samples = {}
for r in range(runs + 1):
    times = []
    start = last = time.perf_counter()

    def mark(name):
        global last
        now = time.perf_counter()
        times.append((name, (now - last) * 1e3))
        last = now

    losses, _ = full(batch)
    total = sum(v.mean() for v in losses.values())
    mark("forward and losses")
    total.backward()
    mark("backward")
    for optimizer in optimizers:
        optimizer.step()
        optimizer.zero_grad()
    mark("adam")
    del losses, total
    mark("free")
    times.append(("step", (time.perf_counter() - start) * 1e3))
    if r >= 1:
        for name, ms in times:
            samples.setdefault(name, []).append(ms)
out = {k: [round(sorted(v)[len(v) // 2], 1), round(min(v), 1)] for k, v in samples.items()}
print(json.dumps(dict(runner="pytorch", threads=threads, runs=runs, parts=out)))
