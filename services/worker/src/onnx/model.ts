import { readFile, writeFile } from 'node:fs/promises';
import { onnx, toNumber, type GraphProto, type ModelProto } from './proto.js';

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export async function loadModelFile(path: string): Promise<ModelProto> {
  return decodeModel(await readFile(path));
}

export async function saveModelFile(path: string, model: ModelProto): Promise<void> {
  await writeFile(path, encodeModel(model));
}

/** A deep copy, so that transformations never mutate a model another caller holds. */
export function cloneModel(model: ModelProto): ModelProto {
  return decodeModel(encodeModel(model));
}

/** Version of the default ("ai.onnx") operator set the model imports. */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!entry) throw new Error('model imports no default (ai.onnx) operator set');
  return toNumber(entry.version);
}

export function requireGraph(model: ModelProto): GraphProto {
  if (!model.graph) throw new Error('model has no graph');
  return model.graph as GraphProto;
}

/**
 * Graph inputs that are fed at run time. Models with IR version < 4 also list initializers as
 * inputs; those have default values and are not fed.
 */
export function runtimeInputs(graph: GraphProto): string[] {
  const initializers = new Set(graph.initializer.map((t) => t.name));
  return graph.input.map((i) => i.name ?? '').filter((name) => name !== '' && !initializers.has(name));
}
