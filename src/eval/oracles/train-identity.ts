// Training of the identity oracle: classify the training identities through a cosine head with an
// additive margin (CosFace: logits s (cos - m [own class])), so that the embedding, not the head,
// carries identity and unseen people can be matched by cosine. Backgrounds are swapped most of the
// time so that the person, not the backdrop, decides; blur and noise, no colour change.
import * as torch from "../../torch/index.js";
import type { ProgressReporter } from "../../util/progress.js";
import { Linear } from "../../nn/index.js";
import { addNoise, soften, swapBackground, toUnit } from "./augment.js";
import { fit } from "./fit.js";
import { IdentityEmbedder, normalize, type IdentityEmbedderOptions } from "./identity.js";
import type { SynthSet } from "./synth-set.js";

export interface IdentityTraining {
  steps: number;
  batchSize: number;
  lr: number;
  /** CosFace's scale s and margin m. */
  scale: number;
  margin: number;
  /** Chance that a sample gets another identity's backdrop. */
  swapChance: number;
}

export const IDENTITY_ARCHITECTURE: IdentityEmbedderOptions = { blockExpansion: 8, maxFeatures: 256, numBlocks: 5, embeddingDim: 128 };
export const IDENTITY_TRAINING: IdentityTraining = { steps: 1000, batchSize: 64, lr: 2e-3, scale: 16, margin: 0.2, swapChance: 0.75 };

/** Builds and trains the identity oracle on `set` (call torch.manualSeed first). Returns it (eval mode) and the wall time. */
export function trainIdentityEmbedder(
  set: SynthSet,
  settings: IdentityTraining,
  progress: ProgressReporter,
): { net: IdentityEmbedder; seconds: number } {
  const net = new IdentityEmbedder(IDENTITY_ARCHITECTURE);
  const classes = set.identities.length;
  // The class centres: training only, not shipped.
  const head = new Linear(IDENTITY_ARCHITECTURE.embeddingDim, classes, { bias: false });
  const { batchSize: b } = settings;
  try {
    const seconds = fit(
      net,
      head.parameters(),
      () => {
        const rows = torch.randint(0, set.frames.size(0), [b]);
        const label = set.label.indexSelect(0, rows);
        let frames = swapBackground(
          toUnit(set.frames.indexSelect(0, rows)),
          set.foreground.indexSelect(0, rows),
          toUnit(set.backgrounds.indexSelect(0, torch.randint(0, classes, [b]))),
          torch.rand([b]).lt(settings.swapChance),
        );
        frames = soften(frames, torch.rand([b]).mul(torch.rand([b]).lt(0.5)));
        frames = addNoise(frames, torch.rand([b]).mul(0.03));
        const cosine = net.forward(frames).embedding.matmul(normalize(head.weight).transpose(0, 1)); // (B, classes)
        const own = torch.zeros([b, classes]).scatter(1, label.view(b, 1), torch.ones([b, 1]));
        const logits = cosine.sub(own.mul(settings.margin)).mul(settings.scale);
        const accuracy = cosine.argmax(1).eq(label).to("float32").mean();
        const loss = torch.F.crossEntropy(logits, label);
        return { total: loss, show: { cosface: loss, train_top1: accuracy } };
      },
      { steps: settings.steps, lr: settings.lr, progress },
    );
    return { net, seconds };
  } finally {
    head.dispose();
  }
}
