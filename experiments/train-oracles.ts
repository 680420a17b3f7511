// Trains and writes the synthetic benchmark's oracles (docs/oracles.md):
//
//   node --import tsx experiments/train-oracles.ts --kind faces [--data DIR] [--out DIR]
//        [--nets landmarks,identity] [--videos N] [--landmark-steps N] [--identity-steps N] [--threads 1] [--seed 0]
//
// The data is made with `dime synth` at the kind's oracle seed (src/eval/oracles/trainer.ts) under
// tmp/oracle-data/ unless --data says where; the weights go to models/oracles/<kind>-64.
import { parseArgs } from "node:util";

import * as torch from "../src/torch/index.js";
import { ProgressBar } from "../src/util/progress.js";
import { ORACLE_DATA, trainOracles, type OracleNet } from "../src/eval/oracles/index.js";
import type { KindName } from "../src/synth/kinds.js";

const { values } = parseArgs({
  options: {
    kind: { type: "string", default: "faces" },
    data: { type: "string" },
    out: { type: "string" },
    nets: { type: "string", default: "landmarks,identity" },
    videos: { type: "string" },
    "landmark-steps": { type: "string" },
    "identity-steps": { type: "string" },
    threads: { type: "string", default: "1" },
    seed: { type: "string", default: "0" },
  },
});
const kind = values.kind as KindName;
if (!(kind in ORACLE_DATA)) throw new Error(`--kind must be faces, bodies or shapes, got '${kind}'`);
const nets = values.nets.split(",") as OracleNet[];
const steps = (flag: string | undefined) => (flag === undefined ? {} : { steps: Number(flag) });
torch.setNumThreads(Number(values.threads));
const report = await trainOracles({
  kind,
  data: values.data ?? `tmp/oracle-data/${kind}-64-seed${ORACLE_DATA[kind].seed}`,
  ...(values.out ? { out: values.out } : {}),
  nets,
  ...(values.videos ? { dataChanges: { videos: Number(values.videos) } } : {}),
  landmarks: steps(values["landmark-steps"]),
  identity: steps(values["identity-steps"]),
  seed: Number(values.seed),
  command: `node --import tsx experiments/train-oracles.ts ${process.argv.slice(2).join(" ")}`.trim(),
  progress: new ProgressBar(process.stderr, { interval: 15 }),
});
console.log(JSON.stringify(report, null, 2));
