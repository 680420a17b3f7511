// Every `dime` sub-command, in the order `dime --help` lists them.
import type { Command } from "../command.js";
import { animateCommand } from "./animate.js";
import { bench } from "./bench.js";
import { cropCommand } from "./crop.js";
import { demoCommand } from "./demo.js";
import { evalCommand } from "./eval.js";
import { importCommand } from "./import.js";
import { infoCommand } from "./info.js";
import { probeCommand } from "./probe.js";
import { recalibrateCommand } from "./recalibrate.js";
import { reconstructCommand } from "./reconstruct.js";
import { serveCommand } from "./serve.js";
import { synthCommand } from "./synth.js";
import { trainCommand } from "./train.js";

export const commands: Command[] = [
  demoCommand,
  trainCommand,
  recalibrateCommand,
  importCommand,
  animateCommand,
  reconstructCommand,
  evalCommand,
  serveCommand,
  bench,
  infoCommand,
  probeCommand,
  synthCommand,
  cropCommand,
];
