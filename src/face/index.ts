// Real footage in and out: find faces, crop them for the model, follow them through a clip, paste
// the animated crop back, and smooth motion over time (docs/animate.md, "Real footage").
export { detectFaces, DETECT_MARGIN, type Face, type DetectFacesOptions } from "./detect.js";
export {
  faceCropBox,
  faceFrame,
  isFramed,
  centerBox,
  rectBox,
  boxEdges,
  CROP_SCALE,
  CROP_SHIFT_UP,
  FRAMED_SHARE,
  type CropBox,
} from "./box.js";
export { cropForModel, cropGeometry, type CropSize } from "./crop.js";
export { pasteBack, pasteBackImage, featherProfile, type PasteOptions } from "./paste.js";
export { trackFaces, fillBoxes, fixedBox, smoothBoxes, type FaceTrack, type TrackMode, type TrackOptions } from "./track.js";
export { OneEuroFilter, smoothingParams, type OneEuroParams } from "./one-euro.js";
export { resampleMatrix } from "./resample.js";
export { NoFaceError } from "./errors.js";
export { linkTracks, type LinkedTrack, type LinkOptions } from "./links.js";
