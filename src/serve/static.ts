// The page's files, read once at start into memory from dist/page, where the build puts the
// compiled page code and copies index.html and style.css (src/serve/page/build.mjs), so that a
// packed install, which ships dist/ and not src/, serves the same page. Requests are answered from
// this table by exact name; no request path ever reaches the file system.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT } from "./assets.js";

export interface StaticFile {
  body: Buffer;
  type: string;
}

export const PAGE_BUILD = join(ROOT, "dist/page");

/** URL path -> file. Throws, naming the fix, when the page's code has not been built. */
export function pageFiles(): Map<string, StaticFile> {
  if (!existsSync(join(PAGE_BUILD, "app.js")))
    throw new Error(`the page's code is not built (${PAGE_BUILD}/app.js is missing): run npm run build`);
  const files = new Map<string, StaticFile>();
  files.set("/", { body: readFileSync(join(PAGE_BUILD, "index.html")), type: "text/html; charset=utf-8" });
  files.set("/style.css", { body: readFileSync(join(PAGE_BUILD, "style.css")), type: "text/css; charset=utf-8" });
  for (const name of readdirSync(PAGE_BUILD)) {
    if (/^[a-z-]+\.js$/.test(name))
      files.set(`/js/${name}`, { body: readFileSync(join(PAGE_BUILD, name)), type: "text/javascript; charset=utf-8" });
  }
  return files;
}
