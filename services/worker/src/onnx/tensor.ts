import { onnx, toNumber, type DataTypeCode, type GraphProto, type TensorProto } from './proto.js';

export const DataType = onnx.TensorProto.DataType;
export type DataType = DataTypeCode;

/** protobufjs types enum fields as plain numbers; this names a tensor's as the enum it is. */
export function dataTypeOf(tensor: TensorProto): DataType {
  return tensor.dataType;
}

export function tensorDims(tensor: TensorProto): number[] {
  return tensor.dims.map(toNumber);
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function float32Tensor(
  name: string,
  dims: readonly number[],
  data: Float32Array | readonly number[],
): TensorProto {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  checkCount(name, dims, values.length);
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  });
}

export function float64Tensor(
  name: string,
  dims: readonly number[],
  data: Float64Array | readonly number[],
): TensorProto {
  const values = data instanceof Float64Array ? data : Float64Array.from(data);
  checkCount(name, dims, values.length);
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: DataType.DOUBLE,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  });
}

export function int64Tensor(
  name: string,
  dims: readonly number[],
  data: BigInt64Array | readonly number[],
): TensorProto {
  const values = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
  checkCount(name, dims, values.length);
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: DataType.INT64,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  });
}

/** A float tensor of `dataType` (FLOAT or DOUBLE), for constants that must match a graph's precision. */
export function floatTensorOfType(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  data: readonly number[],
): TensorProto {
  if (dataType === DataType.FLOAT) return float32Tensor(name, dims, data);
  if (dataType === DataType.DOUBLE) return float64Tensor(name, dims, data);
  throw new Error(`cannot build a floating-point constant of ONNX data type ${dataTypeName(dataType)}`);
}

export function float32FromTensor(tensor: TensorProto): Float32Array {
  if (dataTypeOf(tensor) !== DataType.FLOAT)
    throw new Error(`tensor ${tensor.name} is ${dataTypeName(tensor.dataType)}, not FLOAT`);
  rejectExternal(tensor);
  const count = elementCount(tensorDims(tensor));
  if (tensor.rawData && tensor.rawData.length > 0) return new Float32Array(copyBytes(tensor.rawData).buffer, 0, count);
  return Float32Array.from(tensor.floatData);
}

export function float64FromTensor(tensor: TensorProto): Float64Array {
  if (dataTypeOf(tensor) !== DataType.DOUBLE)
    throw new Error(`tensor ${tensor.name} is ${dataTypeName(tensor.dataType)}, not DOUBLE`);
  rejectExternal(tensor);
  const count = elementCount(tensorDims(tensor));
  if (tensor.rawData && tensor.rawData.length > 0) return new Float64Array(copyBytes(tensor.rawData).buffer, 0, count);
  return Float64Array.from(tensor.doubleData);
}

export function int64FromTensor(tensor: TensorProto): BigInt64Array {
  if (dataTypeOf(tensor) !== DataType.INT64)
    throw new Error(`tensor ${tensor.name} is ${dataTypeName(tensor.dataType)}, not INT64`);
  rejectExternal(tensor);
  const count = elementCount(tensorDims(tensor));
  if (tensor.rawData && tensor.rawData.length > 0) return new BigInt64Array(copyBytes(tensor.rawData).buffer, 0, count);
  return BigInt64Array.from(tensor.int64Data, (v) => BigInt(toNumber(v)));
}

/** Values of a FLOAT, DOUBLE, INT64, INT32, INT8, UINT8 or BOOL tensor as plain numbers (for small constants). */
export function numbersFromTensor(tensor: TensorProto): number[] {
  switch (dataTypeOf(tensor)) {
    case DataType.FLOAT:
      return Array.from(float32FromTensor(tensor));
    case DataType.DOUBLE:
      return Array.from(float64FromTensor(tensor));
    case DataType.INT64:
      return Array.from(int64FromTensor(tensor), Number);
    case DataType.INT32:
      return smallIntegers(tensor, (bytes, count) => new Int32Array(bytes.buffer, 0, count));
    case DataType.INT8:
      return smallIntegers(tensor, (bytes, count) => new Int8Array(bytes.buffer, 0, count));
    case DataType.UINT8:
    case DataType.BOOL:
      return smallIntegers(tensor, (bytes, count) => bytes.subarray(0, count));
    default:
      throw new Error(`tensor ${tensor.name}: reading ${dataTypeName(tensor.dataType)} values is not supported`);
  }
}

export function findInitializer(graph: GraphProto, name: string): TensorProto | undefined {
  return graph.initializer.find((t) => t.name === name) as TensorProto | undefined;
}

export function dataTypeName(dataType: number): string {
  return DataType[dataType] ?? `#${dataType}`;
}

export function isFloatType(dataType: DataType): boolean {
  return (
    dataType === DataType.FLOAT ||
    dataType === DataType.DOUBLE ||
    dataType === DataType.FLOAT16 ||
    dataType === DataType.BFLOAT16
  );
}

/** Types ONNX stores in int32_data when not in raw_data. */
function smallIntegers(
  tensor: TensorProto,
  fromRaw: (bytes: Uint8Array, count: number) => ArrayLike<number>,
): number[] {
  rejectExternal(tensor);
  if (tensor.rawData && tensor.rawData.length > 0)
    return Array.from(fromRaw(copyBytes(tensor.rawData), elementCount(tensorDims(tensor))));
  return [...tensor.int32Data];
}

function checkCount(name: string, dims: readonly number[], count: number): void {
  if (elementCount(dims) !== count) throw new Error(`tensor ${name}: ${count} values for dims [${dims.join(', ')}]`);
}

function rejectExternal(tensor: TensorProto): void {
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new Error(`tensor ${tensor.name} keeps its data in an external file; load models with embedded weights`);
  }
}

/** Decoded raw data is a view into the file buffer at an arbitrary offset; typed arrays need alignment. */
function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
