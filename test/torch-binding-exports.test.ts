// binding.ts declares exactly what the addon exports, name for name (STYLE.md: one typed door to native code).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import type ts from "typescript";

import { native } from "../src/torch/binding.js";
import { SLOW } from "./helpers/tier.js";

/** The property names of the `Native` interface in binding.ts, as the type checker sees them (UnaryOp included). */
async function declaredNames(): Promise<string[]> {
  const { default: ts } = await import("typescript"); // a second to load: only when the test runs
  const file = fileURLToPath(new URL("../src/torch/binding.ts", import.meta.url));
  const program = ts.createProgram([file], { strict: true, target: ts.ScriptTarget.ES2022, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source, `${file}: not read`);
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === "Native");
  assert.ok(decl, "binding.ts: no interface Native");
  return checker.getPropertiesOfType(checker.getTypeAtLocation(decl.name)).map((p) => p.name);
}

// Loads the TypeScript compiler and type-checks binding.ts: full tier.
test("the Native interface and the addon's exports match, name for name", SLOW, async () => {
  const declared = new Set(await declaredNames());
  const exported = new Set(Object.keys(native));
  const undeclared = [...exported].filter((n) => !declared.has(n)).sort();
  const missing = [...declared].filter((n) => !exported.has(n)).sort();
  assert.deepEqual(
    { undeclared, missing },
    { undeclared: [], missing: [] },
    "exported by the addon but not declared in binding.ts, or declared but not exported",
  );
  assert.ok(declared.size > 100, `only ${declared.size} names declared: the interface was not read`);
});
