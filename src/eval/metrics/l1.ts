// L1: the mean absolute difference between two images (FOMM's and DiME's "L1" column, paper
// section 4), per image, over channels and pixels.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { checkImagePair } from "./images.js";

/** mean |a - b| of each image: a, b (B, C, H, W) -> (B); 0 for identical images. */
export function l1(a: Tensor, b: Tensor): Tensor {
  checkImagePair("l1", a, b);
  return torch.tidy(() => a.sub(b).abs().mean([1, 2, 3]));
}
