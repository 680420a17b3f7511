// Matching a state dict against a model's own tensors: which keys are missing, unexpected or
// mis-shaped, reported all at once with what to do about it.
import type { Tensor } from "../torch/index.js";

export interface LoadResult {
  /** Keys the model has and the state dict lacks (left untouched). */
  missingKeys: string[];
  /** Keys the state dict has and the model lacks (ignored). */
  unexpectedKeys: string[];
}

const LIST_LIMIT = 20;

function list(keys: string[]): string {
  const shown = keys.slice(0, LIST_LIMIT).map((k) => `    ${k}`);
  if (keys.length > LIST_LIMIT) shown.push(`    ... and ${keys.length - LIST_LIMIT} more`);
  return shown.join("\n");
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Compares the model's tensors (`own`) with `state`; throws one Error naming every problem, or
 * returns the missing and unexpected keys when `strict` is false and no shape differs.
 */
export function checkStateDict(
  modelName: string,
  own: ReadonlyMap<string, Tensor>,
  state: ReadonlyMap<string, Tensor>,
  strict: boolean,
): LoadResult {
  const missingKeys = [...own.keys()].filter((k) => !state.has(k));
  const unexpectedKeys = [...state.keys()].filter((k) => !own.has(k));
  const misShaped: string[] = [];
  for (const [name, target] of own) {
    const source = state.get(name);
    if (source === undefined) continue;
    const [want, got] = [target.shape, source.shape];
    if (want.length !== got.length || want.some((s, i) => s !== got[i])) {
      misShaped.push(`${name}: model has ${shapeText(want)}, state dict has ${shapeText(got)}`);
    }
  }
  const keyErrors = strict && (missingKeys.length > 0 || unexpectedKeys.length > 0);
  if (!keyErrors && misShaped.length === 0) return { missingKeys, unexpectedKeys };

  const parts = [`loadStateDict: the state dict does not fit ${modelName}; nothing was loaded.`];
  if (strict && missingKeys.length > 0) parts.push(`  missing keys (in the model, not in the state dict):\n${list(missingKeys)}`);
  if (strict && unexpectedKeys.length > 0) parts.push(`  unexpected keys (in the state dict, not in the model):\n${list(unexpectedKeys)}`);
  if (misShaped.length > 0) parts.push(`  mis-shaped keys:\n${list(misShaped)}`);
  const advice = [];
  if (misShaped.length > 0)
    advice.push("build the model with the config the checkpoint was saved with (channel counts, kernel sizes, number of keypoints)");
  if (keyErrors) advice.push("check that the checkpoint belongs to this model, or pass { strict: false } to load the keys that match");
  parts.push(`  To fix: ${advice.join("; or ")}.`);
  throw new Error(parts.join("\n"));
}
