import { differentiateAnyBatch } from '../autodiff/anyBatch.js';
import { differentiate, gradientName } from '../autodiff/differentiate.js';
import { BatchDependentGradientError } from '../autodiff/errors.js';
import type { EmbeddingModel, EmbeddingVjp, ExecutionProvider } from '../engine/EmbeddingModel.js';
import { composeModels } from '../onnx/compose.js';
import type { ModelProto } from '../onnx/proto.js';
import { deviceRequestFromEnv, selectExecutionProvider, type DeviceRequest } from '../runtime/executionProvider.js';
import { asFloat32, float32, type HostTensor } from '../runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../runtime/session.js';
import { SharedWeights } from '../runtime/sharedWeights.js';
import { alignmentIo } from './alignment.js';
import { buildLatentToImage, type LatentToImage } from './latentToImage.js';
import type { LoadedPack } from './loadPack.js';
import type { PixelRange } from '../../../../src/core/packs/manifest.js';

export interface PackModelOptions {
  /** Largest number of latents per session run. */
  batchSize: number;
  /** Execution provider request; BROWNIAN_DEVICE when omitted. */
  device?: DeviceRequest;
  /** Replacements for the generator's constant inputs, by their runParameter key (a run's generatorInputs). */
  generatorInputs?: Readonly<Record<string, readonly number[]>>;
}

/** Generator output for a batch of latents, float NCHW in the pack's generator pixel range. */
export interface RenderedImages {
  data: Float32Array;
  count: number;
  channels: number;
  height: number;
  width: number;
  pixelRange: PixelRange;
}

/** The composite e = R(align(G(w))) as one graph, with the names of its input and output. */
export interface Composite {
  model: ModelProto;
  input: string;
  output: string;
}

export function composePack(pack: LoadedPack, latentToImage: LatentToImage = pack.latentToImage): Composite {
  const { recognizer } = pack.manifest;
  const imageToAligned = composeModels(latentToImage.model, pack.alignment, {
    connect: [[latentToImage.output, alignmentIo.input]],
    prefixes: { first: '', second: 'alignment/' },
  });
  const model = composeModels(imageToAligned, pack.recognizer, {
    connect: [[`alignment/${alignmentIo.output}`, recognizer.input]],
    prefixes: { first: '', second: 'recognizer/' },
    graphName: `${pack.manifest.name} composite`,
  });
  return { model, input: latentToImage.input, output: `recognizer/${recognizer.output}` };
}

/** The pack's constant generator inputs with a run's replacements; a replacement of the wrong size is a RangeError naming it. */
export function constantValues(
  pack: LoadedPack,
  overrides: Readonly<Record<string, readonly number[]>> = {},
): Map<string, Float32Array> {
  const inputs = pack.manifest.generator.constantInputs ?? [];
  const known = new Set(inputs.flatMap((c) => (c.runParameter ? [c.runParameter] : [])));
  const unknown = Object.keys(overrides).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new RangeError(
      `generatorInputs: the pack takes no ${unknown.join(', ')} (it takes: ${[...known].join(', ') || 'none'})`,
    );
  }
  const values = new Map(pack.constants);
  for (const input of inputs) {
    const given = input.runParameter === undefined ? undefined : overrides[input.runParameter];
    if (given === undefined) continue;
    const count = input.dims.reduce((a, b) => a * b, 1);
    if (given.length !== count || !given.every(Number.isFinite)) {
      throw new RangeError(
        `generatorInputs.${input.runParameter}: expected ${count} finite numbers, got ${given.length}`,
      );
    }
    values.set(input.name, Float32Array.from(given));
  }
  return values;
}

/**
 * Where the gradient graph cannot serve every batch size (BatchDependentGradientError), batches that
 * fill less than `batchSize` run at the next power of two (padded by repeating their first latent),
 * so such a pack needs at most log2(batchSize) + 1 gradient graphs, one per size. Large packs keep
 * one (see `largeWeightBytes`).
 */
export function runBatchSize(rows: number, batchSize: number): number {
  let size = 1;
  while (size < rows) size *= 2;
  return Math.min(size, batchSize);
}

type GraphKind = 'embed' | 'render' | 'mapping';

/**
 * Sessions read the composite's weights from one shared buffer (SharedWeights), but what
 * onnxruntime's optimiser derives from them (reordered, prepacked weights) is still per session:
 * about three times the weights for an iResNet-50 gradient session (bench/RESULTS.md). Packs normally
 * have one gradient session for every batch size (differentiateAnyBatch); where their graph cannot,
 * above this size a pack builds one gradient graph, at the full batch, and pads partial batches to it:
 * one session instead of log2(batchSize) + 1.
 */
export const largeWeightBytes = 64 * 1024 * 1024;

/**
 * One buffer per loaded pack, so that the models of several runs on one pack share it too. A run's own
 * constant inputs differ from the buffer's bytes and stay inside its graphs (SharedWeights compares them).
 */
const packWeights = new WeakMap<LoadedPack, SharedWeights>();

function weightBytes(model: ModelProto): number {
  return (model.graph?.initializer ?? []).reduce(
    (sum, t) => sum + (t.rawData?.length ?? 0) + 4 * (t.floatData?.length ?? 0),
    0,
  );
}

/**
 * A model pack as an EmbeddingModel: onnxruntime sessions for the composite and for its gradient
 * (one gradient graph with a symbolic batch, else one per batch size, built on first use and kept),
 * plus the mapping z → w with truncation and the generator alone for images.
 */
export class PackModel implements EmbeddingModel {
  readonly latentDim: number;
  readonly embeddingDim: number;
  private readonly forwardSessions = new Map<GraphKind, Promise<Session>>();
  private readonly vjpSessions = new Map<number, Promise<Session>>();
  /** The gradient session for every batch size; undefined where the graph depends on the batch. */
  private anyBatchSession?: Promise<Session | undefined>;

  private constructor(
    readonly pack: LoadedPack,
    private readonly latentToImage: LatentToImage,
    private readonly composite: Composite,
    readonly executionProvider: ExecutionProvider,
    /** Why this provider: for logs and provenance. */
    readonly providerReason: string,
    readonly batchSize: number,
    /** The generator runs only at batchSize (generator.batch): every run is padded to it. */
    private readonly fixedBatch: boolean,
    /** Gradient sessions only at batchSize: a fixed-batch export, or weights too large to copy per batch size. */
    private readonly oneGradientGraph: boolean,
  ) {
    this.latentDim = pack.manifest.latentDim;
    this.embeddingDim = pack.manifest.embeddingDim;
  }

  static async open(pack: LoadedPack, options: PackModelOptions): Promise<PackModel> {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
      throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
    const fixed = pack.manifest.generator.batch;
    const latentToImage = options.generatorInputs
      ? buildLatentToImage(pack.manifest, pack.generator, constantValues(pack, options.generatorInputs))
      : pack.latentToImage;
    const selection = await selectExecutionProvider(options.device ?? deviceRequestFromEnv());
    const composite = composePack(pack, latentToImage);
    const oneGradientGraph = fixed !== undefined || weightBytes(composite.model) >= largeWeightBytes;
    return new PackModel(
      pack,
      latentToImage,
      composite,
      selection.provider,
      selection.reason,
      fixed ?? options.batchSize,
      fixed !== undefined,
      oneGradientGraph,
    );
  }

  async embed(latents: Float32Array, count: number): Promise<Float32Array> {
    this.checkLength('latents', latents, count * this.latentDim);
    const session = await this.forwardSession('embed');
    const { input, output } = this.composite;
    const out = new Float32Array(count * this.embeddingDim);
    for (let start = 0; start < count; start += this.batchSize) {
      const rows = Math.min(this.batchSize, count - start);
      const result = await runSession(
        session,
        { [input]: this.latentBatch(latents, start, rows, this.runRows(rows)) },
        [output],
      );
      out.set(asFloat32(result[output]!, output).subarray(0, rows * this.embeddingDim), start * this.embeddingDim);
    }
    return out;
  }

  async vjp(latents: Float32Array, upstream: Float32Array, count: number): Promise<EmbeddingVjp> {
    this.checkLength('latents', latents, count * this.latentDim);
    this.checkLength('upstream', upstream, count * this.embeddingDim);
    const { input, output } = this.composite;
    const embeddings = new Float32Array(count * this.embeddingDim);
    const latentGradient = new Float32Array(count * this.latentDim);
    const anyBatch = await this.anyBatchVjpSession();
    for (let start = 0; start < count; start += this.batchSize) {
      const rows = Math.min(this.batchSize, count - start);
      const size = anyBatch ? rows : this.oneGradientGraph ? this.batchSize : runBatchSize(rows, this.batchSize);
      const session = anyBatch ?? (await this.vjpSession(size));
      const feeds = {
        [input]: this.latentBatch(latents, start, rows, size),
        // Padding rows get a zero upstream gradient, so they contribute nothing.
        [gradientName(output)]: float32(
          [size, this.embeddingDim],
          padRows(upstream, this.embeddingDim, start, rows, size, false),
        ),
      };
      const result = await runSession(session, feeds, [output, gradientName(input)]);
      embeddings.set(
        asFloat32(result[output]!, output).subarray(0, rows * this.embeddingDim),
        start * this.embeddingDim,
      );
      latentGradient.set(
        asFloat32(result[gradientName(input)]!, input).subarray(0, rows * this.latentDim),
        start * this.latentDim,
      );
    }
    return { embeddings, latentGradient };
  }

  /** w = w_avg + ψ (M(z) − w_avg) for `count` rows of z (count × zDim); ψ defaults to the pack's truncation. */
  async mapLatents(z: Float32Array, count: number, psi = this.pack.manifest.truncation): Promise<Float32Array> {
    const { mapping } = this.pack.manifest;
    this.checkLength('z', z, count * mapping.zDim);
    const session = await this.forwardSession('mapping');
    const w = new Float32Array(count * this.latentDim);
    for (let start = 0; start < count; start += this.batchSize) {
      const rows = Math.min(this.batchSize, count - start);
      const feed = float32([rows, mapping.zDim], z.slice(start * mapping.zDim, (start + rows) * mapping.zDim));
      const result = await runSession(session, { [mapping.input]: feed }, [mapping.output]);
      w.set(asFloat32(result[mapping.output]!, mapping.output), start * this.latentDim);
    }
    const wAvg = this.pack.wAvg;
    return w.map((v, k) => wAvg[k % this.latentDim] + psi * (v - wAvg[k % this.latentDim]));
  }

  /** Generator images for `count` latents. */
  async render(latents: Float32Array, count: number): Promise<RenderedImages> {
    this.checkLength('latents', latents, count * this.latentDim);
    const { generator } = this.pack.manifest;
    const { input, output } = this.latentToImage;
    const session = await this.forwardSession('render');
    const imageSize = generator.channels * generator.height * generator.width;
    const data = new Float32Array(count * imageSize);
    for (let start = 0; start < count; start += this.batchSize) {
      const rows = Math.min(this.batchSize, count - start);
      const result = await runSession(
        session,
        { [input]: this.latentBatch(latents, start, rows, this.runRows(rows)) },
        [output],
      );
      data.set(asFloat32(result[output]!, output).subarray(0, rows * imageSize), start * imageSize);
    }
    return {
      data,
      count,
      channels: generator.channels,
      height: generator.height,
      width: generator.width,
      pixelRange: [...generator.pixelRange],
    };
  }

  /** Whether one gradient session serves every batch size (else one per batch size, or the fixed batch). */
  async gradientServesEveryBatch(): Promise<boolean> {
    return (await this.anyBatchVjpSession()) !== undefined;
  }

  async release(): Promise<void> {
    const sessions = [...this.forwardSessions.values(), ...this.vjpSessions.values()];
    const anyBatch = this.anyBatchSession;
    this.forwardSessions.clear();
    this.vjpSessions.clear();
    this.anyBatchSession = undefined;
    const extra = await anyBatch?.catch(() => undefined);
    if (extra) await extra.release();
    const settled = await Promise.allSettled(sessions);
    await Promise.all(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.release()] : [])));
  }

  private forwardSession(kind: GraphKind): Promise<Session> {
    return cached(this.forwardSessions, kind, () => {
      const model =
        kind === 'embed' ? this.composite.model : kind === 'render' ? this.latentToImage.model : this.pack.mapping;
      return createSession(this.sharedWeights().encode(model), { provider: this.executionProvider });
    });
  }

  /**
   * One session for every batch size, built on first use; a fixed-batch export, or a graph whose gradient
   * depends on the batch otherwise than through shapes, gets none (then vjpSession per batch size). A
   * failed build is forgotten so that the next call retries it.
   */
  private anyBatchVjpSession(): Promise<Session | undefined> {
    if (this.fixedBatch) return Promise.resolve(undefined);
    if (!this.anyBatchSession) {
      const { model, input, output } = this.composite;
      const session = differentiateAnyBatch(model, { wrt: [input], outputs: [output] }).then(
        (gradient) => createSession(this.sharedWeights().encode(gradient), { provider: this.executionProvider }),
        (error: unknown) => {
          if (error instanceof BatchDependentGradientError) return undefined;
          throw error;
        },
      );
      session.catch(() => (this.anyBatchSession = undefined));
      this.anyBatchSession = session;
    }
    return this.anyBatchSession;
  }

  private vjpSession(batch: number): Promise<Session> {
    return cached(this.vjpSessions, batch, async () => {
      const { model, input, output } = this.composite;
      const gradient = await differentiate(model, { wrt: [input], outputs: [output], batch });
      return createSession(this.sharedWeights().encode(gradient), { provider: this.executionProvider });
    });
  }

  /** The pack's weights, read by every session of every model of this loaded pack; made with the first session. */
  private sharedWeights(): SharedWeights {
    let weights = packWeights.get(this.pack);
    if (!weights) {
      weights = SharedWeights.of(this.composite.model);
      packWeights.set(this.pack, weights);
    }
    return weights;
  }

  /** Rows a forward run feeds for `rows` latents: all of them, or the fixed batch. */
  private runRows(rows: number): number {
    return this.fixedBatch ? this.batchSize : rows;
  }

  private latentBatch(latents: Float32Array, start: number, rows: number, size: number): HostTensor {
    return float32([size, this.latentDim], padRows(latents, this.latentDim, start, rows, size, true));
  }

  private checkLength(what: string, values: Float32Array, expected: number): void {
    if (values.length !== expected) throw new RangeError(`${what}: expected ${expected} values, got ${values.length}`);
  }
}

/** The session under `key`, created once; a failed creation is forgotten so that the next call retries it. */
function cached<K>(sessions: Map<K, Promise<Session>>, key: K, create: () => Promise<Session>): Promise<Session> {
  let session = sessions.get(key);
  if (!session) {
    session = create();
    session.catch(() => sessions.delete(key));
    sessions.set(key, session);
  }
  return session;
}

/** Rows start..start+rows of a row-major matrix, padded to `size` rows with copies of the first row or zeros. */
function padRows(
  values: Float32Array,
  width: number,
  start: number,
  rows: number,
  size: number,
  repeatFirst: boolean,
): Float32Array {
  const out = new Float32Array(size * width);
  out.set(values.subarray(start * width, (start + rows) * width));
  if (repeatFirst) for (let r = rows; r < size; r++) out.copyWithin(r * width, 0, width);
  return out;
}
