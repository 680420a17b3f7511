"""PyTorch's GeneratorFullModel step (bench/fomm_pytorch.py's train case, allocator tuned as dime's)
split into the forward with its losses, the backward and the two Adams, beside
experiments/speed/train-parts.ts; with "modules", FOMM's modules one by one instead (its KPDetector as
three calls, its Vgg19 pyramid loss, its OcclusionAwareGenerator), forward and backward timed together,
beside train-parts.ts --modules. Run with Debian's python3-torch and FOMM_DIR set:
  FOMM_DIR=/work/fomm python3 experiments/speed/train_parts.py [threads] [runs] [modules]
Prints one JSON line: per part, the median and min ms over the runs (after 2 warm-ups).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import torch  # noqa: E402
import yaml  # noqa: E402
import fomm_pytorch  # noqa: E402

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 6
torch.set_num_threads(threads)
fomm_pytorch.retain_freed_memory()
samples = {}


def time_step():
    """The whole step, split by its phases."""
    fomm = fomm_pytorch.Fomm()
    fomm.train_step()  # builds the trainer (and is the first warm-up)
    full, optimizers, batch = fomm.trainer
    for r in range(runs + 1):
        times = []
        start = last = time.perf_counter()

        def mark(name):
            nonlocal last
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


def time_modules():
    """Each module's forward and backward, on inputs as the step gives them."""
    from modules.generator import OcclusionAwareGenerator
    from modules.keypoint_detector import KPDetector
    from modules.model import ImagePyramide, Vgg19

    with open(os.path.join(fomm_pytorch.FOMM_DIR, "config", "vox-256.yaml")) as f:
        params = yaml.safe_load(f)["model_params"]
    kp_params = dict(params["kp_detector_params"], scale_factor=0.5)
    generator_params = dict(params["generator_params"])
    generator_params["dense_motion_params"] = dict(generator_params["dense_motion_params"], scale_factor=0.5)
    detector = KPDetector(**kp_params, **params["common_params"]).train()
    generator = OcclusionAwareGenerator(**generator_params, **params["common_params"]).train()
    vgg, pyramid, scales = Vgg19(), ImagePyramide([1, 0.5, 0.25], 3), [1, 0.5, 0.25]
    g = torch.Generator().manual_seed(0)
    source, driving, warped, target = (torch.rand(4, 3, 64, 64, generator=g) for _ in range(4))
    prediction = torch.rand(4, 3, 64, 64, generator=g).requires_grad_()

    def keypoints():
        value = (torch.rand(4, 10, 2, generator=g) * 2 - 1).requires_grad_()
        jacobian = (torch.eye(2).repeat(4, 10, 1, 1) + 0.1 * torch.randn(4, 10, 2, 2, generator=g)).requires_grad_()
        return dict(value=value, jacobian=jacobian)

    kp_source, kp_driving = keypoints(), keypoints()

    def detector_three_calls():
        outs = [detector(x) for x in (source, driving, warped)]
        sum(o["value"].square().sum() + o["jacobian"].square().sum() for o in outs).backward()

    def vgg_loss():
        # GeneratorFullModel's perceptual term, weights 10 on every layer
        predicted, real = pyramid(prediction), pyramid(target)
        total = 0
        for scale in scales:
            xs = vgg(predicted["prediction_" + str(scale)])
            ys = vgg(real["prediction_" + str(scale)])
            for x, y in zip(xs, ys):
                total = total + 10 * torch.abs(x - y.detach()).mean()
        total.backward()

    def dense_motion_and_generator():
        generator(source, kp_source=kp_source, kp_driving=kp_driving)["prediction"].mul(target).sum().backward()

    parts = {
        "detector, three calls": detector_three_calls,
        "VGG pyramid loss": vgg_loss,
        "dense motion and generator": dense_motion_and_generator,
    }
    for name, run in parts.items():
        for r in range(runs + 2):
            detector.zero_grad(set_to_none=True)
            generator.zero_grad(set_to_none=True)
            prediction.grad = None
            start = time.perf_counter()
            run()
            if r >= 2:
                samples.setdefault(name, []).append((time.perf_counter() - start) * 1e3)


if len(sys.argv) > 3 and sys.argv[3] == "modules":
    time_modules()
else:
    time_step()
out = {k: [round(sorted(v)[len(v) // 2], 1), round(min(v), 1)] for k, v in samples.items()}
print(json.dumps(dict(runner="pytorch", threads=threads, runs=runs, parts=out)))
