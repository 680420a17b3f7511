// Counting multiply-adds: layers with weights report theirs while countMacs() runs (convolutions
// and linear layers, the bulk of a network's arithmetic; pooling, norms, activations and grid
// sampling are not counted).

let counter: { macs: number } | undefined;

/** Runs fn and returns its result with the multiply-adds of the weighted layers it ran. */
export function countMacs<T>(fn: () => T): { result: T; macs: number } {
  const outer = counter;
  const mine = { macs: 0 };
  counter = mine;
  try {
    return { result: fn(), macs: mine.macs };
  } finally {
    counter = outer;
    if (outer) outer.macs += mine.macs;
  }
}

/** Called by layers: adds n multiply-adds to the running count, if one is running. */
export function recordMacs(n: number): void {
  if (counter) counter.macs += n;
}
