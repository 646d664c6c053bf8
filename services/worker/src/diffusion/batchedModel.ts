/**
 * Runs an EmbeddingModel over any number of latents in chunks of `batchSize`, so the caller's
 * memory for activations stays bounded while results come back as whole arrays.
 */
import type { EmbeddingModel, EmbeddingVjp } from '../engine/EmbeddingModel.js';

function checkLength(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new RangeError(`model returned ${actual} ${what} values, expected ${expected}`);
}

export async function embedAll(
  model: EmbeddingModel,
  latents: Float32Array,
  count: number,
  batchSize: number,
): Promise<Float32Array> {
  const { latentDim, embeddingDim } = model;
  const embeddings = new Float32Array(count * embeddingDim);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    const chunk = await model.embed(latents.subarray(start * latentDim, end * latentDim), end - start);
    checkLength('embedding', chunk.length, (end - start) * embeddingDim);
    embeddings.set(chunk, start * embeddingDim);
  }
  return embeddings;
}

export async function vjpAll(
  model: EmbeddingModel,
  latents: Float32Array,
  upstream: Float32Array,
  count: number,
  batchSize: number,
): Promise<EmbeddingVjp> {
  const { latentDim, embeddingDim } = model;
  const embeddings = new Float32Array(count * embeddingDim);
  const latentGradient = new Float32Array(count * latentDim);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    const chunk = await model.vjp(
      latents.subarray(start * latentDim, end * latentDim),
      upstream.subarray(start * embeddingDim, end * embeddingDim),
      end - start,
    );
    checkLength('embedding', chunk.embeddings.length, (end - start) * embeddingDim);
    checkLength('latent gradient', chunk.latentGradient.length, (end - start) * latentDim);
    embeddings.set(chunk.embeddings, start * embeddingDim);
    latentGradient.set(chunk.latentGradient, start * latentDim);
  }
  return { embeddings, latentGradient };
}
