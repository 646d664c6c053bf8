/**
 * Float64 reference operators for the built-in pack's networks. They compute w_avg and the batch-norm
 * calibration in plain JavaScript, so the pack's bytes do not depend on onnxruntime's kernels, and they
 * are the independent reference that the exported ONNX graphs are tested against.
 */
import { resizeMatrix } from '../resizeMatrix.js';

export interface Tensor64 {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export function tensor(shape: readonly number[], data?: Float64Array): Tensor64 {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data && data.length !== size)
    throw new Error(`tensor of shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
  return { shape: [...shape], data: data ?? new Float64Array(size) };
}

/** y = x·Wᵀ + b with W of shape [out, in]. */
export function linear(x: Tensor64, weight: Tensor64, bias: Float64Array | null): Tensor64 {
  const [n, inDim] = x.shape as [number, number];
  const [outDim, weightIn] = weight.shape as [number, number];
  if (weightIn !== inDim) throw new Error(`linear: input has ${inDim} features, weight expects ${weightIn}`);
  const out = tensor([n, outDim]);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = bias ? bias[o] : 0;
      for (let i = 0; i < inDim; i++) sum += x.data[r * inDim + i] * weight.data[o * inDim + i];
      out.data[r * outDim + o] = sum;
    }
  }
  return out;
}

export function map(x: Tensor64, f: (value: number) => number): Tensor64 {
  const out = tensor(x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i]);
  return out;
}

export function add(a: Tensor64, b: Tensor64): Tensor64 {
  if (a.data.length !== b.data.length) throw new Error('add: shapes differ');
  const out = tensor(a.shape);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i] + b.data[i];
  return out;
}

export function leakyRelu(x: Tensor64, slope: number, gain: number): Tensor64 {
  return map(x, (v) => (v < 0 ? v * slope : v) * gain);
}

/** x / √(mean(x²) + ε) over the features of each row (StyleGAN's pixel norm on z). */
export function pixelNorm(x: Tensor64, epsilon: number): Tensor64 {
  const [n, d] = x.shape as [number, number];
  const out = tensor(x.shape);
  for (let r = 0; r < n; r++) {
    let sumSquares = 0;
    for (let i = 0; i < d; i++) sumSquares += x.data[r * d + i] ** 2;
    const scale = 1 / Math.sqrt(sumSquares / d + epsilon);
    for (let i = 0; i < d; i++) out.data[r * d + i] = x.data[r * d + i] * scale;
  }
  return out;
}

/** Multiplies channel c of sample n of an NCHW tensor by factors[n·C + c]. */
export function scaleChannels(x: Tensor64, factors: Float64Array): Tensor64 {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = tensor(x.shape);
  const plane = h * w;
  for (let s = 0; s < n * c; s++) {
    const f = factors[s];
    for (let p = 0; p < plane; p++) out.data[s * plane + p] = x.data[s * plane + p] * f;
  }
  return out;
}

/** Adds bias[c] to channel c of an NCHW or NC tensor. */
export function addChannelBias(x: Tensor64, bias: Float64Array): Tensor64 {
  const [n, c] = x.shape as [number, number];
  const plane = x.data.length / (n * c);
  const out = tensor(x.shape);
  for (let s = 0; s < n * c; s++) {
    const b = bias[s % c];
    for (let p = 0; p < plane; p++) out.data[s * plane + p] = x.data[s * plane + p] + b;
  }
  return out;
}

export interface ConvOptions {
  stride: number;
  /** top, left, bottom, right */
  pads: readonly [number, number, number, number];
  groups: number;
}

/** Output positions o with 0 <= o·stride + offset < size, as [first, end). */
function validRange(offset: number, stride: number, size: number, outSize: number): [number, number] {
  const first = Math.max(0, Math.ceil(-offset / stride));
  const end = Math.min(outSize, Math.floor((size - 1 - offset) / stride) + 1);
  return [first, Math.max(first, end)];
}

/** ONNX Conv: weight [O, C/groups, kH, kW]. */
export function conv2d(x: Tensor64, weight: Tensor64, bias: Float64Array | null, options: ConvOptions): Tensor64 {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  const { stride, pads, groups } = options;
  if (cg * groups !== c)
    throw new Error(`conv2d: ${c} input channels do not fit weight [${weight.shape.join(', ')}] with ${groups} groups`);
  const oh = Math.floor((h + pads[0] + pads[2] - kh) / stride) + 1;
  const ow = Math.floor((w + pads[1] + pads[3] - kw) / stride) + 1;
  const og = o / groups;
  const out = tensor([n, o, oh, ow]);
  const src = x.data;
  const dst = out.data;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const outBase = (b * o + oc) * oh * ow;
      if (bias) dst.fill(bias[oc], outBase, outBase + oh * ow);
      const g = Math.floor(oc / og);
      for (let ic = 0; ic < cg; ic++) {
        const inBase = (b * c + g * cg + ic) * h * w;
        for (let ky = 0; ky < kh; ky++) {
          const [y0, y1] = validRange(ky - pads[0], stride, h, oh);
          for (let kx = 0; kx < kw; kx++) {
            const [x0, x1] = validRange(kx - pads[1], stride, w, ow);
            const wv = weight.data[((oc * cg + ic) * kh + ky) * kw + kx];
            for (let y = y0; y < y1; y++) {
              const row = inBase + (y * stride + ky - pads[0]) * w + kx - pads[1];
              const outRow = outBase + y * ow;
              for (let xo = x0; xo < x1; xo++) dst[outRow + xo] += wv * src[row + xo * stride];
            }
          }
        }
      }
    }
  }
  return out;
}

/** ONNX ConvTranspose with group 1 and no output padding: weight [C, O, kH, kW]. */
export function convTranspose2d(
  x: Tensor64,
  weight: Tensor64,
  stride: number,
  pads: readonly [number, number, number, number],
): Tensor64 {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [wc, o, kh, kw] = weight.shape as [number, number, number, number];
  if (wc !== c) throw new Error(`convTranspose2d: ${c} input channels, weight expects ${wc}`);
  const oh = (h - 1) * stride + kh - pads[0] - pads[2];
  const ow = (w - 1) * stride + kw - pads[1] - pads[3];
  const out = tensor([n, o, oh, ow]);
  const src = x.data;
  const dst = out.data;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const outBase = (b * o + oc) * oh * ow;
      for (let ic = 0; ic < c; ic++) {
        const inBase = (b * c + ic) * h * w;
        for (let ky = 0; ky < kh; ky++) {
          // Input row iy lands on output row iy·stride + ky − pad.
          const [y0, y1] = inputRange(ky - pads[0], stride, h, oh);
          for (let kx = 0; kx < kw; kx++) {
            const [x0, x1] = inputRange(kx - pads[1], stride, w, ow);
            const wv = weight.data[((ic * o + oc) * kh + ky) * kw + kx];
            for (let iy = y0; iy < y1; iy++) {
              const outRow = outBase + (iy * stride + ky - pads[0]) * ow + kx - pads[1];
              const inRow = inBase + iy * w;
              for (let ix = x0; ix < x1; ix++) dst[outRow + ix * stride] += wv * src[inRow + ix];
            }
          }
        }
      }
    }
  }
  return out;
}

/** Input positions i with 0 <= i·stride + offset < outSize, as [first, end). */
function inputRange(offset: number, stride: number, inSize: number, outSize: number): [number, number] {
  const first = Math.max(0, Math.ceil(-offset / stride));
  const end = Math.min(inSize, Math.floor((outSize - 1 - offset) / stride) + 1);
  return [first, Math.max(first, end)];
}

export interface BatchNormParameters {
  scale: Float64Array;
  bias: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  epsilon: number;
}

/** Inference-mode batch norm over channel axis 1 of an NC or NCHW tensor. */
export function batchNorm(x: Tensor64, p: BatchNormParameters): Tensor64 {
  const [n, c] = x.shape as [number, number];
  const plane = x.data.length / (n * c);
  const out = tensor(x.shape);
  for (let s = 0; s < n * c; s++) {
    const ch = s % c;
    const factor = p.scale[ch] / Math.sqrt(p.variance[ch] + p.epsilon);
    const shift = p.bias[ch] - p.mean[ch] * factor;
    for (let q = 0; q < plane; q++) out.data[s * plane + q] = x.data[s * plane + q] * factor + shift;
  }
  return out;
}

/** Per-channel mean and (biased) variance over batch and spatial positions, as batch norm's training mode uses. */
export function channelStatistics(x: Tensor64): { mean: Float64Array; variance: Float64Array } {
  const [n, c] = x.shape as [number, number];
  const plane = x.data.length / (n * c);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const count = n * plane;
  for (let s = 0; s < n * c; s++) {
    for (let q = 0; q < plane; q++) mean[s % c] += x.data[s * plane + q];
  }
  for (let ch = 0; ch < c; ch++) mean[ch] /= count;
  for (let s = 0; s < n * c; s++) {
    const m = mean[s % c];
    for (let q = 0; q < plane; q++) variance[s % c] += (x.data[s * plane + q] - m) ** 2;
  }
  for (let ch = 0; ch < c; ch++) variance[ch] /= count;
  return { mean, variance };
}

/** PReLU with one slope per channel. */
export function prelu(x: Tensor64, slopes: Float64Array): Tensor64 {
  const [n, c] = x.shape as [number, number];
  const plane = x.data.length / (n * c);
  const out = tensor(x.shape);
  for (let s = 0; s < n * c; s++) {
    const a = slopes[s % c];
    for (let q = 0; q < plane; q++) {
      const v = x.data[s * plane + q];
      out.data[s * plane + q] = v < 0 ? v * a : v;
    }
  }
  return out;
}

export function crop(x: Tensor64, top: number, left: number, height: number, width: number): Tensor64 {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (top < 0 || left < 0 || top + height > h || left + width > w) throw new Error('crop: box outside the image');
  const out = tensor([n, c, height, width]);
  for (let s = 0; s < n * c; s++) {
    for (let y = 0; y < height; y++) {
      for (let xo = 0; xo < width; xo++)
        out.data[(s * height + y) * width + xo] = x.data[(s * h + top + y) * w + left + xo];
    }
  }
  return out;
}

/** Separable resize with the alignment step's weights (see resizeMatrix). */
export function resizeBilinear(x: Tensor64, outHeight: number, outWidth: number): Tensor64 {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const rows = resizeMatrix(h, outHeight);
  const cols = resizeMatrix(w, outWidth);
  const out = tensor([n, c, outHeight, outWidth]);
  const temp = new Float64Array(outHeight * w);
  for (let s = 0; s < n * c; s++) {
    temp.fill(0);
    for (let i = 0; i < outHeight; i++) {
      for (let y = 0; y < h; y++) {
        const r = rows[i * h + y];
        if (r === 0) continue;
        for (let xo = 0; xo < w; xo++) temp[i * w + xo] += r * x.data[(s * h + y) * w + xo];
      }
    }
    for (let i = 0; i < outHeight; i++) {
      for (let j = 0; j < outWidth; j++) {
        let sum = 0;
        for (let xo = 0; xo < w; xo++) sum += cols[j * w + xo] * temp[i * w + xo];
        out.data[(s * outHeight + i) * outWidth + j] = sum;
      }
    }
  }
  return out;
}

export function flatten(x: Tensor64): Tensor64 {
  const n = x.shape[0];
  return tensor([n, x.data.length / n], x.data);
}
