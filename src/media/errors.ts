// The one error type of the media layer: a file dime cannot read or write, named, with what to do next.

/** Why a media file was refused; lets callers (and tests) branch without parsing messages. */
export type MediaErrorReason =
  | "missing" // no such file or folder
  | "unreadable" // exists but cannot be opened (permissions, not a regular file)
  | "unsupported" // not an image or video dime understands
  | "corrupt" // looks like a known format but cannot be decoded
  | "empty" // decodes, but holds no frames
  | "tool" // ffmpeg / ffprobe missing or failed to start
  | "write"; // an output could not be written

/**
 * A media file dime cannot use. `message` is one line that names the file and says what to do;
 * the CLI prints it as is.
 */
export class MediaError extends Error {
  constructor(
    readonly file: string,
    readonly reason: MediaErrorReason,
    detail: string,
    /** The whole line instead of "FILE: DETAIL" (write errors read "cannot write FILE: ..."). */
    message?: string,
    options?: ErrorOptions,
  ) {
    super(message ?? `${file}: ${oneLine(detail)}`, options);
    this.name = "MediaError";
  }
}

/** Collapses tool output (ffmpeg stderr, libvips messages) to one short line. */
export function oneLine(text: string, max = 240): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}
