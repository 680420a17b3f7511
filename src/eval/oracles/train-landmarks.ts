// Training of the landmark oracle on a synthetic split: L1 on the landmark positions in pixels
// (hidden ones down-weighted: AKD counts only visible landmarks, but where a hidden ear is still
// helps to place the rest) plus the cross-entropy of visibility, with flips, background swaps,
// colour, blur and noise (augment.ts).
import * as torch from "../../torch/index.js";
import type { ProgressReporter } from "../../util/progress.js";
import { addNoise, flipLandmarks, jitterColour, mirrorIndex, soften, swapBackground, toUnit } from "./augment.js";
import { fit } from "./fit.js";
import { LandmarkRegressor, type LandmarkRegressorOptions } from "./landmarks.js";
import type { SynthSet } from "./synth-set.js";

export interface LandmarkTraining {
  steps: number;
  batchSize: number;
  lr: number;
  /** Weight of a hidden landmark's position error, relative to a visible one's. */
  hiddenWeight: number;
  /** Chance that a sample gets another identity's backdrop. */
  swapChance: number;
}

export const LANDMARK_ARCHITECTURE: Omit<LandmarkRegressorOptions, "numLandmarks"> = { blockExpansion: 16, maxFeatures: 128, numBlocks: 3 };
export const LANDMARK_TRAINING: LandmarkTraining = { steps: 1500, batchSize: 32, lr: 2e-3, hiddenWeight: 0.2, swapChance: 0.5 };

/** Builds and trains the landmark oracle on `set` (call torch.manualSeed first). Returns it (eval mode) and the wall time. */
export function trainLandmarkRegressor(
  set: SynthSet,
  settings: LandmarkTraining,
  progress: ProgressReporter,
): { net: LandmarkRegressor; seconds: number } {
  const net = new LandmarkRegressor({ numLandmarks: set.landmarkNames.length, ...LANDMARK_ARCHITECTURE });
  const mirror = mirrorIndex(set.landmarkNames);
  const pixelsPerUnit = (set.info.size - 1) / 2;
  const { batchSize: b } = settings;
  const seconds = fit(
    net,
    [],
    () => {
      const rows = torch.randint(0, set.frames.size(0), [b]);
      const swapped = swapBackground(
        toUnit(set.frames.indexSelect(0, rows)),
        set.foreground.indexSelect(0, rows),
        toUnit(set.backgrounds.indexSelect(0, torch.randint(0, set.identities.length, [b]))),
        torch.rand([b]).lt(settings.swapChance),
      );
      const batch = flipLandmarks(
        { frames: swapped, points: set.points.indexSelect(0, rows), visible: set.visible.indexSelect(0, rows) },
        torch.rand([b]).lt(0.5),
        mirror,
      );
      let frames = jitterColour(batch.frames, torch.rand([b, 3]).sub(0.5).mul(0.3).add(1), torch.rand([b]).sub(0.5).mul(0.2));
      frames = soften(frames, torch.rand([b]).mul(torch.rand([b]).lt(0.5)));
      frames = addNoise(frames, torch.rand([b]).mul(0.03));
      const predicted = net.forward(frames);
      const error = predicted.points.sub(batch.points).abs().sum(-1).mul(pixelsPerUnit); // (B, K) L1 in pixels
      const weight = batch.visible.mul(1 - settings.hiddenWeight).add(settings.hiddenWeight); // (B, K)
      const position = error.mul(weight).sum().div(weight.sum());
      const visibility = torch.F.binaryCrossEntropyWithLogits(predicted.visibleLogit, batch.visible);
      return { total: position.add(visibility), show: { l1_px: position, visibility } };
    },
    { steps: settings.steps, lr: settings.lr, progress },
  );
  return { net, seconds };
}
