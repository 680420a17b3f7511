// Sharpness: the variance of the Laplacian (the usual blur measure, as OpenCV users compute it with
// cv2.Laplacian(gray, ksize=1).var()) of each generated frame, relative to that of its real frame.
// 1 means as much fine detail as the ground truth; a blurred output scores below 1, and noise or
// artefacts can push it above 1, so read it beside L1 and SSIM.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { checkImagePair } from "./images.js";

/** ITU-R BT.601 luma weights, as OpenCV's RGB -> grey. */
const LUMA = [0.299, 0.587, 0.114];

/**
 * The variance of the 4-neighbour Laplacian [[0,1,0],[1,-4,1],[0,1,0]] of each image's luma, over
 * the pixels whose 3x3 neighbourhood lies inside the image: images (B, 3, H, W) -> (B).
 */
export function laplacianVariance(images: Tensor): Tensor {
  return torch.tidy(() => {
    const like = (values: number[], shape: number[]) => torch.fromArray(new Float32Array(values), shape).to(images.dtype).to(images.device);
    const grey = images.mul(like(LUMA, [1, 3, 1, 1])).sum(1, true); // (B, 1, H, W)
    const laplacian = torch.F.conv2d(grey, like([0, 1, 0, 1, -4, 1, 0, 1, 0], [1, 1, 3, 3])); // (B, 1, H-2, W-2)
    return laplacian.flatten(1).var(1, { correction: 0 }); // (B), population variance
  });
}

/**
 * Sharpness of each generated frame against its real one: laplacianVariance(a) /
 * laplacianVariance(b), a and b (B, 3, H, W) in [0, 1] -> (B). A flat real frame (variance 0)
 * gives Infinity or NaN, which the caller's mean reports.
 */
export function sharpness(a: Tensor, b: Tensor): Tensor {
  checkImagePair("sharpness", a, b, 3);
  if (a.size(2) < 3 || a.size(3) < 3) throw new RangeError(`sharpness: images must be at least 3x3, got ${a.size(2)}x${a.size(3)}`);
  return torch.tidy(() => laplacianVariance(a).div(laplacianVariance(b)));
}
