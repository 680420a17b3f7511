// A test file (or suite) that runs on one libtorch thread, and gives the count back after, so that
// files sharing a process (test/quick.ts) do not inherit it.
import { after, before } from "node:test";

import * as torch from "../../src/torch/index.js";

/** Call at the top of a file or inside a describe: its tests run with torch.setNumThreads(1). */
export function oneThread(): void {
  let previous = 0;
  before(() => {
    previous = torch.getNumThreads();
    torch.setNumThreads(1);
  });
  after(() => torch.setNumThreads(previous));
}
