// Adam and SGD follow PyTorch's trajectories step for step on a tiny least-squares problem.
import { describe, test } from "node:test";

import type { Tensor } from "../src/torch/index.js";
import * as optim from "../src/optim/index.js";
import { assertClose } from "./helpers/assert.js";
import { TOL } from "./helpers/tolerance.js";
import { leastSquares, trainSteps } from "./helpers/nn-fixtures.js";

const F32 = TOL.exact.float32!;

/*
 * Expected numbers produced with Debian's /usr/bin/python3, torch 1.13.0 (CPU, float32):
 *
 *   (the problem is leastSquares() in test/helpers/nn-fixtures.ts)
 *   X = torch.tensor([[1, 2, 3], [-1, 0.5, 2], [0.3, -0.7, 1.1], [2, -1, 0]])
 *   Y = torch.tensor([[1, 0], [0, 1], [0.5, 0.5], [-1, 2]])
 *   def run(make, steps=6):
 *       w = torch.tensor([[0.5, -0.3, 0.8], [0.1, 0.2, -0.4]], requires_grad=True)
 *       b = torch.tensor([0.05, -0.1], requires_grad=True)
 *       opt = make([w, b]); losses = []
 *       for _ in range(steps):
 *           opt.zero_grad()
 *           loss = ((F.linear(X, w, b) - Y) ** 2).mean()
 *           loss.backward(); opt.step(); losses.append(loss.item())
 *       return {"losses": losses, "w": w.detach().flatten().tolist(), "b": b.detach().tolist()}
 *   run(lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01))  # adam
 *   run(lambda p: torch.optim.Adam(p))                                                          # adamDefault
 *   run(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01))  # sgdMomentum
 *   run(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True))                     # sgdNesterov
 *   run(lambda p: torch.optim.SGD(p, lr=0.05))                                                  # sgdPlain
 */
const PYTORCH = {
  adam: {
    losses: [2.3689498901367188, 1.6125000715255737, 1.0474522113800049, 0.6628341674804688, 0.44172781705856323, 0.3506380617618561],
    w: [-0.0567653551697731, -0.008562803268432617, 0.32594966888427734, 0.5663586258888245, -0.4025578200817108, 0.14704111218452454],
    b: [-0.487753689289093, 0.4526155889034271],
  },
  adamDefault: {
    losses: [2.3689498901367188, 2.3601603507995605, 2.351396322250366, 2.342658042907715, 2.3339457511901855, 2.3252601623535156],
    w: [0.4940012991428375, -0.3059607446193695, 0.7940031290054321, 0.105997733771801, 0.19399882853031158, -0.3940015435218811],
    b: [0.044001802802085876, -0.09400145709514618],
  },
  sgdMomentum: {
    losses: [2.3689498901367188, 1.7798848152160645, 1.098078966140747, 0.6968207359313965, 0.650956392288208, 0.7682865262031555],
    w: [-0.23285144567489624, -0.11119599640369415, 0.20709536969661713, 0.5152100324630737, -0.12863942980766296, 0.27695053815841675],
    b: [-0.6049554347991943, 0.64837247133255],
  },
  sgdNesterov: {
    losses: [2.3689498901367188, 1.3644511699676514, 0.7745102643966675, 0.563395082950592, 0.501721978187561, 0.44493532180786133],
    w: [-0.2398177981376648, 0.002321034437045455, 0.3675002157688141, 0.4753696024417877, -0.2895470857620239, 0.1309109628200531],
    b: [-0.5831859111785889, 0.6540084481239319],
  },
  sgdPlain: {
    losses: [2.3689498901367188, 1.781059980392456, 1.399691104888916, 1.1427634954452515, 0.9626047611236572, 0.8312040567398071],
    w: [0.2072252780199051, -0.25287970900535583, 0.5192651748657227, 0.27381330728530884, 0.1021895483136177, -0.0859479159116745],
    b: [-0.22576257586479187, 0.20946846902370453],
  },
};

type Trajectory = { losses: number[]; w: number[]; b: number[] };

function run(make: (params: Tensor[]) => optim.Optimizer<optim.BaseHyper>, steps = 6): Trajectory {
  const problem = leastSquares();
  const opt = make([problem.w, problem.b]);
  const losses = trainSteps(problem, opt, steps);
  const result = { losses, w: problem.w.flatten().toArray(), b: problem.b.toArray() };
  problem.dispose();
  return result;
}

function check(name: string, ours: Trajectory, reference: Trajectory): void {
  assertClose(ours.losses, reference.losses, F32, 1e-6, `${name} losses`);
  assertClose(ours.w, reference.w, F32, 1e-6, `${name} weight`);
  assertClose(ours.b, reference.b, F32, 1e-6, `${name} bias`);
}

describe("trajectories equal PyTorch's", () => {
  test("Adam with betas, eps and L2 weight decay", () => {
    check(
      "adam",
      run((p) => new optim.Adam(p, { lr: 0.1, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.01 })),
      PYTORCH.adam,
    );
  });
  test("Adam with PyTorch's defaults", () => {
    check(
      "adamDefault",
      run((p) => new optim.Adam(p)),
      PYTORCH.adamDefault,
    );
  });
  test("SGD with momentum, dampening and weight decay", () => {
    check(
      "sgdMomentum",
      run((p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })),
      PYTORCH.sgdMomentum,
    );
  });
  test("SGD with Nesterov momentum", () => {
    check(
      "sgdNesterov",
      run((p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true })),
      PYTORCH.sgdNesterov,
    );
  });
  test("plain SGD", () => {
    check(
      "sgdPlain",
      run((p) => new optim.SGD(p, { lr: 0.05 })),
      PYTORCH.sgdPlain,
    );
  });
});
