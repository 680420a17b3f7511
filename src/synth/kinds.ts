// The synthetic kinds by name.
import { bodies } from "./body-scene.js";
import { faces } from "./face-scene.js";
import type { SynthKind } from "./kind.js";
import { shapes } from "./shape-scene.js";

export const KINDS = { faces, bodies, shapes } as const;
export type KindName = keyof typeof KINDS;

export function kindByName(name: string): SynthKind<unknown> | undefined {
  return (KINDS as Record<string, SynthKind<unknown>>)[name];
}
