// The face pipeline's one error: a picture or clip in which no face was found, named.

/** No face in `file`; the message is one line that says what to do instead. */
export class NoFaceError extends Error {
  constructor(readonly file: string, hint = "frame the face larger, or pass --crop center, --crop none or --crop X,Y,W,H") {
    super(`no face found in ${file}: ${hint}`);
    this.name = "NoFaceError";
  }
}
