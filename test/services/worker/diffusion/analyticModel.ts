/**
 * A small differentiable stand-in for a model pack: e = W2·tanh(W1·w + b1) + b2, with a
 * hand-written vector-Jacobian product, computed in float64 and returned as float32 like the
 * ONNX-backed model. Counts its calls so tests can see how the engine batches.
 */
import type { EmbeddingModel, EmbeddingVjp } from '../../../../services/worker/src/engine/EmbeddingModel.js';
import { mulberry32 } from '../../../support/mulberry32.js';

/** Centred uniforms in [−0.5, 0.5): test weights independent of the generator under test. */
export function weightSource(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() - 0.5;
}

export class AnalyticModel implements EmbeddingModel {
  readonly executionProvider = 'cpu' as const;
  readonly w1: Float64Array;
  readonly b1: Float64Array;
  readonly w2: Float64Array;
  readonly b2: Float64Array;
  embedCalls = 0;
  vjpCalls = 0;
  readonly vjpCounts: number[] = [];

  constructor(
    readonly latentDim: number,
    readonly hiddenDim: number,
    readonly embeddingDim: number,
    seed: number,
  ) {
    const next = weightSource(seed);
    const fill = (n: number, scale: number) => Float64Array.from({ length: n }, () => scale * next());
    this.w1 = fill(hiddenDim * latentDim, 1.2);
    this.b1 = fill(hiddenDim, 0.5);
    this.w2 = fill(embeddingDim * hiddenDim, 1.5);
    this.b2 = fill(embeddingDim, 0.6);
  }

  /** Hidden activations and embedding of one latent, in float64. */
  forward(latent: ArrayLike<number>, offset = 0): { hidden: Float64Array; embedding: Float64Array } {
    const { latentDim, hiddenDim, embeddingDim } = this;
    const hidden = new Float64Array(hiddenDim);
    for (let h = 0; h < hiddenDim; h++) {
      let sum = this.b1[h]!;
      for (let d = 0; d < latentDim; d++) sum += this.w1[h * latentDim + d]! * latent[offset + d]!;
      hidden[h] = Math.tanh(sum);
    }
    const embedding = new Float64Array(embeddingDim);
    for (let k = 0; k < embeddingDim; k++) {
      let sum = this.b2[k]!;
      for (let h = 0; h < hiddenDim; h++) sum += this.w2[k * hiddenDim + h]! * hidden[h]!;
      embedding[k] = sum;
    }
    return { hidden, embedding };
  }

  /** W1ᵀ[(1 − h²) ⊙ W2ᵀ g] for one latent. */
  backward(hidden: Float64Array, upstream: ArrayLike<number>, offset = 0): Float64Array {
    const { latentDim, hiddenDim, embeddingDim } = this;
    const gradient = new Float64Array(latentDim);
    for (let h = 0; h < hiddenDim; h++) {
      let back = 0;
      for (let k = 0; k < embeddingDim; k++) back += this.w2[k * hiddenDim + h]! * upstream[offset + k]!;
      back *= 1 - hidden[h]! * hidden[h]!;
      for (let d = 0; d < latentDim; d++) gradient[d] += this.w1[h * latentDim + d]! * back;
    }
    return gradient;
  }

  async embed(latents: Float32Array, count: number): Promise<Float32Array> {
    this.embedCalls++;
    const out = new Float32Array(count * this.embeddingDim);
    for (let i = 0; i < count; i++) out.set(this.forward(latents, i * this.latentDim).embedding, i * this.embeddingDim);
    return out;
  }

  async vjp(latents: Float32Array, upstream: Float32Array, count: number): Promise<EmbeddingVjp> {
    this.vjpCalls++;
    this.vjpCounts.push(count);
    const embeddings = new Float32Array(count * this.embeddingDim);
    const latentGradient = new Float32Array(count * this.latentDim);
    for (let i = 0; i < count; i++) {
      const { hidden, embedding } = this.forward(latents, i * this.latentDim);
      embeddings.set(embedding, i * this.embeddingDim);
      latentGradient.set(this.backward(hidden, upstream, i * this.embeddingDim), i * this.latentDim);
    }
    return { embeddings, latentGradient };
  }

  async release(): Promise<void> {}
}

/** Uniform test data in [−scale/2, scale/2). */
export function randomArray(length: number, seed: number, scale = 1): Float64Array {
  const next = weightSource(seed);
  return Float64Array.from({ length }, () => scale * next());
}

/** max |a − b| / max |b| */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let size = 0;
  for (let k = 0; k < b.length; k++) {
    diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
    size = Math.max(size, Math.abs(b[k]!));
  }
  return diff / size;
}
