// `dime probe --faces IMG...`: the faces dime finds in each picture, largest first, with the box
// `--crop face --face-index N` would animate.
import { loadFaceApi } from "../faceapi/index.js";
import { detectFaces } from "../face/detect.js";
import { faceCropBox, isFramed } from "../face/box.js";
import { readImage } from "../media/image-read.js";
import { MediaError } from "../media/errors.js";

const r1 = (v: number) => Math.round(v * 10) / 10;

/** Prints each picture's faces (text or JSON lines); returns the number of files that failed (unreadable or without a face). */
export async function probeFaces(files: string[], json: boolean): Promise<number> {
  const api = loadFaceApi();
  let failed = 0;
  try {
    for (const file of files) {
      try {
        const picture = await readImage(file);
        const faces = detectFaces(api, picture).map((face, index) => {
          const crop = faceCropBox(face.landmarks);
          return {
            index,
            score: Math.round(face.score * 1000) / 1000,
            box: { x: r1(face.box.x), y: r1(face.box.y), width: r1(face.box.width), height: r1(face.box.height) },
            crop: { cx: r1(crop.cx), cy: r1(crop.cy), side: r1(crop.side) },
            framed: isFramed(crop, picture.width, picture.height),
          };
        });
        if (faces.length === 0) failed += 1;
        if (json) {
          console.log(JSON.stringify({ path: file, width: picture.width, height: picture.height, faces }));
          continue;
        }
        console.log(
          `${file}: ${picture.width}x${picture.height}, ${faces.length === 0 ? "no face found" : `${faces.length} face${faces.length > 1 ? "s" : ""}, largest first`}`,
        );
        for (const f of faces) {
          console.log(
            `  --face-index ${f.index}: box ${f.box.width}x${f.box.height} at (${f.box.x}, ${f.box.y}), score ${f.score}; crop ${f.crop.side} px square centred at (${f.crop.cx}, ${f.crop.cy})${f.framed ? " (already framed: used whole)" : ""}`,
          );
        }
      } catch (error) {
        if (!(error instanceof MediaError)) throw error;
        failed += 1;
        console.error(json ? JSON.stringify({ path: file, error: error.message, reason: error.reason }) : `dime probe: ${error.message}`);
      }
    }
  } finally {
    api.dispose();
  }
  return failed;
}
