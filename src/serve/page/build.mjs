// Builds the web app's page into dist/page: its TypeScript compiled by tsc (this folder's
// tsconfig.json), and index.html and style.css copied beside it, so that the page is served from
// dist/ alone (npm pack ships dist/, not src/). Run by `npm run build` and by the serve tests.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../../..");
const out = join(root, "dist/page");

execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(here, "tsconfig.json")], { stdio: "inherit" });
mkdirSync(out, { recursive: true });
for (const name of ["index.html", "style.css"]) copyFileSync(join(here, name), join(out, name));
