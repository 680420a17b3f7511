// The errors training stops with: each message is one line naming what failed and what to do, so
// the CLI prints it as is (DESIGN section 10).

/** A run that cannot start or go on: bad options, a folder it cannot use, a checkpoint that does not fit. */
export class TrainError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TrainError";
  }
}

/**
 * A loss term (or, before a checkpoint, a parameter) became NaN or Inf. Training stops before the
 * optimizer applies the step, so the weights and the last checkpoint stay good.
 */
export class NonFiniteLossError extends TrainError {
  constructor(
    readonly step: number,
    /** The loss term, or `parameter <name>` when the weights themselves went bad. */
    readonly term: string,
    readonly value: number,
    readonly lastCheckpoint: string | undefined,
  ) {
    const kept = lastCheckpoint ? `the last good checkpoint is ${lastCheckpoint}` : "no checkpoint was written yet";
    super(
      `step ${step}: ${term} is ${value} (not finite); training stopped and ${kept}: lower train_params.lr, check the data, or resume from it with --resume`,
    );
    this.name = "NonFiniteLossError";
  }
}
