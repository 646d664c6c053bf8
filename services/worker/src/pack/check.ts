import { differentiate, gradientName } from '../autodiff/differentiate.js';
import { inspectOps, type OpReport } from '../autodiff/inspect.js';
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';
import { decodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import type { DeviceRequest } from '../runtime/executionProvider.js';
import { asFloat32, float32 } from '../runtime/hostTensor.js';
import { createSession, runSession } from '../runtime/session.js';
import { adHocPackFiles, type LooseModels } from './adHocPack.js';
import { SeededRandom } from './builtin/seededRandom.js';
import { loadPack, type LoadedPack } from './loadPack.js';
import { manifestFileName, parseManifest } from '../../../../src/core/packs/manifest.js';
import { modelIo, type ModelIo } from './modelIo.js';
import { PackError } from '../../../../src/core/packs/PackError.js';
import { PackModel } from './PackModel.js';
import { directorySource, memorySource, type PackSource } from '../../../../src/core/packs/packSource.js';
import type { ReferenceData, ReferenceTensor } from './referenceData.js';

export type CheckTarget = { pack: string | PackSource } | { models: LooseModels };

export interface CheckOptions {
  /** Batch size of the timing runs (and of the sessions). */
  batch: number;
  reference?: ReferenceData;
  device?: DeviceRequest;
  /** VJP samples per segment of the gradient check (default 32); fewer for very large models. */
  gradientPoints?: number;
}

export type ModelRole = 'mapping' | 'generator' | 'recognizer';

export interface ModelReport {
  role: ModelRole;
  opset: number;
  io: ModelIo;
  ops: OpReport[];
  /** The generator and the recognizer are differentiated; the mapping only runs forward, so its ops need no gradient. */
  differentiated: boolean;
}

export interface TimingReport {
  batch: number;
  executionProvider: ExecutionProvider;
  /** Building the gradient graph and its session, once per batch size. */
  gradientBuildMs: number;
  /** Medians over several runs of the composite at `batch` latents. */
  forwardMs: number;
  vjpMs: number;
  /** vjpMs / forwardMs */
  ratio: number;
}

export interface DirectionCheck {
  /** (u·e(w + h v) − u·e(w − h v)) / 2h */
  finiteDifference: number;
  /** Mean over the segment of the VJP's directional derivative u·J v, sampled at midpoints. */
  pathAverage: number;
  /** u·J v at w itself, for information: it differs from the finite difference by the curvature and kinks within ±h. */
  pointDerivative: number;
}

/**
 * ReLU-type networks are piecewise linear, so a finite difference measures the mean slope over
 * [w − h v, w + h v], not the slope at w. By the fundamental theorem of calculus that mean equals the
 * average of the exact directional derivatives along the segment, which the VJP gives at sample points:
 * comparing the two tests the gradient at every sample without needing float64 or tiny steps.
 */
export interface GradientCheckReport {
  step: number;
  points: number;
  directions: DirectionCheck[];
  /** ‖finite differences − path averages‖ / ‖finite differences‖ over the directions. */
  relativeError: number;
  tolerance: number;
  passed: boolean;
}

export interface ReferenceResult {
  name: string;
  relativeError: number;
  tolerance: number;
  passed: boolean;
}

export interface CheckReport {
  passed: boolean;
  /** Every failure, one line each. */
  problems: string[];
  /** The pack checked; absent for loose models. */
  pack?: { name: string; digest: string; location: string };
  models: ModelReport[];
  dims?: {
    zDim: number;
    latentDim: number;
    numWs?: number;
    image: number[];
    recognizerInput: number[];
    embeddingDim: number;
  };
  /** The batch a fixed-batch export runs at (generator.batch); every run is padded to it. */
  fixedBatch?: number;
  timing?: TimingReport;
  gradientCheck?: GradientCheckReport;
  reference: ReferenceResult[];
}

const timingRepeats = 5;
const gradientDirections = 4;
const gradientPoints = 32;
const gradientTolerance = 1e-2;
/** Relative error ‖a−b‖/‖b‖ allowed against reference outputs and VJPs (torch.autograd values). */
const referenceTolerance = 1e-4;

/** Loads, inspects, times and checks a pack or loose models; never throws for a faulty model, it reports it. */
export async function checkModels(target: CheckTarget, options: CheckOptions): Promise<CheckReport> {
  const report: CheckReport = { passed: false, problems: [], models: [], reference: [] };
  const fail = (message: string): CheckReport => {
    report.problems.push(message);
    return report;
  };
  let source: PackSource;
  try {
    source =
      'pack' in target
        ? typeof target.pack === 'string'
          ? directorySource(target.pack)
          : target.pack
        : memorySource(await adHocPackFiles(target.models), 'models under check');
  } catch (error) {
    if (error instanceof PackError) return fail(error.message);
    throw error;
  }
  report.models = await modelReports(source);
  let pack: LoadedPack;
  try {
    pack = await loadPack(source);
  } catch (error) {
    if (error instanceof PackError) return fail(error.message);
    throw error;
  }
  const { manifest } = pack;
  if ('pack' in target) report.pack = { name: manifest.name, digest: pack.digest, location: pack.location };
  report.dims = {
    zDim: manifest.mapping.zDim,
    latentDim: manifest.latentDim,
    numWs: manifest.generator.numWs,
    image: [manifest.generator.channels, manifest.generator.height, manifest.generator.width],
    recognizerInput:
      manifest.recognizer.layout === 'NHWC'
        ? [manifest.alignment.outputSize.height, manifest.alignment.outputSize.width, manifest.generator.channels]
        : [manifest.generator.channels, manifest.alignment.outputSize.height, manifest.alignment.outputSize.width],
    embeddingDim: manifest.embeddingDim,
  };
  report.fixedBatch = manifest.generator.batch;
  const model = await PackModel.open(pack, { batchSize: options.batch, device: options.device });
  try {
    await runComposite(model, report, options, 'pack' in target || target.models.mapping !== undefined);
  } catch (error) {
    // A gradient rule or the runtime may still refuse something the static checks let through.
    report.problems.push(`composite: ${(error as Error).message}`);
  } finally {
    await model.release();
  }
  report.passed = report.problems.length === 0;
  return report;
}

/** Timing, gradient check and reference comparison of a loaded pack; failures go into `report.problems`. */
async function runComposite(
  model: PackModel,
  report: CheckReport,
  options: CheckOptions,
  withMapping: boolean,
): Promise<void> {
  report.timing = await timeModel(model, options.batch);
  report.gradientCheck = await gradientCheck(model, options.gradientPoints ?? gradientPoints);
  if (!report.gradientCheck.passed) {
    report.problems.push(
      `gradient check: relative error ${report.gradientCheck.relativeError.toExponential(2)} exceeds ${gradientTolerance}`,
    );
  }
  if (options.reference) {
    report.reference = await compareReference(model.pack, model, options.reference, withMapping);
    for (const r of report.reference.filter((r) => !r.passed)) {
      report.problems.push(
        `reference ${r.name}: relative error ${r.relativeError.toExponential(2)} exceeds ${r.tolerance}`,
      );
    }
  }
}

/** What each model file holds, read before the full load so that a failing pack still shows its ops. */
async function modelReports(source: PackSource): Promise<ModelReport[]> {
  const bytes = await source.read(manifestFileName);
  if (!bytes) return [];
  let manifest;
  try {
    manifest = parseManifest(new TextDecoder().decode(bytes));
  } catch {
    return [];
  }
  const reports: ModelReport[] = [];
  for (const role of ['mapping', 'generator', 'recognizer'] as const) {
    const file = await source.read(manifest[role].file);
    const report = file ? inspectModelFile(role, file) : null;
    if (report) reports.push(report);
  }
  return reports;
}

/** Null when the file cannot be decoded or inspected; loadPack then says why. */
function inspectModelFile(role: ModelRole, bytes: Uint8Array): ModelReport | null {
  try {
    const model = decodeModel(bytes);
    const inspection = inspectOps(model);
    return {
      role,
      opset: inspection.opset,
      io: modelIo(model),
      ops: inspection.ops,
      differentiated: role !== 'mapping',
    };
  } catch {
    return null;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function elapsed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

function normals(seed: number, count: number): Float32Array {
  return Float32Array.from(new SeededRandom(seed).normals(count));
}

/** Forward and forward+VJP time of the composite at `batch` latents (sessions warmed up first). */
async function timeModel(model: PackModel, batch: number): Promise<TimingReport> {
  const z = normals(1, batch * model.pack.manifest.mapping.zDim);
  const w = await model.mapLatents(z, batch);
  const upstream = normals(2, batch * model.embeddingDim);
  await model.embed(w, batch);
  const gradientBuildMs = await elapsed(() => model.vjp(w, upstream, batch));
  const forward: number[] = [];
  const vjp: number[] = [];
  for (let r = 0; r < timingRepeats; r++) {
    forward.push(await elapsed(() => model.embed(w, batch)));
    vjp.push(await elapsed(() => model.vjp(w, upstream, batch)));
  }
  const forwardMs = median(forward);
  const vjpMs = median(vjp);
  return {
    batch,
    executionProvider: model.executionProvider,
    gradientBuildMs,
    forwardMs,
    vjpMs,
    ratio: vjpMs / forwardMs,
  };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): number {
  let sum = 0;
  for (let i = 0; i < b.length; i++) sum += a[offset + i]! * b[i]!;
  return sum;
}

async function gradientCheck(model: PackModel, points: number): Promise<GradientCheckReport> {
  const { latentDim, embeddingDim } = model;
  const w = await model.mapLatents(normals(3, model.pack.manifest.mapping.zDim), 1);
  const rms = Math.sqrt(dot(w, w) / latentDim);
  const step = 1e-2 * Math.max(1, rms);
  const u = normals(4, embeddingDim);
  const directions: DirectionCheck[] = [];
  for (let d = 0; d < gradientDirections; d++) {
    const v = normals(100 + d, latentDim);
    const ends = new Float32Array(2 * latentDim);
    for (let k = 0; k < latentDim; k++) {
      ends[k] = w[k]! + step * v[k]!;
      ends[latentDim + k] = w[k]! - step * v[k]!;
    }
    const e = await model.embed(ends, 2);
    const finiteDifference = (dot(e, u) - dot(e, u, embeddingDim)) / (2 * step);
    // Row 0 is w itself; rows 1..points are the segment's midpoints.
    const rows = points + 1;
    const latents = new Float32Array(rows * latentDim);
    const upstream = new Float32Array(rows * embeddingDim);
    for (let i = 0; i < rows; i++) {
      const t = i === 0 ? 0 : -step + (2 * step * (i - 0.5)) / points;
      for (let k = 0; k < latentDim; k++) latents[i * latentDim + k] = w[k]! + t * v[k]!;
      upstream.set(u, i * embeddingDim);
    }
    const { latentGradient } = await model.vjp(latents, upstream, rows);
    let pathAverage = 0;
    for (let i = 1; i < rows; i++) pathAverage += dot(latentGradient, v, i * latentDim) / points;
    directions.push({ finiteDifference, pathAverage, pointDerivative: dot(latentGradient, v) });
  }
  const error = Math.sqrt(directions.reduce((s, c) => s + (c.finiteDifference - c.pathAverage) ** 2, 0));
  const size = Math.sqrt(directions.reduce((s, c) => s + c.finiteDifference ** 2, 0));
  const relativeError = error / Math.max(size, Number.MIN_VALUE);
  return {
    step,
    points,
    directions,
    relativeError,
    tolerance: gradientTolerance,
    passed: relativeError <= gradientTolerance,
  };
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i]! - expected[i]!) ** 2;
    den += expected[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, Number.MIN_VALUE));
}

function result(name: string, actual: Float32Array, expected: ReferenceTensor, tolerance: number): ReferenceResult {
  const error = relativeError(actual, expected.data);
  return { name, relativeError: error, tolerance, passed: error <= tolerance };
}

/** Output and VJP of one model at the reference input and upstream gradient. */
async function modelVjp(
  model: ModelProto,
  input: string,
  output: string,
  x: ReferenceTensor,
  upstream: ReferenceTensor,
): Promise<{ output: Float32Array; gradient: Float32Array }> {
  const gradientModel = await differentiate(model, { wrt: [input], outputs: [output], batch: x.shape[0] });
  const session = await createSession(gradientModel, { provider: 'cpu' });
  try {
    const out = await runSession(session, {
      [input]: float32(x.shape, x.data),
      [gradientName(output)]: float32(upstream.shape, upstream.data),
    });
    return {
      output: asFloat32(out[output]!, output),
      gradient: asFloat32(out[gradientName(input)]!, gradientName(input)),
    };
  } finally {
    await session.release();
  }
}

async function compareReference(
  pack: LoadedPack,
  model: PackModel,
  reference: ReferenceData,
  withMapping: boolean,
): Promise<ReferenceResult[]> {
  const { manifest } = pack;
  const results: ReferenceResult[] = [];
  if (withMapping && reference.z && reference.mappingOut) {
    const session = await createSession(pack.mapping, { provider: 'cpu' });
    try {
      const out = await runSession(
        session,
        { [manifest.mapping.input]: float32(reference.z.shape, reference.z.data) },
        [manifest.mapping.output],
      );
      results.push(
        result('mapping output', asFloat32(out[manifest.mapping.output]!), reference.mappingOut, referenceTolerance),
      );
    } finally {
      await session.release();
    }
  }
  if (reference.generator) {
    const { w, image, gImage, dw } = reference.generator;
    const { model: chain, input, output } = pack.latentToImage;
    const g = await modelVjp(chain, input, output, w, gImage);
    results.push(
      result('generator image', g.output, image, referenceTolerance),
      result('generator VJP', g.gradient, dw, referenceTolerance),
    );
  }
  if (reference.recognizer) {
    const { x, embedding, gEmbedding, dx } = reference.recognizer;
    const r = await modelVjp(pack.recognizer, manifest.recognizer.input, manifest.recognizer.output, x, gEmbedding);
    results.push(
      result('recognizer embedding', r.output, embedding, referenceTolerance),
      result('recognizer VJP', r.gradient, dx, referenceTolerance),
    );
  }
  if (reference.composite) {
    const { w, embedding, gEmbedding, dw } = reference.composite;
    const c = await model.vjp(w.data, gEmbedding.data, w.shape[0]!);
    results.push(
      result('composite embedding', c.embeddings, embedding, referenceTolerance),
      result('composite VJP', c.latentGradient, dw, referenceTolerance),
    );
  }
  return results;
}
