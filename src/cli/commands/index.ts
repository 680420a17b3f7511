// Every `dime` sub-command, in the order `dime --help` lists them.
import type { Command } from "../command.js";
import { animateCommand } from "./animate.js";
import { bench } from "./bench.js";
import { infoCommand } from "./info.js";
import { probeCommand } from "./probe.js";
import { synthCommand } from "./synth.js";
import { trainCommand } from "./train.js";

export const commands: Command[] = [trainCommand, animateCommand, bench, infoCommand, probeCommand, synthCommand];
