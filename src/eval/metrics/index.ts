// The evaluation's metrics (DiME section 4, DESIGN section 7): image quality (L1, PSNR, SSIM,
// MS-SSIM, LPIPS, sharpness), distribution distance (FID on Inception-v3 features) and the task metrics over
// detector outputs (AKD, CSIM). Images are (B, 3, H, W) in [0, 1]; every metric runs on the
// device of its inputs. Conventions and weight files: docs/metrics.md.
export { l1 } from "./l1.js";
export { psnr } from "./psnr.js";
export { ssim } from "./ssim.js";
export { msSsim, msSsimScaleSizes, msSsimWindow, MS_SSIM_WEIGHTS } from "./ms-ssim.js";
export { Lpips, lpipsHeadShapes, type LpipsNet, type LpipsFiles } from "./lpips.js";
export { ALEXNET, VGG16, LPIPS_BACKBONES, backboneTensorShapes, type BackboneSpec } from "./lpips-backbones.js";
export { InceptionV3Features, inceptionTensorShapes, INCEPTION_FEATURES, INCEPTION_SIZE } from "./inception.js";
export { featureStats, frechetDistance, fid, type FeatureStats } from "./frechet.js";
export { akd, type AkdOptions } from "./akd.js";
export { csim } from "./csim.js";
export { sharpness, laplacianVariance } from "./sharpness.js";
export { MetricWeightsError } from "./weights-file.js";
export { checkImagePair, checkUnitRange } from "./images.js";
