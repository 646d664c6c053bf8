import ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { fromOrtTensor, toOrtTensor, type HostTensor } from './hostTensor.js';

export interface SessionOptions {
  provider: ExecutionProvider;
  /** ONNX Runtime's graph optimisations; 'all' unless a caller needs the graph as written. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpThreads?: number;
}

export type Session = ort.InferenceSession;

export async function createSession(model: ModelProto | Uint8Array, options: SessionOptions): Promise<Session> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  return ort.InferenceSession.create(bytes, {
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
