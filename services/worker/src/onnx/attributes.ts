import { onnx, toNumber, type IAttributeProto, type INodeProto, type TensorProto } from './proto.js';

const AttributeType = onnx.AttributeProto.AttributeType;

function find(node: INodeProto, name: string): IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function getInt(node: INodeProto, name: string, fallback: number): number {
  const attr = find(node, name);
  return attr ? toNumber(attr.i) : fallback;
}

export function getFloat(node: INodeProto, name: string, fallback: number): number {
  const attr = find(node, name);
  return attr ? (attr.f ?? 0) : fallback;
}

export function getString(node: INodeProto, name: string, fallback: string): string {
  const attr = find(node, name);
  return attr?.s ? new TextDecoder().decode(attr.s) : fallback;
}

export function getInts(node: INodeProto, name: string): number[] | undefined {
  const attr = find(node, name);
  return attr ? (attr.ints ?? []).map(toNumber) : undefined;
}

export function getFloats(node: INodeProto, name: string): number[] | undefined {
  const attr = find(node, name);
  return attr ? [...(attr.floats ?? [])] : undefined;
}

export function getTensor(node: INodeProto, name: string): TensorProto | undefined {
  const attr = find(node, name);
  return attr?.t ? onnx.TensorProto.create(attr.t) : undefined;
}

export function intAttribute(name: string, value: number): IAttributeProto {
  return { name, type: AttributeType.INT, i: value };
}

export function floatAttribute(name: string, value: number): IAttributeProto {
  return { name, type: AttributeType.FLOAT, f: value };
}

export function intsAttribute(name: string, values: readonly number[]): IAttributeProto {
  return { name, type: AttributeType.INTS, ints: [...values] };
}

export function floatsAttribute(name: string, values: readonly number[]): IAttributeProto {
  return { name, type: AttributeType.FLOATS, floats: [...values] };
}

export function stringAttribute(name: string, value: string): IAttributeProto {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
}

export function tensorAttribute(name: string, value: TensorProto): IAttributeProto {
  return { name, type: AttributeType.TENSOR, t: value };
}

/** Attribute values accepted by the graph builder, mapped to ONNX attribute types by JS type. */
export type AttributeValue =
  | number
  | string
  | readonly number[]
  | TensorProto
  | { readonly float: number }
  | { readonly floats: readonly number[] };

/** Integers become INT/INTS; `{ float }` / `{ floats }` force FLOAT/FLOATS for integral float values. */
export function toAttribute(name: string, value: AttributeValue): IAttributeProto {
  if (typeof value === 'string') return stringAttribute(name, value);
  if (typeof value === 'number')
    return Number.isInteger(value) ? intAttribute(name, value) : floatAttribute(name, value);
  if (value instanceof onnx.TensorProto) return tensorAttribute(name, value);
  if ('float' in value) return floatAttribute(name, value.float);
  if ('floats' in value) return floatsAttribute(name, value.floats);
  const list = value as readonly number[];
  return list.every(Number.isInteger) ? intsAttribute(name, list) : floatsAttribute(name, list);
}
