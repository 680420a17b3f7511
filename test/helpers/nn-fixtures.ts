// Small models for the nn and optim tests, each mirroring a PyTorch model written the same way
// (the Python side is quoted where numbers taken from PyTorch depend on it).
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import * as nn from "../../src/nn/index.js";

/*
 * The Python twin of NestedNet (torch 1.13):
 *
 *   class DownBlock(nn.Module):
 *       def __init__(self, cin, cout):
 *           super().__init__()
 *           self.conv = nn.Conv2d(cin, cout, 3, padding=1)
 *           self.norm = nn.BatchNorm2d(cout)
 *   class Net(nn.Module):
 *       def __init__(self):
 *           super().__init__()
 *           self.down_blocks = nn.ModuleList([DownBlock(3, 4), DownBlock(4, 8)])
 *           self.head = nn.Sequential(nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 1, bias=False))
 *           self.inorm = nn.InstanceNorm2d(2, affine=True, track_running_stats=True)
 *           self.fc = nn.Linear(2, 3)
 */
export class DownBlock extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly norm: nn.BatchNorm2d;
  constructor(cin: number, cout: number) {
    super();
    this.conv = this.registerModule("conv", new nn.Conv2d(cin, cout, 3, { padding: 1 }));
    this.norm = this.registerModule("norm", new nn.BatchNorm2d(cout));
  }
  /** (N, cin, H, W) -> (N, cout, H/2, W/2) */
  forward(x: Tensor): Tensor {
    return torch.F.avgPool2d(this.norm.forward(this.conv.forward(x)).relu(), 2);
  }
}

export class NestedNet extends nn.Module {
  readonly down_blocks = this.registerModule("down_blocks", new nn.ModuleList([new DownBlock(3, 4), new DownBlock(4, 8)]));
  readonly head = this.registerModule(
    "head",
    new nn.Sequential(new nn.ConvTranspose2d(8, 4, 4, { stride: 2, padding: 1 }), new nn.ReLU(), new nn.Conv2d(4, 2, 1, { bias: false })),
  );
  readonly inorm = this.registerModule("inorm", new nn.InstanceNorm2d(2, { affine: true, trackRunningStats: true }));
  readonly fc = this.registerModule("fc", new nn.Linear(2, 3));

  /** (N, 3, H, W) -> (N, 3) */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const block of this.down_blocks) y = block.forward(y);
    y = this.inorm.forward(this.head.forward(y)); // (N, 2, H/2, W/2)
    return this.fc.forward(y.mean([2, 3])); // (N, 3)
  }
}

/**
 * A tiny least-squares problem: loss = mean((X w^T + b - Y)^2) with X (4, 3), Y (4, 2), w (2, 3)
 * and b (2) as in the Python script quoted in test/optim-trajectory.test.ts.
 */
export function leastSquares(): { w: Tensor; b: Tensor; loss: () => Tensor; dispose: () => void } {
  const X = torch.keep(
    torch.tensor([
      [1, 2, 3],
      [-1, 0.5, 2],
      [0.3, -0.7, 1.1],
      [2, -1, 0],
    ]),
  );
  const Y = torch.keep(
    torch.tensor([
      [1, 0],
      [0, 1],
      [0.5, 0.5],
      [-1, 2],
    ]),
  );
  const w = torch.keep(
    torch
      .tensor([
        [0.5, -0.3, 0.8],
        [0.1, 0.2, -0.4],
      ])
      .requiresGrad_(),
  );
  const b = torch.keep(torch.tensor([0.05, -0.1]).requiresGrad_());
  return {
    w,
    b,
    loss: () => torch.F.linear(X, w, b).sub(Y).pow(2).mean(),
    dispose: () => torch.dispose([X, Y, w, b]),
  };
}

/**
 * A small conv net for lifetime tests: conv, batch norm, ReLU, transposed conv, instance norm.
 * (N, 3, H, W) -> (N, 3, H, W)
 */
export class TinyConvNet extends nn.Module {
  readonly body = this.registerModule(
    "body",
    new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1 }),
      new nn.BatchNorm2d(8),
      new nn.ReLU(),
      new nn.ConvTranspose2d(8, 4, 4, { stride: 2, padding: 1 }),
      new nn.InstanceNorm2d(4, { affine: true }),
      new nn.LeakyReLU(0.2),
      new nn.Conv2d(4, 3, 1),
    ),
  );
  forward(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}

/** Runs n optimizer steps on a least-squares problem (one tidy() each); returns the losses. */
export function trainSteps(problem: ReturnType<typeof leastSquares>, opt: { zeroGrad(): void; step(): void }, n: number): number[] {
  const losses: number[] = [];
  for (let i = 0; i < n; i++) {
    torch.tidy(() => {
      opt.zeroGrad();
      const loss = problem.loss();
      loss.backward();
      opt.step();
      losses.push(loss.item());
    });
  }
  return losses;
}
