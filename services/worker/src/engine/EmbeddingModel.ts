/**
 * What the generation algorithms need from a model pack: the composite
 * e = R(align(G(w))) and its vector-Jacobian product. Latents and embeddings are
 * row-major float32 batches (count × latentDim, count × embeddingDim).
 *
 * Implementations pad partial batches internally, so callers pass any count.
 */
export interface EmbeddingModel {
  readonly latentDim: number;
  readonly embeddingDim: number;
  /** Execution provider the sessions run on, recorded in provenance. */
  readonly executionProvider: ExecutionProvider;
  /** e = R(align(G(w))) for `count` latents. */
  embed(latents: Float32Array, count: number): Promise<Float32Array>;
  /** e and Jᵀ·upstream for `count` latents in one forward+backward pass. */
  vjp(latents: Float32Array, upstream: Float32Array, count: number): Promise<EmbeddingVjp>;
  release(): Promise<void>;
}

export interface EmbeddingVjp {
  embeddings: Float32Array;
  /** ∂(upstream · e)/∂w, count × latentDim. */
  latentGradient: Float32Array;
}

export type ExecutionProvider = 'cpu' | 'cuda';
