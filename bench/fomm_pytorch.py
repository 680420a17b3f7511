"""FOMM in eager PyTorch beside `dime bench model`: a JSON-lines server timing FOMM's own modules.

Run by `dime bench model` with Debian's python3-torch (the libtorch the addon links) and a checkout of
AliaksandrSiarohin/first-order-model named by FOMM_DIR:  /usr/bin/python3 bench/fomm_pytorch.py [--retain-freed-memory]
It prints {"ready": ...} once the models are built, then answers each request line on stdin, e.g.
  {"case": "demo-frame", "threads": 2, "runs": 5, "warmup": 1}
with {"case": ..., "threads": ..., "samplesMs": [...], "cpuMs": [...]} (one line: wall clock and process CPU time per run), so the caller can alternate its own
runs with these in one session. Cases, at 256 px with vox-256 (Jacobians on), random weights:
  demo-frame    demo.py's loop as users run it: kp_detector(driving), normalize_kp (relative motion and
                Jacobians), generator(source, ...), which re-encodes the source every frame; fp32, no_grad
  demo-job      the loop's set-up: kp_detector(source) and kp_detector(first driving frame)
  expert-frame  as an expert would: the source encoded once, models and inputs channels-last,
                inference_mode, and with "precision": "bf16" CPU autocast to bfloat16
  expert-job    the expert's set-up: the two keypoint passes and the source's encoding
  train         GeneratorFullModel's step at 64 px, batch 4 (vox-256 widths, Jacobians, VGG-19 pyramid
                at scales 1, 0.5, 0.25, equivariance on values and Jacobians, no GAN), then both Adams
torchvision is not needed: VGG-19's feature layers are built here (random weights; cost only).
The allocator: by default glibc's, as FOMM's users run it; with --retain-freed-memory the process keeps
freed memory for reuse (glibc mallopt, as dime does), as an expert may tune it. `dime bench model` runs
one process of each; the ready line says which this is ("retainFreedMemory": true only when set).
"""
import ctypes
import functools
import json
import os
import sys
import time
import types

import torch
import torch.nn.functional as F
import yaml

FOMM_DIR = os.environ.get("FOMM_DIR", "")
sys.path.insert(0, FOMM_DIR)
# FOMM was trained under torch 1.0, whose grid_sample behaved as align_corners=True (as fomm_reference.py).
F.grid_sample = functools.partial(F.grid_sample, align_corners=True)


def vgg19_features():
    """torchvision's vgg19().features (configuration E), randomly initialised."""
    layers, channels = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]:
        if v == "M":
            layers.append(torch.nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [torch.nn.Conv2d(channels, v, kernel_size=3, padding=1), torch.nn.ReLU(inplace=True)]
            channels = v
    return torch.nn.Sequential(*layers)


torchvision = types.ModuleType("torchvision")
torchvision.models = types.SimpleNamespace(vgg19=lambda pretrained=False: types.SimpleNamespace(features=vgg19_features()))
sys.modules.setdefault("torchvision", torchvision)

from modules.discriminator import MultiScaleDiscriminator  # noqa: E402
from modules.generator import OcclusionAwareGenerator  # noqa: E402
from modules.keypoint_detector import KPDetector  # noqa: E402
from modules.model import GeneratorFullModel  # noqa: E402


def normalize_kp(kp_source, kp_driving, kp_driving_initial):
    """demo.py's normalize_kp with relative motion and relative Jacobians (adapt_movement_scale off)."""
    kp_new = dict(kp_driving)
    kp_new["value"] = kp_driving["value"] - kp_driving_initial["value"] + kp_source["value"]
    jacobian_diff = torch.matmul(kp_driving["jacobian"], torch.inverse(kp_driving_initial["jacobian"]))
    kp_new["jacobian"] = torch.matmul(jacobian_diff, kp_source["jacobian"])
    return kp_new


def build(config):
    params = config["model_params"]
    torch.manual_seed(0)
    generator = OcclusionAwareGenerator(**params["generator_params"], **params["common_params"])
    kp_detector = KPDetector(**params["kp_detector_params"], **params["common_params"])
    return generator, kp_detector


class Expert:
    """FOMM's generator with the source's encoding hoisted out of the frame loop (same modules, same order)."""

    def __init__(self, generator, kp_detector, precision):
        self.generator = generator
        self.kp_detector = kp_detector
        self.autocast = precision == "bf16"

    def _ctx(self):
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.autocast)

    def job(self, source, driving_initial):
        with torch.inference_mode(), self._ctx():
            g = self.generator
            kp_source = self.kp_detector(source)
            kp_initial = self.kp_detector(driving_initial)
            out = g.first(source)
            for block in g.down_blocks:
                out = block(out)
            return dict(source=source, encoded=out, kp_source=kp_source, kp_initial=kp_initial)

    def frame(self, job, driving):
        with torch.inference_mode(), self._ctx():
            g = self.generator
            kp_driving = self.kp_detector(driving)
            kp_norm = normalize_kp(job["kp_source"], kp_driving, job["kp_initial"])
            dense = g.dense_motion_network(source_image=job["source"], kp_driving=kp_norm, kp_source=job["kp_source"])
            out = g.deform_input(job["encoded"], dense["deformation"])
            occlusion = dense["occlusion_map"]
            if out.shape[2:] != occlusion.shape[2:]:
                occlusion = F.interpolate(occlusion, size=out.shape[2:], mode="bilinear")
            out = out * occlusion
            out = g.bottleneck(out)
            for block in g.up_blocks:
                out = block(out)
            return torch.sigmoid(g.final(out))


class Fomm:
    def __init__(self):
        with open(os.path.join(FOMM_DIR, "config", "vox-256.yaml")) as f:
            self.config = yaml.safe_load(f)
        self.generator, self.kp_detector = build(self.config)
        self.generator.eval()
        self.kp_detector.eval()
        g = torch.Generator().manual_seed(0)
        self.source = torch.rand(1, 3, 256, 256, generator=g)
        self.driving = torch.rand(1, 3, 256, 256, generator=g)
        self.initial = torch.rand(1, 3, 256, 256, generator=g)
        with torch.no_grad():
            self.kp_source = self.kp_detector(self.source)
            self.kp_initial = self.kp_detector(self.initial)
        self.experts = {}
        self.trainer = None

    def expert(self, precision):
        if precision not in self.experts:
            generator, kp_detector = build(self.config)
            generator.load_state_dict(self.generator.state_dict())
            kp_detector.load_state_dict(self.kp_detector.state_dict())
            generator = generator.eval().to(memory_format=torch.channels_last)
            kp_detector = kp_detector.eval().to(memory_format=torch.channels_last)
            expert = Expert(generator, kp_detector, precision)
            cl = lambda t: t.contiguous(memory_format=torch.channels_last)  # noqa: E731
            self.experts[precision] = (expert, expert.job(cl(self.source), cl(self.initial)), cl(self.driving))
        return self.experts[precision]

    def demo_frame(self):
        with torch.no_grad():
            kp_driving = self.kp_detector(self.driving)
            kp_norm = normalize_kp(self.kp_source, kp_driving, self.kp_initial)
            self.generator(self.source, kp_source=self.kp_source, kp_driving=kp_norm)

    def demo_job(self):
        with torch.no_grad():
            self.kp_detector(self.source)
            self.kp_detector(self.initial)

    def train_step(self):
        if self.trainer is None:
            config = yaml.safe_load(yaml.safe_dump(self.config))
            # At 64 px vox-256's scale 0.25 leaves 16x16, too small for the 5-block hourglasses:
            # the keypoint detector and dense motion run at 0.5 (32x32), as dime's fommTrainConfig.
            config["model_params"]["kp_detector_params"]["scale_factor"] = 0.5
            config["model_params"]["generator_params"]["dense_motion_params"]["scale_factor"] = 0.5
            generator, kp_detector = build(config)
            params = config["model_params"]
            discriminator = MultiScaleDiscriminator(**params["discriminator_params"], **params["common_params"])
            train_params = config["train_params"]
            train_params["scales"] = [1, 0.5, 0.25]
            train_params["loss_weights"]["generator_gan"] = 0
            full = GeneratorFullModel(kp_detector, generator, discriminator, train_params).train()
            betas = (0.5, 0.999)
            optimizers = [
                torch.optim.Adam(generator.parameters(), lr=train_params["lr_generator"], betas=betas),
                torch.optim.Adam(kp_detector.parameters(), lr=train_params["lr_kp_detector"], betas=betas),
            ]
            g = torch.Generator().manual_seed(1)
            batch = dict(source=torch.rand(4, 3, 64, 64, generator=g), driving=torch.rand(4, 3, 64, 64, generator=g))
            self.trainer = (full, optimizers, batch)
        full, optimizers, batch = self.trainer
        losses, _ = full(batch)
        sum(v.mean() for v in losses.values()).backward()
        for optimizer in optimizers:
            optimizer.step()
            optimizer.zero_grad()

    def run(self, request):
        case = request["case"]
        if case == "demo-frame":
            return self.demo_frame
        if case == "demo-job":
            return self.demo_job
        if case == "train":
            return self.train_step
        expert, job, driving = self.expert(request.get("precision", "fp32"))
        if case == "expert-frame":
            return lambda: expert.frame(job, driving)
        if case == "expert-job":
            return lambda: expert.job(job["source"], job["source"])
        raise ValueError(f"unknown case {case}")


def retain_freed_memory():
    """dime's torch.retainFreedMemory (src/torch/allocator.ts), which `dime train`, `dime animate` and
    `dime bench model` set: glibc serves every block from its heap (maps none on its own) and trims only
    past 1 GiB free, so freed activations are reused instead of faulted in afresh. The expert's allocator."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_MMAP_MAX
        return libc.mallopt(-3, 32 << 20) == 1 and libc.mallopt(-1, 1 << 30) == 1 and libc.mallopt(-4, 0) == 1
    except OSError:  # not glibc: dime's call returns false there too
        return False


def main():
    retained = "--retain-freed-memory" in sys.argv[1:] and retain_freed_memory()
    if not os.path.isfile(os.path.join(FOMM_DIR, "modules", "generator.py")):
        print(json.dumps(dict(error=f"FOMM_DIR={FOMM_DIR!r} is not a first-order-model checkout")), flush=True)
        return
    fomm = Fomm()
    print(json.dumps(dict(ready=True, torch=torch.__version__, fommDir=FOMM_DIR, retainFreedMemory=retained)), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            torch.set_num_threads(request["threads"])
            fn = fomm.run(request)
            for _ in range(request.get("warmup", 1)):
                fn()
            samples, cpu = [], []
            for _ in range(request["runs"]):
                start, start_cpu = time.perf_counter(), time.process_time()
                fn()
                samples.append((time.perf_counter() - start) * 1e3)
                cpu.append((time.process_time() - start_cpu) * 1e3)
            print(json.dumps(dict(request, samplesMs=samples, cpuMs=cpu)), flush=True)
        except Exception as error:  # one line back, so the caller can report the case as failed
            print(json.dumps(dict(request, error=f"{type(error).__name__}: {error}")), flush=True)


if __name__ == "__main__":
    main()
