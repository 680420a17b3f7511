#!/usr/bin/env node
// The `dime` command: runs the compiled CLI (run `npm run build` after changing src/).
import("../dist/cli/main.js").then((cli) => cli.main(process.argv.slice(2)));
