// Config files: configs/*.yaml in, RUN_DIR/config.yaml out. A file overrides any subset of
// DEFAULT_CONFIG and is checked strictly (check.ts); errors name the file and the line.
import { readFileSync } from "node:fs";

import { Document, LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Node } from "yaml";

import type { DimeConfig } from "./schema.js";
import { ConfigError, parseConfig, type ConfigPath } from "./check.js";

export { ConfigError, applyOverrides, dottedPath, parseConfig, type ConfigPath, type LineLocator } from "./check.js";

/**
 * Reads a YAML config file and merges it over DEFAULT_CONFIG (an empty file gives the defaults).
 * @throws ConfigError, one line naming the file (and the line, where there is one): the file
 *   cannot be read, is not valid YAML, or holds a key or value parseConfig refuses.
 */
export function loadConfig(path: string): DimeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a folder, not a file"
          : code === "EACCES"
            ? "permission denied"
            : (err as Error).message;
    throw new ConfigError(path, "", `cannot read the config (${why})`, "check the path, or pick one of configs/*.yaml");
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = lineCounter.linePos(syntax.pos[0]);
    const what = syntax.message.split("\n")[0].replace(/ at line \d+, column \d+.*$/, "");
    throw new ConfigError(`${path}:${at.line}`, "", `invalid YAML (${what})`, `fix the syntax at line ${at.line}, column ${at.col}`);
  }
  const locate = (configPath: ConfigPath) => {
    const offset = offsetOf(doc.contents, configPath);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return parseConfig(doc.toJS(), path, locate);
}

/** The offset in the source of the key (or list element) at `path`; undefined when the file lacks it. */
function offsetOf(root: unknown, path: ConfigPath): number | undefined {
  let node = root as Node | null;
  let offset = node?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return undefined;
      offset = (pair.key as Node).range?.[0];
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
      node = node.items[segment] as Node;
      offset = node.range?.[0];
    } else return undefined;
  }
  return offset;
}

/**
 * The whole config as YAML (every key, lists in flow style), as saved to RUN_DIR/config.yaml;
 * `parseConfig(YAML.parse(configToYaml(c)), ...)` gives back `c`. `header`, if given, becomes a
 * leading comment.
 */
export function configToYaml(config: DimeConfig, header?: string): string {
  const doc = new Document(config);
  visit(doc, {
    Seq(_, seq) {
      seq.flow = true;
    },
  });
  if (header)
    doc.commentBefore = header
      .split("\n")
      .map((line) => ` ${line}`)
      .join("\n");
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
