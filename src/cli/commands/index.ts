// Every `dime` sub-command, in the order `dime --help` lists them.
import type { Command } from "../command.js";

export const commands: Command[] = [];
