// The quick tier's runner (test/quick.ts): it runs the very files `npm test` runs, so a new test file
// cannot be left out of it, and sharing one process changes nothing a file sees: its top-level
// hooks stay its own, it starts from libtorch's fresh generator, and a file that leaves process-wide
// state changed fails and is undone before the next one.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";

import { TEST_DIR, testFiles } from "./helpers/test-files.js";

const repo = join(TEST_DIR, "..");
const scripts: Record<string, string> = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).scripts;

test("the runner's files are the files npm test runs, as the shell expands its glob", () => {
  const glob = scripts.test!.match(/ --test (\S+)$/)?.[1];
  assert.equal(glob, "test/*.test.ts", `npm test is "${scripts.test}": update testFiles() to match it`);
  const expanded = execFileSync("sh", ["-c", `printf '%s\\n' ${glob}`], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
  assert.deepEqual(
    testFiles(),
    expanded
      .trim()
      .split("\n")
      .map((name) => join(repo, name)),
  );
  assert.ok(testFiles().includes(join(TEST_DIR, "quick-runner.test.ts")));
  assert.equal(scripts["test:quick"], "DIME_TEST_TIER=quick node --import tsx test/quick.ts");
});

const dir = mkdtempSync(join(tmpdir(), "dime-quick-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("files in one process: hooks stay in their file, each starts from a fresh generator, a leak fails and is undone", () => {
  const torch = pathToFileURL(join(repo, "src", "torch", "index.ts")).href;
  const log = join(dir, "log");
  const file = (name: string, body: string) =>
    writeFileSync(join(dir, name), `import { after, before, test } from "node:test";\n${body}\n`);
  const note = (what: string) => `(await import("node:fs")).appendFileSync(${JSON.stringify(log)}, ${what} + "\\n")`;
  file(
    "a.test.mjs",
    `before(async () => ${note('"a before"')});\nafter(async () => ${note('"a after"')});\ntest("a", async () => ${note('"a"')});`,
  );
  const draw = `const torch = await import(${JSON.stringify(torch)}); ${note("torch.randn([3]).toArray().join()")};`;
  file("b.test.mjs", `test("b", async () => { ${draw} process.env.DIME_QUICK_LEAK = "1"; });`);
  file("c.test.mjs", `test("c", async () => { ${draw} if (process.env.DIME_QUICK_LEAK) throw new Error("b's variable leaked"); });`);
  // Without NODE_TEST_CONTEXT, which `node --test` sets for its children, the child reports TAP.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const files = ["a", "b", "c"].map((n) => join(dir, `${n}.test.mjs`));
  const run = spawnSync(process.execPath, ["--import", "tsx", "--test-reporter=tap", join(TEST_DIR, "quick.ts"), ...files], {
    cwd: repo,
    encoding: "utf8",
    env,
  });
  const lines = readFileSync(log, "utf8").trim().split("\n");
  assert.deepEqual(lines.slice(0, 3), ["a before", "a", "a after"], "a's hooks ran around a's test only");
  assert.equal(lines.length, 5, lines.join("\n"));
  assert.equal(lines[3], lines[4], "b and c drew the same numbers: each started from the fresh generator");
  assert.equal(run.status, 1, run.stdout);
  assert.match(run.stdout, /b\.test\.mjs left process-wide state changed \(environment DIME_QUICK_LEAK=1, was \(unset\)\)/);
  // The three tests passed; only b's suite failed, on the leak.
  assert.match(run.stdout, /^# pass 3$/m);
  assert.match(run.stdout, /^# fail 0$/m);
});
