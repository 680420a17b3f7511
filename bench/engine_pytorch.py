"""The engine benchmark's cases in eager PyTorch, for a side-by-side on the same machine.

Run with Debian's python3-torch (the same libtorch the addon links): /usr/bin/python3 bench/engine_pytorch.py
Prints JSON with the same fields as `dime bench engine --json`.
"""
import json
import statistics
import time

import torch

MACS = 64 * 64 * 64 * 64 * 9
FWD_FLOP = 2 * MACS
FWD_BWD_FLOP = 3 * FWD_FLOP


def timed(fn, runs, warmup=None):
    for _ in range(warmup if warmup is not None else max(1, runs // 5)):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples), min(samples)


def main(runs=40, calls=100_000):
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        one = torch.ones(1)

        def adds():
            for _ in range(calls):
                one.add(one)

        overhead_us = timed(adds, 3, 1)[0] * 1e3 / calls
        g = torch.Generator().manual_seed(0)
        x = torch.randn(1, 64, 64, 64, generator=g)
        w = (torch.randn(64, 64, 3, 3, generator=g) * 0.05).requires_grad_()
        b = torch.zeros(64, requires_grad=True)
        xg = x.clone().requires_grad_()

        def fwd():
            with torch.inference_mode():
                torch.nn.functional.conv2d(x, w, b, padding=1)

        def fwd_bwd():
            torch.nn.functional.conv2d(xg, w, b, padding=1).sum().backward()
            xg.grad = w.grad = b.grad = None

        f, f_best = timed(fwd, runs)
        fb, fb_best = timed(fwd_bwd, runs)
        rows.append(dict(threads=threads, opOverheadUs=overhead_us, convForwardMs=f, convForwardGflops=FWD_FLOP / (f * 1e6),
                         convForwardBackwardMs=fb, convForwardBackwardGflops=FWD_BWD_FLOP / (fb * 1e6),
                         convForwardBestMs=f_best, convForwardBackwardBestMs=fb_best))
    print(json.dumps(dict(libtorch=torch.__version__, runner="eager PyTorch", rows=rows), indent=2))


if __name__ == "__main__":
    main()
