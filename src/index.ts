// dime's public API: `import { torch, ... } from "dime"`.
export * as torch from "./torch/index.js";
