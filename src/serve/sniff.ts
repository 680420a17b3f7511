// Recognising an upload by its first bytes, before any decoder sees it: only the picture and video
// containers listed here go on to sharp or ffprobe, so an SVG (which can name other files), an
// HLS or concat playlist (which can make ffmpeg open other files or URLs), a PDF or a script
// never reaches a decoder, whatever its name says.

export type PictureFormat = "png" | "jpeg" | "gif" | "webp" | "tiff" | "bmp";
export type VideoContainer = "mp4" | "matroska" | "avi" | "gif";

const ascii = (bytes: Uint8Array, start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));

/** The picture format of `head` (the file's first bytes, 16 or more), or undefined. */
export function sniffPicture(head: Uint8Array): PictureFormat | undefined {
  if (head.length < 12) return undefined;
  if (head[0] === 0x89 && ascii(head, 1, 4) === "PNG") return "png";
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "jpeg";
  if (ascii(head, 0, 4) === "GIF8") return "gif";
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return "webp";
  if (ascii(head, 0, 4) === "II*\0" || ascii(head, 0, 4) === "MM\0*") return "tiff";
  if (ascii(head, 0, 2) === "BM") return "bmp";
  return undefined;
}

/** The video container of `head`, or undefined. */
export function sniffVideo(head: Uint8Array): VideoContainer | undefined {
  if (head.length < 12) return undefined;
  if (["ftyp", "moov", "mdat", "wide", "free"].includes(ascii(head, 4, 8))) return "mp4";
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return "matroska";
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "AVI ") return "avi";
  if (ascii(head, 0, 4) === "GIF8") return "gif";
  return undefined;
}

/** ffprobe's format names each container may be reported as; anything else is refused. */
export const PROBED_FORMATS: Record<VideoContainer, RegExp> = {
  mp4: /^mov,mp4/,
  matroska: /^matroska/,
  avi: /^avi$/,
  gif: /^gif$/,
};

export const EXTENSIONS: Record<PictureFormat | VideoContainer, string> = {
  png: ".png",
  jpeg: ".jpg",
  gif: ".gif",
  webp: ".webp",
  tiff: ".tif",
  bmp: ".bmp",
  mp4: ".mp4",
  matroska: ".mkv",
  avi: ".avi",
};
