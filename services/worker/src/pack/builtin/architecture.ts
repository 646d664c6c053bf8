/**
 * Sizes of the built-in pack: small enough for fast CPU tests, with the structure of the real models
 * (StyleGAN2 mapping and synthesis, iResNet recognizer) and a real alignment step (off-centre crop,
 * downscaling resize).
 */
export const miniArchitecture = {
  name: 'brownian-mini',
  seed: 0x5eed_2405,
  zDim: 32,
  latentDim: 32,
  mappingLayers: 4,
  /** Channels of the synthesis network per resolution, from the learned 4×4 constant up to the image. */
  synthesisChannels: [
    { resolution: 4, channels: 32 },
    { resolution: 8, channels: 32 },
    { resolution: 16, channels: 24 },
    { resolution: 32, channels: 16 },
  ],
  imageChannels: 3,
  imageSize: 32,
  /** Target standard deviation of generator pixels, so that images sit mostly inside the [−1, 1] range. */
  imageStd: 0.5,
  crop: { x: 2, y: 1, width: 28, height: 28 },
  recognizerInputSize: 24,
  recognizerStemChannels: 16,
  recognizerStages: [
    { channels: 16, stride: 2, blocks: 1 },
    { channels: 32, stride: 2, blocks: 2 },
  ],
  embeddingDim: 32,
  truncation: 0.7,
  /** r0 of Dispersion: the median distance between truncated latents is about 3.6 in this 32-dimensional W. */
  dispersionLatentRadius: 2.5,
  /** Samples of z averaged for w_avg, and latents whose images calibrate the recognizer's batch norms. */
  wAvgSamples: 4096,
  calibrationSamples: 64,
  covariates: [
    { name: 'random-a', scale: 3 },
    { name: 'random-b', scale: 2 },
    { name: 'random-c', scale: 1.5 },
  ],
  leakySlope: 0.2,
  preluSlope: 0.25,
  batchNormEpsilon: 1e-5,
  pixelNormEpsilon: 1e-8,
  demodulationEpsilon: 1e-8,
} as const;
