// Frame rates as ffmpeg writes them ("30000/1001") and as numbers.

/** "30000/1001" -> 29.97; "25" -> 25; "0/0" -> 0. */
export function rateValue(rate: string): number {
  const [num, den] = rate.split("/").map(Number);
  const value = den === undefined ? num : num / den;
  return Number.isFinite(value) ? value : 0;
}

/** A number of frames per second as a fraction string ffmpeg accepts. */
export function fractionOf(fps: number): string {
  if (Number.isInteger(fps)) return `${fps}/1`;
  return `${Math.round(fps * 1000)}/1000`;
}
