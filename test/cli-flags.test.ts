// The strict flag parser: typed values from the declaration, list flags repeat, bad input is a UsageError naming the flag.
import assert from "node:assert/strict";
import { test } from "node:test";

import { noArguments } from "../src/cli/checks.js";
import { UsageError } from "../src/cli/command.js";
import { defineFlags, parseFlags } from "../src/cli/flags.js";

const FLAGS = defineFlags({ out: "string", steps: "int", lr: "number", resume: "bool", ref: "list" });

test("parses each kind, --name=value and positionals; list flags collect their values", () => {
  const { positional, flags } = parseFlags(
    ["a", "--out", "o", "--steps=3", "--lr", "1e-3", "--resume", "--ref", "x", "--ref=y", "b"],
    FLAGS,
  );
  assert.deepEqual(positional, ["a", "b"]);
  // The types come from the declaration: these lines would not compile against a mis-typed flag.
  const out: string | undefined = flags.out;
  const steps: number | undefined = flags.steps;
  const refs: string[] | undefined = flags.ref;
  assert.deepEqual(
    { out, steps, lr: flags.lr, resume: flags.resume, refs },
    { out: "o", steps: 3, lr: 1e-3, resume: true, refs: ["x", "y"] },
  );
  assert.deepEqual(parseFlags([], FLAGS).flags, {});
});

test("unknown flags, missing values and bad numbers are UsageErrors naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--nope"], /unknown flag --nope/],
    [["--constructor", "x"], /unknown flag --constructor/],
    [["--steps"], /--steps needs a value/],
    [["--steps", "2.5"], /--steps: expected an integer, got '2.5'/],
    [["--lr", "fast"], /--lr: expected a number, got 'fast'/],
    [["--steps", " "], /--steps: expected an integer/],
    [["--resume=yes"], /--resume takes no value/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseFlags(argv, FLAGS),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      argv.join(" "),
    );
  }
});

test("noArguments: a flags-only command refuses a stray argument in one line naming it and the help", () => {
  assert.doesNotThrow(() => noArguments([], "animate"));
  assert.throws(
    () => noArguments(["clip.mp4", "x"], "animate"),
    (error: unknown) => error instanceof UsageError && error.message === "unexpected argument 'clip.mp4' (see dime animate --help)",
  );
});
