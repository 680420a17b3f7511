// The error a checkpoint that cannot be found or read gives: one line naming the file and what to
// do, which the CLI prints as is (DESIGN section 10).

/** No complete checkpoint at a path, or weights that do not fit the model of their config. */
export class CheckpointError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CheckpointError";
  }
}
