// A rank of the sync-batch-norm check in train-distributed.test.ts: a conv and a BatchNorm2d used three
// times, on this rank's share of a seeded batch of 2; prints the gradients and running mean.
import * as torch from "../../src/torch/index.js";
import { BatchNorm2d, Conv2d } from "../../src/nn/index.js";
import { setSyncBatchNorm } from "../../src/nn/norm.js";
const d = torch.distributed;
const rank = Number(process.env.RANK ?? 0),
  ws = Number(process.env.WORLD_SIZE ?? 1);
if (ws > 1) {
  d.initProcessGroup({ masterAddr: "127.0.0.1", masterPort: Number(process.env.PORT), rank, worldSize: ws, timeoutMs: 10000 });
  setSyncBatchNorm(true);
}
torch.manualSeed(1);
const conv = new Conv2d(2, 3, 3, { padding: 1 });
const bn = new BatchNorm2d(3);
const x = torch.randn([2, 2, 4, 4]);
const t = torch.randn([2, 3, 4, 4]);
const share = 2 / ws;
const xs = x.narrow(0, rank * share, share),
  ts = t.narrow(0, rank * share, share);
const params = [...conv.parameters(), ...bn.parameters()];
if (ws > 1) {
  d.gradientBuckets(params, 64, 64);
  d.prepareBackward();
}
const loss = bn
  .forward(conv.forward(xs))
  .sub(ts)
  .square()
  .mean()
  .add(
    bn
      .forward(conv.forward(xs.mul(2)).relu())
      .mean()
      .mul(3),
  )
  .add(bn.forward(conv.forward(xs)).sub(ts).abs().mean());
loss.backward();
if (ws > 1) d.finishGradients();
console.log(
  rank,
  params
    .map((p) =>
      [...(p.grad!.data() as Float32Array)]
        .slice(0, 3)
        .map((v) => v.toFixed(5))
        .join(","),
    )
    .join(" | "),
);
console.log(rank, "rm", [...(bn.runningMean!.data() as Float32Array)].map((v) => v.toFixed(5)).join(","));
if (ws > 1) {
  d.barrier();
  d.destroyProcessGroup();
}
