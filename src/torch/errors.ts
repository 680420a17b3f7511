// Errors of the tensor layer.

/** A tensor was used after dispose(): names the op so the faulty line is easy to find. */
export class UseAfterDisposeError extends Error {
  constructor(readonly op: string) {
    super(
      `${op}: tensor was used after dispose() (it was freed explicitly or by the tidy() scope that created it; keep() it or return it from the scope)`,
    );
    this.name = "UseAfterDisposeError";
  }
}
