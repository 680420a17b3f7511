// Importing FOMM's torch.save checkpoints (../shared/golden/checkpoints, FOMM's own modules in the
// tiny golden configuration): the weights land bit for bit, the imported model passes the FOMM eval
// golden test, a config that does not fit is named by the value that would, and TPSMM/MRAA files
// are recognised and refused.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DEFAULT_CONFIG, type DimeConfig } from "../src/dime/config/schema.js";
import { importFommCheckpoint } from "../src/checkpoint/fomm-import.js";
import { GOLDEN_DIR, NO_GOLDEN, assertTensorClose, loadGolden } from "./helpers/golden.js";
import { fommTinyParams } from "./helpers/model-fixtures.js";
import { float32Bytes, groupedPickle, zipCheckpoint, type StorageSpec } from "./helpers/torch-pickles.js";

const DIR = join(GOLDEN_DIR, "checkpoints");
const FILES = ["fomm-tiny-legacy.pth.tar", "fomm-tiny-zip.pth.tar"];
const tmp = mkdtempSync(join(tmpdir(), "dime-fomm-import-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function tinyConfig(edit: (c: DimeConfig) => void = () => {}): DimeConfig {
  const config = structuredClone(DEFAULT_CONFIG);
  config.model_params = fommTinyParams();
  config.dataset_params.frame_shape = [64, 64, 3];
  edit(config);
  return config;
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    const message = (error as Error).message;
    assert.ok(!message.includes("\n"), message);
    return message;
  }
  assert.fail("expected a refusal");
}

describe("importing FOMM's checkpoints", { skip: NO_GOLDEN }, () => {
  const weights = NO_GOLDEN ? new Map<string, Tensor>() : loadGolden("fomm-tiny-weights.safetensors");
  const discriminator = NO_GOLDEN ? new Map<string, Tensor>() : loadGolden("checkpoints/fomm-tiny-discriminator.safetensors");
  const golden = NO_GOLDEN ? new Map<string, Tensor>() : loadGolden("fomm-tiny-eval.safetensors");

  for (const file of FILES) {
    test(`${file}: weights bit for bit, the discriminator kept, and FOMM's eval outputs reproduced`, () => {
      const imported = importFommCheckpoint(join(DIR, file), tinyConfig());
      try {
        assert.equal(imported.epoch, 49);
        const own = imported.model.stateDict();
        assert.deepEqual([...own.keys()].sort(), [...weights.keys()].sort());
        for (const [key, t] of own) assert.ok(t.equal(weights.get(key)!), key);
        torch.dispose(own);
        assert.equal(imported.discriminator!.size, discriminator.size);
        for (const [key, t] of discriminator) assert.ok(imported.discriminator!.get(key)!.equal(t), key);
        torch.tidy(() => {
          const out = torch.inferenceMode(() => imported.model.forward(golden.get("input.source")!, golden.get("input.driving")!));
          assertTensorClose(out.kpDriving.value, golden.get("kp_driving.value")!, "kp_driving.value", 1e-4);
          assertTensorClose(out.kpDriving.jacobian!, golden.get("kp_driving.jacobian")!, "kp_driving.jacobian", 1e-4);
          assertTensorClose(out.coarse.deformation, golden.get("dense_motion.deformation")!, "dense_motion.deformation", 1e-4);
          assertTensorClose(out.visibility, golden.get("dense_motion.occlusion_map")!, "occlusion_map", 1e-4);
          assertTensorClose(out.prediction, golden.get("generator.prediction")!, "generator.prediction", 1e-4);
        });
      } finally {
        imported.model.dispose();
        torch.dispose(imported.discriminator);
      }
    });
  }

  test("a config that does not fit names the key and the value that would", () => {
    const path = join(DIR, FILES[0]);
    const cases: [(c: DimeConfig) => void, RegExp][] = [
      [(c) => (c.model_params.common_params.num_kp = 15), /kp_detector\.kp\.weight is \(4, 11, 7, 7\): num_kp is 4, the config says 15$/],
      [
        (c) => (c.model_params.switches.jacobians = false),
        /kp_detector\.jacobian\.weight is \(16, 11, 7, 7\): switches\.jacobians is true, the config says false$/,
      ],
      [(c) => (c.model_params.kp_detector_params.single_jacobian_map = true), /single_jacobian_map is false, the config says true$/],
      [
        (c) => (c.model_params.generator_params.block_expansion = 16),
        /generator\.first\.conv\.weight is \(8, 3, 7, 7\): generator_params\.block_expansion is 8, the config says 16$/,
      ],
      [
        (c) => (c.model_params.generator_params.num_bottleneck_blocks = 6),
        /generator_params\.num_bottleneck_blocks is 2, the config says 6$/,
      ],
      [(c) => (c.model_params.kp_detector_params.num_blocks = 5), /kp_detector_params\.num_blocks is 3, the config says 5$/],
      [
        (c) => (c.model_params.generator_params.dense_motion_params.max_features = 32),
        /dense_motion_params\.max_features is at least 64, the config says 32$/,
      ],
      [(c) => (c.model_params.generator_params.estimate_occlusion_map = false), /estimate_occlusion_map is true, the config says false$/],
      [
        (c) => (c.model_params.kp_detector_params.scale_factor = 0.5),
        /kp_detector_params\.scale_factor is a downscale with a 13x13 kernel, the config says 0\.5 \(a 5x5 kernel\)$/,
      ],
      [(c) => (c.model_params.switches.refine = true), /switches on refine, which FOMM's model lacks: import with the FOMM config/],
    ];
    for (const [edit, expected] of cases) {
      const message = refusal(() => importFommCheckpoint(path, tinyConfig(edit)));
      assert.ok(message.startsWith(`${path}: `), message);
      assert.match(message, expected);
    }
  });
});

describe("checkpoints of other models", () => {
  const storages: StorageSpec[] = [{ key: "0", type: "FloatStorage", numel: 4, bytes: float32Bytes([1, 2, 3, 4]) }];
  const tensor = (name: string) => ({ name, storage: "0", offset: 0, shape: [4], stride: [1] });
  const kinds: [string, Record<string, ReturnType<typeof tensor>[]>, RegExp][] = [
    [
      "tpsmm.pth.tar",
      {
        kp_detector: [tensor("fg_encoder.conv1.weight")],
        dense_motion_network: [tensor("hourglass.x")],
        inpainting_network: [tensor("first.conv.weight")],
      },
      /a TPSMM checkpoint .*: its architecture is not supported yet/,
    ],
    [
      "mraa.pth",
      { generator: [tensor("first.conv.weight")], region_predictor: [tensor("regions.weight")] },
      /an MRAA checkpoint .*: its architecture is not supported yet/,
    ],
    ["other.pth", { encoder: [tensor("w")] }, /not a FOMM checkpoint .*entries are: encoder/],
  ];
  for (const [name, groups, expected] of kinds) {
    test(`${name} is recognised and refused in one line`, () => {
      const path = join(tmp, name);
      writeFileSync(path, zipCheckpoint([], storages, undefined, groupedPickle(groups, storages, false)));
      assert.match(
        refusal(() => importFommCheckpoint(path, tinyConfig())),
        expected,
      );
    });
  }
});
