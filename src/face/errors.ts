// The face pipeline's one error: a picture or clip in which no face was found, named.

/** No face in `file`; the message is one line that says what to do instead. */
export class NoFaceError extends Error {
  constructor(
    readonly file: string,
    hint = "frame the face larger, or pass --crop center, --crop none or --crop X,Y,W,H",
    message = `no face found in ${file}: ${hint}`,
  ) {
    super(message);
    this.name = "NoFaceError";
  }

  /** `--face-index` past the faces found. */
  static tooFew(file: string, index: number, found: number): NoFaceError {
    return new NoFaceError(
      file,
      "",
      `${file}: --face-index ${index} asks for face ${index + 1}, but ${found} ${found === 1 ? "was" : "were"} found (dime probe --faces ${file} lists them)`,
    );
  }
}
