// Neural-network layers over the tensor layer (torch.nn): the Module base, layers, containers and
// initialisers. Parameter names follow PyTorch's state-dict keys.
export { Module, type Layer, type LoadStateDictOptions } from "./module.js";
export type { LoadResult } from "./state_dict.js";
export { Conv2d, ConvTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions, type PaddingMode } from "./conv.js";
export { Linear } from "./linear.js";
export { BatchNorm2d, InstanceNorm2d, batchNormGroups, type NormOptions } from "./norm.js";
export { SpectralNormConv2d, type SpectralNormOptions } from "./spectral_norm.js";
export { Sequential, ModuleList } from "./container.js";
export { ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Dropout } from "./activation.js";
export * as init from "./init.js";
export { countMacs } from "./macs.js";
