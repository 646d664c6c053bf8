import { isRecord } from '../../../../src/core/packs/jsonSchema.js';

export interface ReferenceTensor {
  shape: number[];
  data: Float32Array;
}

/** Inputs, outputs, upstream gradients and torch.autograd VJPs of an exported model set (reference.json). */
export interface ReferenceData {
  wAvg?: ReferenceTensor;
  z?: ReferenceTensor;
  mappingOut?: ReferenceTensor;
  generator?: { w: ReferenceTensor; image: ReferenceTensor; gImage: ReferenceTensor; dw: ReferenceTensor };
  recognizer?: { x: ReferenceTensor; embedding: ReferenceTensor; gEmbedding: ReferenceTensor; dx: ReferenceTensor };
  composite?: { w: ReferenceTensor; embedding: ReferenceTensor; gEmbedding: ReferenceTensor; dw: ReferenceTensor };
}

function tensorAt(value: unknown, path: string): ReferenceTensor {
  if (!isRecord(value) || !Array.isArray(value.shape) || !Array.isArray(value.data)) {
    throw new Error(`reference ${path}: expected {shape, data}`);
  }
  const shape = value.shape;
  const data = value.data;
  if (!shape.every((d): d is number => Number.isInteger(d) && d >= 0))
    throw new Error(`reference ${path}.shape: expected non-negative integers`);
  if (!data.every((v): v is number => typeof v === 'number'))
    throw new Error(`reference ${path}.data: expected numbers`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new Error(`reference ${path}: shape [${shape.join(', ')}] needs ${count} values, data has ${data.length}`);
  return { shape, data: Float32Array.from(data) };
}

function optionalTensor(parent: Record<string, unknown>, key: string, path: string): ReferenceTensor | undefined {
  return key in parent ? tensorAt(parent[key], path) : undefined;
}

function section<K extends string>(
  root: Record<string, unknown>,
  name: string,
  keys: Record<K, string>,
): Record<K, ReferenceTensor> | undefined {
  const value = root[name];
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new Error(`reference ${name}: expected an object`);
  const out = {} as Record<K, ReferenceTensor>;
  for (const [key, jsonKey] of Object.entries(keys) as Array<[K, string]>)
    out[key] = tensorAt(value[jsonKey], `${name}.${jsonKey}`);
  return out;
}

/** Parses the fixtures' reference.json format; sections that are absent are simply not compared. */
export function parseReference(text: string): ReferenceData {
  const root: unknown = JSON.parse(text);
  if (!isRecord(root)) throw new Error('reference: expected a JSON object');
  return {
    wAvg: optionalTensor(root, 'w_avg', 'w_avg'),
    z: optionalTensor(root, 'z', 'z'),
    mappingOut: optionalTensor(root, 'mapping_out', 'mapping_out'),
    generator: section(root, 'generator', { w: 'w', image: 'image', gImage: 'g_image', dw: 'dw' }),
    recognizer: section(root, 'recognizer', { x: 'x', embedding: 'embedding', gEmbedding: 'g_embedding', dx: 'dx' }),
    composite: section(root, 'composite', { w: 'w', embedding: 'embedding', gEmbedding: 'g_embedding', dw: 'dw' }),
  };
}
