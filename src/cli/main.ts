// `dime`: dispatches to the sub-commands and turns errors into one line and a non-zero exit.
import { readFileSync } from "node:fs";

import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { commands } from "./commands/index.js";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `dime ${version()}: image animation with DiME (Differential Motion Evolution) on libtorch`,
    "",
    "Usage: dime <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `dime <command> --help` for the options of one command.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(overview());
    process.exitCode = 0;
    return;
  }
  if (name === "--version" || name === "-v") {
    console.log(version());
    return;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`dime: unknown command '${name}'. Run \`dime --help\` for the list.`);
    process.exitCode = 2;
    return;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return;
  }
  try {
    process.exitCode = await command.run(rest);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`dime ${name}: ${message}`);
    if (process.env.DIME_DEBUG && error instanceof Error) console.error(error.stack);
    process.exitCode = error instanceof UsageError ? error.code : 1;
  }
}
