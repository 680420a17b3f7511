#!/usr/bin/env -S node --single-threaded-gc
// The `dime` command: runs the compiled CLI (run `npm run build` after changing src/).
// --single-threaded-gc: V8's garbage collector works on this thread instead of helper threads,
// which would otherwise take a core from libtorch's threads mid-operation (docs/speed.md).
// `node bin/dime.js` skips the line above: `node --single-threaded-gc bin/dime.js` keeps it.
import("../dist/cli/main.js").then((cli) => cli.main(process.argv.slice(2)));
