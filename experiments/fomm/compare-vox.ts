// The full-size vox-256 check: a FOMM vox-256 with random weights, torch.save'd in the legacy
// format by experiments/fomm/fomm_reference.py (FOMM's own modules, python3-torch), imported here,
// and run on the same 256x256 pair; prints the largest differences against PyTorch's outputs.
//   node --import tsx experiments/fomm/compare-vox.ts VOX.pth.tar PAIR.pth [--threads N]
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { loadConfig } from "../../src/dime/config/file.js";
import { importFommCheckpoint } from "../../src/checkpoint/fomm-import.js";
import { readTorchCheckpoint } from "../../src/io/torch-checkpoint.js";

const [checkpoint, pairPath] = process.argv.slice(2);
const threads = Number(process.argv[process.argv.indexOf("--threads") + 1] ?? 2);
if (process.argv.includes("--threads")) torch.setNumThreads(threads);
const config = loadConfig(new URL("../../configs/fomm/vox-256.yaml", import.meta.url).pathname);
let t0 = performance.now();
const imported = importFommCheckpoint(checkpoint, config);
const importSeconds = (performance.now() - t0) / 1000;
const pair = readTorchCheckpoint(pairPath).tensors;
const get = (name: string): Tensor => pair.get(name)!;
t0 = performance.now();
const report = torch.tidy(() => {
  const out = torch.inferenceMode(() => imported.model.forward(get("source"), get("driving")));
  const diff = (a: Tensor, b: Tensor) => a.sub(b).abs().amax().item() as number;
  return {
    "kp_source.value": diff(out.kpSource.value, get("kp_source.value")),
    "kp_source.jacobian": diff(out.kpSource.jacobian!, get("kp_source.jacobian")),
    "kp_driving.value": diff(out.kpDriving.value, get("kp_driving.value")),
    "kp_driving.jacobian": diff(out.kpDriving.jacobian!, get("kp_driving.jacobian")),
    occlusion_map: diff(out.visibility, get("occlusion_map")),
    prediction: diff(out.prediction, get("prediction")),
    prediction_range: [out.prediction.amin().item(), out.prediction.amax().item()],
    // How far the motion is from the identity (a check that the pair exercises the warps).
    keypoint_motion: diff(out.kpSource.value, out.kpDriving.value),
    occlusion_range: [out.visibility.amin().item(), out.visibility.amax().item()],
  };
});
const forwardSeconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify(
    {
      checkpoint,
      parameters: imported.model.numParameters(),
      importSeconds,
      forwardSeconds,
      threads: torch.getNumThreads(),
      largestDifference: report,
    },
    null,
    1,
  ),
);
imported.model.dispose();
