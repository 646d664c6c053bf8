import ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import type { EncodedModel } from './sharedWeights.js';
import { fromOrtTensor, toOrtTensor, type HostTensor } from './hostTensor.js';

export interface SessionOptions {
  provider: ExecutionProvider;
  /** ONNX Runtime's graph optimisations; 'all' unless a caller needs the graph as written. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpThreads?: number;
}

export type Session = ort.InferenceSession;

/** A model, its bytes, or its bytes with in-memory external data (SharedWeights.encode). */
export async function createSession(
  model: ModelProto | Uint8Array | EncodedModel,
  options: SessionOptions,
): Promise<Session> {
  const encoded: EncodedModel =
    model instanceof Uint8Array
      ? { bytes: model, externalData: [] }
      : 'externalData' in model
        ? model
        : { bytes: encodeModel(model), externalData: [] };
  return ort.InferenceSession.create(encoded.bytes, {
    ...(encoded.externalData.length > 0 ? { externalData: encoded.externalData } : {}),
    executionProviders: [options.provider],
    graphOptimizationLevel: options.optimization ?? 'all',
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // Errors surface as exceptions; ORT's own log would repeat them on stderr.
    logSeverityLevel: 3,
  });
}

/** Runs `session` and returns the requested outputs (all outputs when `outputs` is omitted). */
export async function runSession(
  session: Session,
  feeds: Readonly<Record<string, HostTensor>>,
  outputs?: readonly string[],
): Promise<Record<string, HostTensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(tensor);
  const results = outputs ? await session.run(ortFeeds, [...outputs]) : await session.run(ortFeeds);
  const host: Record<string, HostTensor> = {};
  for (const [name, tensor] of Object.entries(results)) host[name] = fromOrtTensor(tensor, name);
  return host;
}
