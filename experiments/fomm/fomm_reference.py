#!/usr/bin/python3
# Reference files from FOMM's own modules (AliaksandrSiarohin/first-order-model, a checkout given
# by FOMM_DIR) with Debian's python3-torch, for dime's FOMM import. Not needed by dime's tests.
#
#   shapes OUT.json              the state-dict shapes of KPDetector and OcclusionAwareGenerator for
#                                every config/*-256.yaml of FOMM's released models
#   vox CKPT PAIR [SEED]         vox-256 with random weights (seeded, batch-norm statistics
#                                randomised too, keypoint heatmaps sharpened) saved with torch.save in the legacy format
#                                (_use_new_zipfile_serialization=False), as FOMM's released
#                                files are; and PAIR, a legacy torch.save of one random 256x256
#                                source/driving pair with FOMM's outputs in eval mode
#   sizes ZIP LEGACY MB          two checkpoints of about MB megabytes of float32 tensors (FOMM-like
#                                layout: generator, kp_detector, optimizer states), in the zip and
#                                the legacy format, for `dime bench io`
#
# FOMM was trained under torch 1.0, whose grid_sample behaved as align_corners=True; newer torch
# defaults to False, so grid_sample is patched to True, as ../shared/golden does.
import functools
import json
import os
import sys

import torch
import torch.nn.functional as F
import yaml

FOMM_DIR = os.environ.get("FOMM_DIR", "/tmp/fomm")
sys.path.insert(0, FOMM_DIR)
F.grid_sample = functools.partial(F.grid_sample, align_corners=True)

from modules.generator import OcclusionAwareGenerator  # noqa: E402
from modules.keypoint_detector import KPDetector  # noqa: E402

RELEASED = ["vox-256", "vox-adv-256", "taichi-256", "taichi-adv-256", "nemo-256", "mgif-256", "bair-256", "fashion-256"]


def build(name):
    with open(os.path.join(FOMM_DIR, "config", f"{name}.yaml")) as f:
        config = yaml.safe_load(f)
    params = config["model_params"]
    generator = OcclusionAwareGenerator(**params["generator_params"], **params["common_params"])
    kp_detector = KPDetector(**params["kp_detector_params"], **params["common_params"])
    return generator, kp_detector


def shapes(out):
    result = {}
    for name in RELEASED:
        generator, kp_detector = build(name)
        state = {f"generator.{k}": list(v.shape) for k, v in generator.state_dict().items()}
        state.update({f"kp_detector.{k}": list(v.shape) for k, v in kp_detector.state_dict().items()})
        result[name] = state
    with open(out, "w") as f:
        json.dump(result, f, indent=0)


def randomise(module, generator):
    with torch.no_grad():
        for name, p in module.state_dict().items():
            if p.dtype != torch.float32:
                continue
            if name.endswith("running_var"):
                p.copy_(torch.rand(p.shape, generator=generator) * 0.5 + 0.75)
            elif name.endswith("running_mean"):
                p.copy_(torch.randn(p.shape, generator=generator) * 0.1)
            elif name.endswith("down.weight"):
                continue  # the fixed anti-aliasing kernel
            elif name.endswith("jacobian.weight") or name.endswith("jacobian.bias"):
                p.add_(torch.randn(p.shape, generator=generator) * 0.01)
            else:
                fan = p[0].numel() if p.dim() > 1 else 1
                p.copy_(torch.randn(p.shape, generator=generator) / (fan ** 0.5) * (1.0 if p.dim() > 1 else 0.1))


def vox(ckpt, pair, seed=0):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    generator, kp_detector = build("vox-256")
    randomise(generator, gen)
    randomise(kp_detector, gen)
    # Sharper heatmaps: random weights alone put every keypoint near the centre, so source and
    # driving keypoints would barely differ and the warps would be near the identity.
    with torch.no_grad():
        kp_detector.kp.weight.mul_(40)
    torch.save({"generator": generator.state_dict(), "kp_detector": kp_detector.state_dict(), "epoch": 0}, ckpt, _use_new_zipfile_serialization=False)
    generator.eval()
    kp_detector.eval()
    source = torch.rand(1, 3, 256, 256, generator=gen)
    driving = torch.rand(1, 3, 256, 256, generator=gen)
    with torch.no_grad():
        kp_source = kp_detector(source)
        kp_driving = kp_detector(driving)
        out = generator(source, kp_source=kp_source, kp_driving=kp_driving)
    torch.save({
        "source": source, "driving": driving,
        "kp_source.value": kp_source["value"], "kp_source.jacobian": kp_source["jacobian"],
        "kp_driving.value": kp_driving["value"], "kp_driving.jacobian": kp_driving["jacobian"],
        "occlusion_map": out["occlusion_map"], "prediction": out["prediction"],
    }, pair, _use_new_zipfile_serialization=False)


def sizes(zip_path, legacy_path, megabytes):
    # A FOMM-like object of about `megabytes` MB: vox-256's generator and kp_detector, then Adam
    # states (two moments per parameter) until the size is reached.
    generator, kp_detector = build("vox-256")
    obj = {"generator": generator.state_dict(), "kp_detector": kp_detector.state_dict()}
    total = sum(t.numel() * 4 for part in obj.values() for t in part.values())
    states = {}
    params = [p for p in list(generator.parameters()) + list(kp_detector.parameters())]
    i = 0
    while total < megabytes * 1e6:
        p = params[i % len(params)]
        states[i] = {"step": torch.tensor(1.0), "exp_avg": torch.randn_like(p), "exp_avg_sq": torch.rand_like(p)}
        total += 2 * p.numel() * 4
        i += 1
    obj["optimizer_generator"] = {"state": states, "param_groups": [{"lr": 2e-4, "betas": (0.5, 0.999), "params": list(range(i))}]}
    obj["epoch"] = 99
    torch.save(obj, zip_path)
    torch.save(obj, legacy_path, _use_new_zipfile_serialization=False)
    print(f"{total / 1e6:.1f} MB of tensors")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "shapes":
        shapes(sys.argv[2])
    elif mode == "vox":
        vox(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    elif mode == "sizes":
        sizes(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode}")
