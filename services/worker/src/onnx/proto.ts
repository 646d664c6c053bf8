import onnxProto from 'onnx-proto';
import type { onnx as OnnxNamespace } from 'onnx-proto';

/**
 * onnx-proto is a CommonJS bundle without named ESM exports, so the namespace is taken from its
 * default export once here and every other module imports it from this file.
 */
export const onnx: typeof OnnxNamespace = onnxProto.onnx;

export type ModelProto = OnnxNamespace.ModelProto;
export type GraphProto = OnnxNamespace.GraphProto;
export type NodeProto = OnnxNamespace.NodeProto;
export type TensorProto = OnnxNamespace.TensorProto;
export type AttributeProto = OnnxNamespace.AttributeProto;
export type ValueInfoProto = OnnxNamespace.ValueInfoProto;
export type ITensorProto = OnnxNamespace.ITensorProto;
export type INodeProto = OnnxNamespace.INodeProto;
export type IAttributeProto = OnnxNamespace.IAttributeProto;
export type IGraphProto = OnnxNamespace.IGraphProto;
export type IValueInfoProto = OnnxNamespace.IValueInfoProto;
export type DataTypeCode = OnnxNamespace.TensorProto.DataType;

/** int64 fields decode to Long objects (the `long` package is installed) or to numbers. */
export interface LongLike {
  toNumber(): number;
}

declare global {
  /** onnx-proto's declarations name `Long` without importing it; without this every int64 field types as an error. */
  type Long = LongLike;
}

export function toNumber(value: number | LongLike | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
