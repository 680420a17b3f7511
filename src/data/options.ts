// The loader's options: what one sample holds, how items are drawn, how they are augmented.

export interface JitterOptions {
  /** Each factor is drawn uniformly in [1 - x, 1 + x]; hue is a shift in [-hue, hue] turns. */
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

export interface AugmentOptions {
  /** Mirror all frames of an item left-right with probability 0.5. */
  hflip: boolean;
  /** Swap the roles of source and driving with probability 0.5 (FOMM's time flip of a sampled pair). */
  timeFlip: boolean;
  /** Colour jitter, one draw per item applied to all its frames; undefined: none. */
  jitter?: JitterOptions;
}

export interface SampleOptions {
  /** Frames are resized (anti-aliased, center crop) to size x size. */
  size: number;
  /** Reference frames per item (DiME's N); with source and driving, 2 + numRefs distinct frames. */
  numRefs: number;
  seed: number;
  /** One video per identity per epoch (identity = name before `identitySeparator`). */
  identitySampling: boolean;
  identitySeparator: string;
  /** Each video (or identity) appears this many times per epoch (FOMM's num_repeats). */
  repeats: number;
  augment: AugmentOptions;
}

/** FOMM's vox-256 augmentation: flips and a mild jitter. */
export const DEFAULT_AUGMENT: AugmentOptions = {
  hflip: true,
  timeFlip: true,
  jitter: { brightness: 0.1, contrast: 0.1, saturation: 0.1, hue: 0.1 },
};

export function sampleOptions(partial: Partial<SampleOptions> & { size: number }): SampleOptions {
  const options: SampleOptions = {
    numRefs: 2,
    seed: 0,
    identitySampling: false,
    identitySeparator: "#",
    repeats: 1,
    augment: DEFAULT_AUGMENT,
    ...partial,
  };
  if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`size must be a positive integer, got ${options.size}`);
  if (!Number.isInteger(options.numRefs) || options.numRefs < 0)
    throw new RangeError(`numRefs must be an integer >= 0, got ${options.numRefs}`);
  if (!Number.isInteger(options.repeats) || options.repeats < 1)
    throw new RangeError(`repeats must be an integer >= 1, got ${options.repeats}`);
  return options;
}
