// The shape of one `dime` sub-command, and the error type whose message is shown to the user as is.

export interface Command {
  /** The word after `dime`. */
  name: string;
  /** One line for `dime --help`. */
  summary: string;
  /** The full `dime NAME --help` text: usage and every flag. */
  help: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** An error the user caused (bad flag, missing file): printed as one line, exit code 1 (or `code`). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = "UsageError";
  }
}
