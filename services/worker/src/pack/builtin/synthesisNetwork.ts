import { miniArchitecture as arch } from './architecture.js';
import { activationGain, denseLayer, type DenseLayer } from './mappingNetwork.js';
import type { SeededRandom } from './seededRandom.js';
import {
  add,
  addChannelBias,
  conv2d,
  convTranspose2d,
  leakyRelu,
  linear,
  scaleChannels,
  tensor,
  type Tensor64,
} from './tensor64.js';

/**
 * A StyleGAN2 modulated convolution in its non-fused form: scale the input channels by the style,
 * convolve with the shared weight, then demodulate each output channel by
 * 1/√(Σ_{i,k} (w_oik·s_i)² + ε). 'up' is the transposed 3×3 convolution with stride 2 followed by the
 * [1,3,3,1] blur; 'rgb' is the 1×1 toRGB layer, which neither demodulates nor activates.
 */
export interface ModulatedConv {
  kind: 'conv' | 'up' | 'rgb';
  /** Style affine: [inChannels, latentDim], bias around 1. */
  affine: DenseLayer;
  /** 'conv' and 'rgb': [out, in, k, k]; 'up' (ConvTranspose layout): [in, out, 3, 3]. */
  weight: Tensor64;
  bias: Float64Array;
}

export interface SynthesisBlock {
  up: ModulatedConv;
  conv: ModulatedConv;
  rgb: ModulatedConv;
}

export interface SynthesisWeights {
  /** [1, channels, 4, 4] */
  constant: Tensor64;
  initialConv: ModulatedConv;
  initialRgb: ModulatedConv;
  blocks: SynthesisBlock[];
}

const blurTaps = [1, 3, 3, 1];

/** The 4×4 [1,3,3,1]⊗[1,3,3,1] filter with the upsampling gain 4 (its taps sum to 4). */
function upsampleFilter(): Float64Array {
  const filter = new Float64Array(16);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) filter[y * 4 + x] = (blurTaps[y] * blurTaps[x]) / 16;
  return filter;
}

/** Depthwise blur as Conv weight [channels, 1, 4, 4]. */
export function blurWeight(channels: number): Tensor64 {
  const filter = upsampleFilter();
  const out = tensor([channels, 1, 4, 4]);
  for (let c = 0; c < channels; c++) out.data.set(filter, c * 16);
  return out;
}

/** 2× upsampling of the RGB skip as a ConvTranspose weight [c, c, 4, 4] that is zero off the diagonal. */
export function skipUpsampleWeight(channels: number): Tensor64 {
  const filter = upsampleFilter();
  const out = tensor([channels, channels, 4, 4]);
  for (let c = 0; c < channels; c++) out.data.set(filter, (c * channels + c) * 16);
  return out;
}

function modulatedConv(
  random: SeededRandom,
  kind: ModulatedConv['kind'],
  inChannels: number,
  outChannels: number,
): ModulatedConv {
  const affine = denseLayer(random, arch.latentDim, inChannels, 0, 1);
  const kernel = kind === 'rgb' ? 1 : 3;
  const fanIn = inChannels * kernel * kernel;
  const shape = kind === 'up' ? [inChannels, outChannels, 3, 3] : [outChannels, inChannels, kernel, kernel];
  const weight = tensor(shape, random.normals(inChannels * outChannels * kernel * kernel, 1 / Math.sqrt(fanIn)));
  return { kind, affine, weight, bias: new Float64Array(outChannels) };
}

export function initSynthesis(random: SeededRandom): SynthesisWeights {
  const [first, ...rest] = arch.synthesisChannels;
  const constant = tensor([1, first.channels, 4, 4], random.normals(first.channels * 16));
  const initialConv = modulatedConv(random, 'conv', first.channels, first.channels);
  const initialRgb = modulatedConv(random, 'rgb', first.channels, arch.imageChannels);
  const blocks: SynthesisBlock[] = [];
  let channels: number = first.channels;
  for (const level of rest) {
    blocks.push({
      up: modulatedConv(random, 'up', channels, level.channels),
      conv: modulatedConv(random, 'conv', level.channels, level.channels),
      rgb: modulatedConv(random, 'rgb', level.channels, arch.imageChannels),
    });
    channels = level.channels;
  }
  return { constant, initialConv, initialRgb, blocks };
}

/** Σ over kernel taps of the squared weight, as [out, in]: the demodulation needs Σ_i s_i²·this[o, i]. */
export function squaredWeightSums(layer: ModulatedConv): Tensor64 {
  const [a, b, kh, kw] = layer.weight.shape as [number, number, number, number];
  const transposed = layer.kind === 'up';
  const [outChannels, inChannels] = transposed ? [b, a] : [a, b];
  const sums = tensor([outChannels, inChannels]);
  const taps = kh * kw;
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      let sum = 0;
      for (let k = 0; k < taps; k++) sum += layer.weight.data[(i * b + j) * taps + k] ** 2;
      sums.data[transposed ? j * inChannels + i : i * inChannels + j] = sum;
    }
  }
  return sums;
}

function modulatedConvForward(layer: ModulatedConv, x: Tensor64, w: Tensor64): Tensor64 {
  const styles = linear(w, layer.affine.weight, layer.affine.bias);
  let y = scaleChannels(x, styles.data);
  if (layer.kind === 'up') {
    const outChannels = layer.weight.shape[1];
    y = convTranspose2d(y, layer.weight, 2, [0, 0, 0, 0]);
    y = conv2d(y, blurWeight(outChannels), null, { stride: 1, pads: [1, 1, 1, 1], groups: outChannels });
  } else {
    const pad = layer.kind === 'rgb' ? 0 : 1;
    y = conv2d(y, layer.weight, null, { stride: 1, pads: [pad, pad, pad, pad], groups: 1 });
  }
  if (layer.kind !== 'rgb') {
    const squaredStyles = tensor(
      styles.shape,
      styles.data.map((s) => s * s),
    );
    const demodulation = linear(squaredStyles, squaredWeightSums(layer), null).data.map(
      (v) => 1 / Math.sqrt(v + arch.demodulationEpsilon),
    );
    y = scaleChannels(y, demodulation);
  }
  y = addChannelBias(y, layer.bias);
  return layer.kind === 'rgb' ? y : leakyRelu(y, arch.leakySlope, activationGain);
}

/** Images [n, 3, 32, 32] for latents w [n, latentDim]. */
export function synthesisForward(weights: SynthesisWeights, w: Tensor64): Tensor64 {
  const n = w.shape[0];
  const [, c, h, wd] = weights.constant.shape as [number, number, number, number];
  const batch = tensor([n, c, h, wd]);
  for (let i = 0; i < n; i++) batch.data.set(weights.constant.data, i * c * h * wd);
  let x = modulatedConvForward(weights.initialConv, batch, w);
  let image = modulatedConvForward(weights.initialRgb, x, w);
  for (const block of weights.blocks) {
    x = modulatedConvForward(block.up, x, w);
    x = modulatedConvForward(block.conv, x, w);
    const skip = convTranspose2d(image, skipUpsampleWeight(arch.imageChannels), 2, [1, 1, 1, 1]);
    image = add(skip, modulatedConvForward(block.rgb, x, w));
  }
  return image;
}

/** Multiplies the image by `gain`: every toRGB layer contributes linearly to it. */
export function scaleImageOutput(weights: SynthesisWeights, gain: number): void {
  for (const rgb of [weights.initialRgb, ...weights.blocks.map((b) => b.rgb)]) {
    for (let i = 0; i < rgb.weight.data.length; i++) rgb.weight.data[i] *= gain;
    for (let i = 0; i < rgb.bias.length; i++) rgb.bias[i] *= gain;
  }
}
