"""oneDNN's blocked layout (nChw16c, weights prepacked once) against channels-last for the heavy
convolutions of dime's 256 px frame, in eager PyTorch on the libtorch dime links (Debian's
python3-torch 1.13). Issue 22: does anything oneDNN exposes beat channels-last enough (>10% on
the frame) to bring it to the addon?
  /usr/bin/python3 experiments/speed/onednn_probe.py [threads,...] [rounds] [cpu]
Each case runs its layouts alternately, `rounds` times; prints per case and layout the median and
min ms (wall, or the process's CPU time with `cpu`) and the ratio of medians to channels-last.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

threads_list = [int(t) for t in (sys.argv[1] if len(sys.argv) > 1 else "1,2").split(",")]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
clock = time.process_time if len(sys.argv) > 3 and sys.argv[3] == "cpu" else time.perf_counter
torch.manual_seed(0)
CL = torch.channels_last


def conv_weights(cin, cout, k):
    return torch.randn(cout, cin, k, k) * (2 / (cin * k * k)) ** 0.5, torch.randn(cout) * 0.01


def residual_blocks(ch, n):
    # FOMM's ResBlock2d with norm2 folded into conv1 (as dime runs it): relu(bn1(x)), conv1, relu_, conv2, + x
    blocks = []
    for _ in range(n):
        w1, b1 = conv_weights(ch, ch, 3)
        w2, b2 = conv_weights(ch, ch, 3)
        scale, shift = torch.rand(ch) + 0.5, torch.randn(ch) * 0.1
        blocks.append(("res", [("bn", scale, shift), ("relu",), ("conv", w1, b1, 1), ("relu",), ("conv", w2, b2, 1)]))
    return blocks


def prepare_cl(steps):
    out = []
    for s in steps:
        if s[0] == "conv":
            out.append(("conv", s[1].contiguous(memory_format=CL), s[2], s[3]))
        elif s[0] == "bn":
            # eval-mode batch norm with mean 0, var 1 is the affine scale/shift; batch_norm needs the stats
            out.append(("bnstat", s[1], s[2]))
        elif s[0] == "res":
            out.append(("res", prepare_cl(s[1])))
        else:
            out.append(s)
    return out


def run_cl2(steps, x):
    for s in steps:
        if s[0] == "conv":
            x = F.conv2d(x, s[1], s[2], padding=s[3])
        elif s[0] == "relu":
            x = torch.relu_(x) if x.is_mkldnn is False else torch.relu(x)
        elif s[0] == "bnstat":
            c = s[1].numel()
            x = F.batch_norm(x, torch.zeros(c), torch.ones(c), s[1], s[2], False, 0.0, 0.0)
        elif s[0] == "up":
            x = F.interpolate(x, scale_factor=2)
        elif s[0] == "res":
            x = run_cl2(s[1], x).add_(x)
    return x


def prepare_mkldnn(steps, x_shape):
    """Weights reordered once into oneDNN's layout for this input size (as torch.utils.mkldnn does)."""
    out = []
    n, c, h, w = x_shape
    for s in steps:
        if s[0] == "conv":
            wt, b, pad = s[1], s[2], s[3]
            k = wt.shape[2]
            packed = torch._C._nn.mkldnn_reorder_conv2d_weight(wt.to_mkldnn(), [pad, pad], [1, 1], [1, 1], 1)
            out.append(("mconv", packed, b.to_mkldnn(), pad))
            c = wt.shape[0]
            h, w = h + 2 * pad - k + 1, w + 2 * pad - k + 1
        elif s[0] == "bn":
            out.append(("mbn", s[1], s[2], torch.zeros(c), torch.ones(c)))
        elif s[0] == "up":
            out.append(s)
            h, w = 2 * h, 2 * w
        elif s[0] == "res":
            out.append(("res", prepare_mkldnn(s[1], (n, c, h, w))))
        else:
            out.append(s)
    return out


def run_mkldnn(steps, x):
    for s in steps:
        if s[0] == "mconv":
            x = torch.mkldnn_convolution(x, s[1], s[2], [s[3], s[3]], [1, 1], [1, 1], 1)
        elif s[0] == "relu":
            x = torch.relu_(x)
        elif s[0] == "mbn":
            x = torch.batch_norm(x, s[1], s[2], s[3], s[4], False, 0.0, 0.0, False)
        elif s[0] == "up":
            # no nearest-upsample kernel for oneDNN tensors in 1.13: out and back through channels-last
            x = F.interpolate(x.to_dense().contiguous(memory_format=CL), scale_factor=2).to_mkldnn()
        elif s[0] == "res":
            y = run_mkldnn(s[1], x)
            x = y.add_(x)
    return x


def cases():
    # (name, input shape, steps)
    w, b = conv_weights(256, 256, 3)
    yield "conv 256->256 3x3 at 64x64", (1, 256, 64, 64), [("conv", w, b, 1)]
    w, b = conv_weights(256, 128, 3)
    yield "conv 256->128 3x3 at 128x128 (up 0)", (1, 256, 128, 128), [("conv", w, b, 1)]
    w, b = conv_weights(128, 64, 3)
    yield "conv 128->64 3x3 at 256x256 (up 1)", (1, 128, 256, 256), [("conv", w, b, 1)]
    w, b = conv_weights(64, 64, 3)
    yield "conv 64->64 3x3 at 256x256", (1, 64, 256, 256), [("conv", w, b, 1)]
    w, b = conv_weights(64, 3, 7)
    yield "conv 64->3 7x7 at 256x256 (final)", (1, 64, 256, 256), [("conv", w, b, 3)]
    w, b = conv_weights(44, 128, 3)
    yield "conv 44->128 3x3 at 64x64 (dense hourglass in)", (1, 44, 64, 64), [("conv", w, b, 1)]
    w, b = conv_weights(512, 1024, 3)
    yield "conv 512->1024 3x3 at 4x4 (hourglass deep)", (1, 512, 4, 4), [("conv", w, b, 1)]
    yield "6 residual blocks 256 ch at 64x64 (bottleneck)", (1, 256, 64, 64), residual_blocks(256, 6)
    w0, b0 = conv_weights(256, 128, 3)
    w1, b1 = conv_weights(128, 64, 3)
    yield "up blocks (nearest x2, conv, relu) x2 from 256 ch at 64x64", (1, 256, 64, 64), [
        ("up",), ("conv", w0, b0, 1), ("relu",), ("up",), ("conv", w1, b1, 1), ("relu",)]


def timeit(fn):
    start = clock()
    fn()
    return (clock() - start) * 1e3


results = []
with torch.inference_mode():
    for threads in threads_list:
        torch.set_num_threads(threads)
        for name, shape, steps in cases():
            x = torch.rand(shape)
            x_cl = x.contiguous(memory_format=CL)
            cl = prepare_cl(steps)
            mk = prepare_mkldnn(steps, shape)
            ref = run_cl2(cl, x_cl)
            got = run_mkldnn(mk, x.to_mkldnn()).to_dense()
            err = (ref - got).abs().max().item()
            variants = {
                "nchw": lambda: run_cl2(prepare_cl_nchw, x),
                "channels-last": lambda: run_cl2(cl, x_cl),
                # the input's reorder to and the output's from the blocked layout are counted once
                "onednn blocked": lambda: run_mkldnn(mk, x.to_mkldnn()).to_dense(),
            }
            prepare_cl_nchw = [s if s[0] != "conv" else ("conv", s[1].contiguous(), s[2], s[3]) for s in cl]
            prepare_cl_nchw = [
                ("res", [t if t[0] != "conv" else ("conv", t[1].contiguous(), t[2], t[3]) for t in s[1]]) if s[0] == "res" else s
                for s in prepare_cl_nchw
            ]
            for fn in variants.values():
                fn()  # warm-up
            samples = {k: [] for k in variants}
            for _ in range(rounds):
                for k, fn in variants.items():
                    samples[k].append(timeit(fn))
            med = {k: sorted(v)[len(v) // 2] for k, v in samples.items()}
            row = dict(threads=threads, case=name, max_diff=err)
            for k, v in samples.items():
                row[k] = [round(med[k], 2), round(min(v), 2), round(med[k] / med["channels-last"], 3)]
            results.append(row)
            print(json.dumps(row), flush=True)
