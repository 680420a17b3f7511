// How synthetic videos are named and split: `id0003#01` is video 1 of identity 3 (the '#' prefix
// convention of FOMM's VoxCeleb layout, which identity sampling uses); whole identities go to test.

/** The video name for identity `identity`, its `take`-th video. */
export function videoName(identity: number, take: number): string {
  return `id${String(identity).padStart(4, "0")}#${String(take).padStart(2, "0")}`;
}

/**
 * Number of identities held out for test: round(fraction * identities), at least 1 when the fraction
 * is positive and there are two or more identities, and never all of them.
 */
export function testIdentityCount(identities: number, fraction: number): number {
  if (fraction <= 0 || identities < 2) return 0;
  return Math.min(identities - 1, Math.max(1, Math.round(fraction * identities)));
}
