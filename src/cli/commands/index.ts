// Every `dime` sub-command, in the order `dime --help` lists them.
import type { Command } from "../command.js";
import { animateCommand } from "./animate.js";
import { bench } from "./bench.js";
import { infoCommand } from "./info.js";
import { probeCommand } from "./probe.js";
import { synthCommand } from "./synth.js";

export const commands: Command[] = [animateCommand, bench, infoCommand, probeCommand, synthCommand];
commands.push((await import("./train.js")).trainCommand);
