"""PyTorch's expert run of FOMM (bench/fomm_pytorch.py's Expert) timed part by part, beside
experiments/speed/parts.ts. Run with Debian's python3-torch and FOMM_DIR set:
  FOMM_DIR=/work/fomm python3 experiments/speed/parts_pytorch.py [threads] [runs] [cpu|wall] [fp32|bf16] [blocks]
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
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
# "cpu": the process's CPU time instead of wall clock (steadier under load at 1 thread)
clock = time.process_time if len(sys.argv) > 3 and sys.argv[3] == "cpu" else time.perf_counter
torch.set_num_threads(threads)
fomm = fomm_pytorch.Fomm()
precision = sys.argv[4] if len(sys.argv) > 4 else "fp32"
expert, job, driving = fomm.expert(precision)
g, kp = expert.generator, expert.kp_detector
times = {}


def timed(name, module):
    def pre(_m, _i):
        module._start = clock()

    def post(_m, _i, _o):
        times[name] = times.get(name, 0) + (clock() - module._start) * 1e3

    module.register_forward_pre_hook(pre)
    module.register_forward_hook(post)


timed("kp: hourglass", kp.predictor)
timed("kp: down", kp.down)
timed("kp: kp conv", kp.kp)
timed("kp: jacobian conv", kp.jacobian)
timed("kp: all", kp)
timed("dense: hourglass", g.dense_motion_network.hourglass)
timed("dense: mask conv", g.dense_motion_network.mask)
timed("dense: occlusion conv", g.dense_motion_network.occlusion)
timed("dense: all", g.dense_motion_network)
timed("gen: bottleneck", g.bottleneck)
for i, b in enumerate(g.up_blocks):
    timed(f"gen: up {i}", b)
timed("gen: final", g.final)
# "blocks" as a fifth argument: each block of the two hourglasses too.
if len(sys.argv) > 5 and sys.argv[5] == "blocks":
    for part, hourglass in (("kp", kp.predictor), ("dense", g.dense_motion_network.hourglass)):
        for i, b in enumerate(hourglass.encoder.down_blocks):
            timed(f"{part}: down {i}", b)
        for i, b in enumerate(hourglass.decoder.up_blocks):
            timed(f"{part}: up {i}", b)
samples = {}
for r in range(runs + 2):
    times.clear()
    start = clock()
    expert.frame(job, driving)
    times["frame"] = (clock() - start) * 1e3
    if r >= 2:
        for k, v in times.items():
            samples.setdefault(k, []).append(v)
out = {k: [round(sorted(v)[len(v) // 2], 1), round(min(v), 1)] for k, v in samples.items()}
clock_name = "cpu" if clock is time.process_time else "wall"
print(json.dumps(dict(runner="pytorch", clock=clock_name, precision=precision, threads=threads, runs=runs, parts=out)))
