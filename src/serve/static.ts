// The page's files, read once at start into memory: index.html and style.css from src/serve/page,
// the compiled page code from dist/page (tsc -p src/serve/page/tsconfig.json). Requests are
// answered from this table by exact name; no request path ever reaches the file system.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT } from "./assets.js";

export interface StaticFile {
  body: Buffer;
  type: string;
}

export const PAGE_SOURCE = join(ROOT, "src/serve/page");
export const PAGE_BUILD = join(ROOT, "dist/page");

/** URL path -> file. Throws, naming the fix, when the page's code has not been built. */
export function pageFiles(): Map<string, StaticFile> {
  if (!existsSync(join(PAGE_BUILD, "app.js")))
    throw new Error(`the page's code is not built (${PAGE_BUILD}/app.js is missing): run npm run build`);
  const files = new Map<string, StaticFile>();
  files.set("/", { body: readFileSync(join(PAGE_SOURCE, "index.html")), type: "text/html; charset=utf-8" });
  files.set("/style.css", { body: readFileSync(join(PAGE_SOURCE, "style.css")), type: "text/css; charset=utf-8" });
  for (const name of readdirSync(PAGE_BUILD)) {
    if (/^[a-z-]+\.js$/.test(name))
      files.set(`/js/${name}`, { body: readFileSync(join(PAGE_BUILD, name)), type: "text/javascript; charset=utf-8" });
  }
  return files;
}
