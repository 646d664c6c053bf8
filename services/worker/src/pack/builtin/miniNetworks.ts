import { miniArchitecture as arch } from './architecture.js';
import { initMapping, mappingForward, type MappingWeights } from './mappingNetwork.js';
import { initRecognizer, recognizerForward, type RecognizerWeights } from './recognizerNetwork.js';
import { SeededRandom } from './seededRandom.js';
import { initSynthesis, scaleImageOutput, synthesisForward, type SynthesisWeights } from './synthesisNetwork.js';
import { crop, map, resizeBilinear, tensor, type Tensor64 } from './tensor64.js';

export interface MiniCovariate {
  name: string;
  scale: number;
  /** Unit vector in latent space. */
  direction: Float64Array;
}

/** The built-in pack's networks and vectors in float64, before export. */
export interface MiniNetworks {
  mapping: MappingWeights;
  synthesis: SynthesisWeights;
  recognizer: RecognizerWeights;
  wAvg: Float64Array;
  covariates: MiniCovariate[];
}

/** Pixel ranges of the built-in pack: the generator draws in [−1, 1], the recognizer reads [0, 1]. */
export const miniPixelRanges = { generator: [-1, 1], recognizer: [0, 1] } as const;

/** Independent streams per purpose, so that changing one sample count leaves the other parts unchanged. */
const streams = { weights: 0, wAvg: 1, calibration: 2, covariates: 3 } as const;

function stream(purpose: keyof typeof streams): SeededRandom {
  return new SeededRandom(arch.seed + streams[purpose]);
}

export function alignReference(images: Tensor64): Tensor64 {
  const { x, y, width, height } = arch.crop;
  const resized = resizeBilinear(crop(images, y, x, height, width), arch.recognizerInputSize, arch.recognizerInputSize);
  const [low, high] = miniPixelRanges.generator;
  const [targetLow, targetHigh] = miniPixelRanges.recognizer;
  const gain = (targetHigh - targetLow) / (high - low);
  return map(resized, (v) => targetLow + (v - low) * gain);
}

export function truncate(w: Tensor64, wAvg: Float64Array, psi: number): Tensor64 {
  const d = wAvg.length;
  return tensor(
    w.shape,
    w.data.map((v, i) => wAvg[i % d] + psi * (v - wAvg[i % d])),
  );
}

function meanRow(x: Tensor64): Float64Array {
  const [n, d] = x.shape as [number, number];
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) mean[i] += x.data[r * d + i];
  return mean.map((v) => v / n);
}

function standardDeviation(values: Float64Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  return Math.sqrt(variance / values.length);
}

function unitVector(random: SeededRandom, dim: number): Float64Array {
  const v = random.normals(dim);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
}

/**
 * Builds the networks from the seed: random weights, w_avg as the mean of M(z) over many z, an output
 * gain that puts generated pixels at the intended spread, and batch norms calibrated on aligned images of
 * truncated latents. All in float64 JavaScript, so every machine gets the same numbers.
 */
export function buildMiniNetworks(): MiniNetworks {
  const random = stream('weights');
  const mapping = initMapping(random);
  const synthesis = initSynthesis(random);
  const recognizer = initRecognizer(random);

  const wAvg = meanRow(
    mappingForward(
      mapping,
      tensor([arch.wAvgSamples, arch.zDim], stream('wAvg').normals(arch.wAvgSamples * arch.zDim)),
    ),
  );

  const z = tensor(
    [arch.calibrationSamples, arch.zDim],
    stream('calibration').normals(arch.calibrationSamples * arch.zDim),
  );
  const w = truncate(mappingForward(mapping, z), wAvg, arch.truncation);
  const rawImages = synthesisForward(synthesis, w);
  const gain = arch.imageStd / standardDeviation(rawImages.data);
  scaleImageOutput(synthesis, gain);
  const images = map(rawImages, (v) => v * gain);
  recognizerForward(recognizer, alignReference(images), true);

  const covariateRandom = stream('covariates');
  const covariates = arch.covariates.map(({ name, scale }) => ({
    name,
    scale,
    direction: unitVector(covariateRandom, arch.latentDim),
  }));
  return { mapping, synthesis, recognizer, wAvg, covariates };
}
