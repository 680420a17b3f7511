#!/usr/bin/python3
# One FOMM training step as `dime bench model` times it (bench/fomm_pytorch.py's train case), written
# out so experiments/speed/train-parity.ts can run dime's step on the same weights, inputs and warp:
#   FOMM_DIR=... [THREADS=2] [DOUBLE=1] /usr/bin/python3 experiments/speed/train_parity.py OUT_DIR [SEED]
# OUT_DIR/fomm.pth.tar  the generator's and keypoint detector's random weights before the step
#                       (legacy torch.save, as FOMM's released files; dime imports it)
# OUT_DIR/step.pth      the batch, the VGG-19 weights, the equivariance warp X (theta, control
#                       points and params, captured from FOMM's Transform), every loss term, and
#                       after backward each parameter's gradient and its value after both Adams
# Weights: FOMM's own initialisation (seeded), keypoint heatmaps sharpened as fomm_reference.py
# does, so the equivariance's Jacobian inverse is not near-singular; batch norm in training mode.
import os
import sys

import torch
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import fomm_pytorch  # noqa: E402  (patches grid_sample and torchvision as the bench does)
from fomm_pytorch import FOMM_DIR, MultiScaleDiscriminator, GeneratorFullModel, build  # noqa: E402
import modules.model as fomm_model  # noqa: E402


def main(out_dir, seed):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    with open(os.path.join(FOMM_DIR, "config", "vox-256.yaml")) as f:
        config = yaml.safe_load(f)
    # Exactly bench/fomm_pytorch.py's train_step configuration.
    config["model_params"]["kp_detector_params"]["scale_factor"] = 0.5
    config["model_params"]["generator_params"]["dense_motion_params"]["scale_factor"] = 0.5
    generator, kp_detector = build(config)
    with torch.no_grad():
        kp_detector.kp.weight.mul_(10)
    params = config["model_params"]
    discriminator = MultiScaleDiscriminator(**params["discriminator_params"], **params["common_params"])
    train_params = config["train_params"]
    train_params["scales"] = [1, 0.5, 0.25]
    train_params["loss_weights"]["generator_gan"] = 0
    torch.save({"generator": generator.state_dict(), "kp_detector": kp_detector.state_dict(), "epoch": 0},
               os.path.join(out_dir, "fomm.pth.tar"), _use_new_zipfile_serialization=False)
    full = GeneratorFullModel(kp_detector, generator, discriminator, train_params).train()
    betas = (0.5, 0.999)
    optimizers = [
        torch.optim.Adam(generator.parameters(), lr=train_params["lr_generator"], betas=betas),
        torch.optim.Adam(kp_detector.parameters(), lr=train_params["lr_kp_detector"], betas=betas),
    ]
    # VGG-19 weights: torchvision's names, so dime's Vgg19.loadWeights takes them as they are.
    g = torch.Generator().manual_seed(seed)
    vgg = {}
    for name, p in full.vgg.state_dict().items():
        if name in ("mean", "std"):
            continue
        index = name.split(".", 1)[1]
        tensor = torch.randn(p.shape, generator=g) * (2.0 / (p[0].numel() if p.dim() > 1 else 1)) ** 0.5 * (1.0 if p.dim() > 1 else 0.1)
        vgg[f"vgg.features.{index}"] = tensor
        p.copy_(tensor)
    batch = dict(source=torch.rand(4, 3, 64, 64, generator=g), driving=torch.rand(4, 3, 64, 64, generator=g))
    if os.environ.get("DOUBLE") == "1":
        # The same step in float64 (the same float32 weights, inputs and warp, widened): the reference
        # that tells float32 rounding, amplified by batch norm over 4 samples, from a real difference.
        full.double()
        batch = {k: v.double() for k, v in batch.items()}

    captured = {}
    original_init = fomm_model.Transform.__init__

    def capture(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        captured.update(theta=self.theta.clone(), control_points=self.control_points.clone(), control_params=self.control_params.clone())

    fomm_model.Transform.__init__ = capture
    torch.manual_seed(seed)
    losses, _ = full(batch)
    terms = {k: v.mean() for k, v in losses.items()}
    total = sum(terms.values())
    total.backward()
    named = [(f"generator.{n}", p) for n, p in generator.named_parameters()] + [(f"kp_detector.{n}", p) for n, p in kp_detector.named_parameters()]
    grads = {f"grad.{n}": p.grad.clone() for n, p in named}
    for optimizer in optimizers:
        optimizer.step()
    after = {f"after.{n}": p.detach().clone() for n, p in named}
    out = dict(batch, **vgg, **grads, **after, **{f"transform.{k}": v for k, v in captured.items()})
    out.update({f"loss.{k}": v.detach().reshape(1) for k, v in terms.items()})
    out["loss.total"] = total.detach().reshape(1)
    out["lr"] = torch.tensor([train_params["lr_generator"], train_params["lr_kp_detector"]])
    torch.save(out, os.path.join(out_dir, "step.pth"), _use_new_zipfile_serialization=False)
    print(" ".join(f"{k}={v.item():.6g}" for k, v in terms.items()), f"total={total.item():.6g}", f"parameters={len(named)}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
