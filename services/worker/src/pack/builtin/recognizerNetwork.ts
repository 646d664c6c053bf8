import { miniArchitecture as arch } from './architecture.js';
import { denseLayer, type DenseLayer } from './mappingNetwork.js';
import type { SeededRandom } from './seededRandom.js';
import {
  add,
  batchNorm,
  channelStatistics,
  conv2d,
  flatten,
  linear,
  prelu,
  tensor,
  type BatchNormParameters,
  type Tensor64,
} from './tensor64.js';

/** A bias-free convolution (batch norm follows each one), padding k/2. */
export interface ConvLayer {
  /** [out, in, k, k] */
  weight: Tensor64;
  stride: number;
}

/** iResNet basic block: BN → conv3×3 → BN → PReLU → conv3×3 (stride) → BN, plus the shortcut. */
export interface ResidualBlock {
  bn1: BatchNormParameters;
  conv1: ConvLayer;
  bn2: BatchNormParameters;
  prelu: Float64Array;
  conv2: ConvLayer;
  bn3: BatchNormParameters;
  /** conv1×1 (stride) + BN where the block changes size or width; identity otherwise. */
  shortcut: { conv: ConvLayer; bn: BatchNormParameters } | null;
}

export interface RecognizerWeights {
  stem: ConvLayer;
  stemBn: BatchNormParameters;
  stemPrelu: Float64Array;
  blocks: ResidualBlock[];
  finalBn: BatchNormParameters;
  fc: DenseLayer;
  /** BatchNorm1d on the embedding (its scale fixed at 1, as in iResNet). */
  features: BatchNormParameters;
}

function convLayer(
  random: SeededRandom,
  inChannels: number,
  outChannels: number,
  kernel: number,
  stride: number,
): ConvLayer {
  const fanIn = inChannels * kernel * kernel;
  const weight = tensor(
    [outChannels, inChannels, kernel, kernel],
    random.normals(outChannels * fanIn, Math.sqrt(2 / fanIn)),
  );
  return { weight, stride };
}

/** Identity statistics; calibration replaces mean and variance with those of generated images. */
function batchNormLayer(channels: number): BatchNormParameters {
  return {
    scale: new Float64Array(channels).fill(1),
    bias: new Float64Array(channels),
    mean: new Float64Array(channels),
    variance: new Float64Array(channels).fill(1),
    epsilon: arch.batchNormEpsilon,
  };
}

export function initRecognizer(random: SeededRandom): RecognizerWeights {
  const stem = convLayer(random, arch.imageChannels, arch.recognizerStemChannels, 3, 1);
  const blocks: ResidualBlock[] = [];
  let channels: number = arch.recognizerStemChannels;
  let size: number = arch.recognizerInputSize;
  for (const stage of arch.recognizerStages) {
    for (let b = 0; b < stage.blocks; b++) {
      const stride = b === 0 ? stage.stride : 1;
      const changes = stride !== 1 || channels !== stage.channels;
      blocks.push({
        bn1: batchNormLayer(channels),
        conv1: convLayer(random, channels, stage.channels, 3, 1),
        bn2: batchNormLayer(stage.channels),
        prelu: new Float64Array(stage.channels).fill(arch.preluSlope),
        conv2: convLayer(random, stage.channels, stage.channels, 3, stride),
        bn3: batchNormLayer(stage.channels),
        shortcut: changes
          ? { conv: convLayer(random, channels, stage.channels, 1, stride), bn: batchNormLayer(stage.channels) }
          : null,
      });
      channels = stage.channels;
      size = Math.floor((size - 1) / stride) + 1;
    }
  }
  return {
    stem,
    stemBn: batchNormLayer(arch.recognizerStemChannels),
    stemPrelu: new Float64Array(arch.recognizerStemChannels).fill(arch.preluSlope),
    blocks,
    finalBn: batchNormLayer(channels),
    fc: denseLayer(random, channels * size * size, arch.embeddingDim, 0),
    features: batchNormLayer(arch.embeddingDim),
  };
}

function convForward(layer: ConvLayer, x: Tensor64): Tensor64 {
  const pad = Math.floor(layer.weight.shape[2] / 2);
  return conv2d(x, layer.weight, null, { stride: layer.stride, pads: [pad, pad, pad, pad], groups: 1 });
}

/**
 * Embeddings [n, embeddingDim] of aligned images [n, 3, s, s]. With `calibrate`, every batch norm first
 * takes the mean and variance of its input over this batch (data-dependent initialisation), so that
 * features stay centred and scaled for generated faces and the embeddings spread in angle instead of
 * collapsing onto a common direction as randomly initialised networks do.
 */
export function recognizerForward(weights: RecognizerWeights, images: Tensor64, calibrate: boolean): Tensor64 {
  const norm = (p: BatchNormParameters, x: Tensor64): Tensor64 => {
    if (calibrate) {
      const { mean, variance } = channelStatistics(x);
      p.mean.set(mean);
      p.variance.set(variance);
    }
    return batchNorm(x, p);
  };
  let x = prelu(norm(weights.stemBn, convForward(weights.stem, images)), weights.stemPrelu);
  for (const block of weights.blocks) {
    let y = convForward(block.conv1, norm(block.bn1, x));
    y = prelu(norm(block.bn2, y), block.prelu);
    y = norm(block.bn3, convForward(block.conv2, y));
    const shortcut = block.shortcut ? norm(block.shortcut.bn, convForward(block.shortcut.conv, x)) : x;
    x = add(y, shortcut);
  }
  x = flatten(norm(weights.finalBn, x));
  return norm(weights.features, linear(x, weights.fc.weight, weights.fc.bias));
}
