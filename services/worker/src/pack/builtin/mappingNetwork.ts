import { miniArchitecture as arch } from './architecture.js';
import type { SeededRandom } from './seededRandom.js';
import { leakyRelu, linear, pixelNorm, tensor, type Tensor64 } from './tensor64.js';

export interface DenseLayer {
  /** [out, in] */
  weight: Tensor64;
  bias: Float64Array;
}

/** StyleGAN2 mapping z → w: pixel norm, then fully connected layers with gained leaky ReLU. */
export interface MappingWeights {
  layers: DenseLayer[];
}

export const activationGain = Math.SQRT2;

export function denseLayer(
  random: SeededRandom,
  inDim: number,
  outDim: number,
  biasStd: number,
  biasMean = 0,
): DenseLayer {
  const weight = tensor([outDim, inDim], random.normals(outDim * inDim, 1 / Math.sqrt(inDim)));
  const bias = random.normals(outDim, biasStd).map((b) => b + biasMean);
  return { weight, bias };
}

export function initMapping(random: SeededRandom): MappingWeights {
  const layers: DenseLayer[] = [];
  for (let i = 0; i < arch.mappingLayers; i++) {
    layers.push(denseLayer(random, i === 0 ? arch.zDim : arch.latentDim, arch.latentDim, 0.1));
  }
  return { layers };
}

export function mappingForward(weights: MappingWeights, z: Tensor64): Tensor64 {
  let x = pixelNorm(z, arch.pixelNormEpsilon);
  for (const layer of weights.layers)
    x = leakyRelu(linear(x, layer.weight, layer.bias), arch.leakySlope, activationGain);
  return x;
}
