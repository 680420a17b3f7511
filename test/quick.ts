// The quick tier's runner (`npm run test:quick`): every test file in ONE process, each in a suite of
// its own, one after the other, so Node, tsx and libtorch start once rather than once per file.
// `npm test` (CI) still runs each file in a process of its own. Usage:
//   DIME_TEST_TIER=quick node --import tsx test/quick.ts [test/FILE.test.ts ...]
// DIME_QUICK_TIMES=1 prints each file's wall and CPU time at the end.
//
// Why a suite per file: node:test attaches a file's top-level before/after hooks to the suite that
// is running when the file is evaluated, so imported inside `describe` they stay that file's hooks
// instead of becoming the root's, run around every other file's tests. Why one file at a time: a
// file's top-level code (fixtures, models) runs when its turn comes, not all up front. Between files
// the runner gives the next file libtorch's generator as a fresh process has it, and fails a file
// that leaves process-wide state changed (threads, grad mode, cwd, env, signal handlers),
// restoring it so that later files see what a process of their own would.
import { after, describe } from "node:test";
import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

import * as torch from "../src/torch/index.js";
import { clock, FileTimes } from "./helpers/file-times.js";
import { captureState, restoreState } from "./helpers/process-state.js";
import { TEST_DIR, testFiles } from "./helpers/test-files.js";

const files = process.argv.length > 2 ? process.argv.slice(2).map((file) => resolve(file)) : testFiles();
const freshGenerator = torch.defaultGenerator().getState();
const times = process.env.DIME_QUICK_TIMES === "1" ? new FileTimes() : undefined;

for (const file of files) {
  const name = relative(resolve(TEST_DIR, ".."), file);
  const start = clock();
  await describe(name, async () => {
    const saved = captureState();
    torch.defaultGenerator().setState(freshGenerator);
    try {
      await import(pathToFileURL(file).href);
    } finally {
      // Registered after the file's own hooks, so it runs after them (hooks run in order).
      after(() => {
        const leaks = restoreState(saved);
        if (leaks.length > 0) throw new Error(`${name} left process-wide state changed (${leaks.join("; ")}); restore it in an after hook`);
      });
    }
  });
  times?.add(name, start, clock());
}
freshGenerator.dispose();
if (times) process.stderr.write(`${times.table()}\n`);
