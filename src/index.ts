// dime's public API: `import { torch, nn, DiME, loadConfig, train, loadModel, animate, ... } from "dime"`.
export * as torch from "./torch/index.js";
export * as nn from "./nn/index.js";
export * from "./dime/index.js";
export * from "./infer/index.js";
export * from "./train/index.js";
