import { getFloat, getInt, getInts, getTensor } from '../onnx/attributes.js';
import type { NodeProto } from '../onnx/proto.js';
import { DataType, isFloatType, numbersFromTensor } from '../onnx/tensor.js';
import type { TensorFacts } from './shapeInference.js';
import { reduceAxes, shapeBounds, sliceAxis, sliceSpec } from './shapeInference.js';
import { broadcastShape, normalizeAxis, product, range } from './shapes.js';

/**
 * Values of output `k` of a node whose inputs are all small known constants: the shape arithmetic
 * of exports (Shape, Gather, Concat, Cast, Mul…) and small constant tensors, computed as ONNX
 * defines them and rounded to the output's element type. Undefined for operators it does not fold,
 * which makes shape inference give way to the probe rather than guess.
 */
export function evaluateNode(
  node: NodeProto,
  inputs: readonly (TensorFacts | undefined)[],
  outputs: readonly TensorFacts[],
  k: number,
): number[] | undefined {
  const out = outputs[k]!;
  const raw = evaluate(node, inputs, outputs, k);
  return raw && roundTo(out.elemType, raw);
}

const UNARY: Readonly<Record<string, (x: number) => number>> = {
  Identity: (x) => x,
  Neg: (x) => -x,
  Abs: Math.abs,
  Sqrt: Math.sqrt,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Reciprocal: (x) => 1 / x,
  Exp: Math.exp,
  Log: Math.log,
  Relu: (x) => Math.max(x, 0),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: Math.tanh,
  Sin: Math.sin,
  Cos: Math.cos,
  Not: (x) => (x ? 0 : 1),
};

const BINARY: Readonly<Record<string, (a: number, b: number, integer: boolean) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b, integer) => (integer ? Math.trunc(a / b) : a / b),
  Pow: (a, b) => a ** b,
  Max: (a, b) => Math.max(a, b),
  Min: (a, b) => Math.min(a, b),
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  LessOrEqual: (a, b) => Number(a <= b),
  Greater: (a, b) => Number(a > b),
  GreaterOrEqual: (a, b) => Number(a >= b),
  And: (a, b) => Number(Boolean(a) && Boolean(b)),
  Or: (a, b) => Number(Boolean(a) || Boolean(b)),
};

const RESHAPING = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

function evaluate(
  node: NodeProto,
  inputs: readonly (TensorFacts | undefined)[],
  outputs: readonly TensorFacts[],
  k: number,
): number[] | undefined {
  const op = node.opType;
  const out = outputs[k]!;
  const value = (j: number): number[] => inputs[j]!.values!;
  if (RESHAPING.has(op) && k === 0) return [...value(0)];
  if (op === 'Cast') return [...value(0)];
  const unary = UNARY[op];
  if (unary) return value(0).map(unary);
  const binary = BINARY[op];
  if (binary && inputs.length === 2) {
    const integer = !isFloatType(inputs[0]!.elemType);
    return broadcastMap(out.shape, [inputs[0]!, inputs[1]!], ([a, b]) => binary(a!, b!, integer));
  }
  switch (op) {
    case 'Where':
      return broadcastMap(out.shape, [inputs[0]!, inputs[1]!, inputs[2]!], ([c, a, b]) => (c ? a! : b!));
    case 'Shape': {
      const [start, end] = shapeBounds(node, inputs[0]!.shape.length);
      return inputs[0]!.shape.slice(start, end);
    }
    case 'Size':
      return [product(inputs[0]!.shape)];
    case 'ConstantOfShape': {
      const tensor = getTensor(node, 'value');
      const fill = tensor ? numbersFromTensor(tensor)[0]! : 0;
      return new Array<number>(product(out.shape)).fill(fill);
    }
    case 'Range': {
      const [start] = value(0);
      const [delta] = value(2);
      return range(out.shape[0]!).map((i) => start! + i * delta!);
    }
    case 'Expand':
      return broadcastMap(out.shape, [inputs[0]!], ([a]) => a!);
    case 'Concat':
      return concat(node, inputs, out.shape);
    case 'Gather':
      return gather(node, inputs[0]!, inputs[1]!);
    case 'Slice':
      return slice(node, inputs);
    case 'Split': {
      const axis = normalizeAxis(getInt(node, 'axis', 0), inputs[0]!.shape.length);
      const start = outputs.slice(0, k).reduce((sum, o) => sum + o.shape[axis]!, 0);
      return gatherAxis(inputs[0]!, axis, range(out.shape[axis]!, start));
    }
    case 'Transpose': {
      const shape = inputs[0]!.shape;
      const perm = getInts(node, 'perm') ?? range(shape.length).reverse();
      const stride = strides(shape);
      return mapIndex(out.shape, (index) => value(0)[perm.reduce((o, p, j) => o + index[j]! * stride[p]!, 0)]!);
    }
    case 'Tile': {
      const shape = inputs[0]!.shape;
      const stride = strides(shape);
      return mapIndex(out.shape, (index) => value(0)[index.reduce((o, i, j) => o + (i % shape[j]!) * stride[j]!, 0)]!);
    }
    case 'EyeLike': {
      const diagonal = getInt(node, 'k', 0);
      return mapIndex(out.shape, ([row, column]) => (column! - row! === diagonal ? 1 : 0));
    }
    case 'Gemm':
      return gemm(node, inputs, out.shape);
    case 'ScatterND':
      return scatterND(node, inputs);
    case 'MatMul':
      return matMul(inputs[0]!, inputs[1]!);
    case 'ReduceSum':
    case 'ReduceProd':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'ReduceMean':
      return reduce(node, inputs);
    default:
      return undefined;
  }
}

function roundTo(elemType: DataType, values: number[]): number[] {
  if (elemType === DataType.FLOAT) return values.map(Math.fround);
  if (elemType === DataType.BOOL) return values.map((v) => (v ? 1 : 0));
  if (isFloatType(elemType)) return values;
  return values.map(Math.trunc);
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k -= 1) {
    out[k] = s;
    s *= shape[k]!;
  }
  return out;
}

/** f of every multi-index of `shape`, in row-major order. */
function mapIndex(shape: readonly number[], f: (index: readonly number[]) => number): number[] {
  const count = product(shape);
  const index = new Array<number>(shape.length).fill(0);
  const out: number[] = [];
  for (let n = 0; n < count; n += 1) {
    out.push(f(index));
    for (let a = shape.length - 1; a >= 0; a -= 1) {
      index[a] = index[a]! + 1;
      if (index[a]! < shape[a]!) break;
      index[a] = 0;
    }
  }
  return out;
}

/** Numpy broadcasting of each input to `shape`, then f of the aligned elements. */
function broadcastMap(shape: readonly number[], inputs: readonly TensorFacts[], f: (xs: number[]) => number): number[] {
  const offsets = inputs.map((input) => {
    const pad = shape.length - input.shape.length;
    const stride = strides(input.shape);
    return (index: readonly number[]): number =>
      input.shape.reduce((o, d, j) => o + (d === 1 ? 0 : index[j + pad]! * stride[j]!), 0);
  });
  return mapIndex(shape, (index) => f(inputs.map((input, j) => input.values![offsets[j]!(index)]!)));
}

/** Elements of `input` at `positions` along `axis`. */
function gatherAxis(input: TensorFacts, axis: number, positions: readonly number[]): number[] {
  const shape = input.shape;
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o += 1) {
    for (const p of positions) {
      const base = (o * shape[axis]! + p) * inner;
      for (let i = 0; i < inner; i += 1) out.push(input.values![base + i]!);
    }
  }
  return out;
}

function gather(node: NodeProto, data: TensorFacts, indices: TensorFacts): number[] {
  const axis = normalizeAxis(getInt(node, 'axis', 0), data.shape.length);
  const dim = data.shape[axis]!;
  return gatherAxis(
    data,
    axis,
    indices.values!.map((i) => (i < 0 ? i + dim : i)),
  );
}

function concat(node: NodeProto, inputs: readonly (TensorFacts | undefined)[], shape: readonly number[]): number[] {
  const present = inputs.filter((i): i is TensorFacts => i !== undefined);
  const axis = normalizeAxis(getInt(node, 'axis', 0), shape.length);
  const outer = product(shape.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o += 1) {
    for (const input of present) {
      const block = product(input.shape.slice(axis));
      out.push(...input.values!.slice(o * block, (o + 1) * block));
    }
  }
  return out;
}

function slice(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[] {
  const data = inputs[0]!;
  const spec = sliceSpec(node, inputs);
  const picks = data.shape.map((d) => range(d));
  spec.axes.forEach((axis, j) => {
    const step = spec.steps[j]!;
    const { start, count } = sliceAxis(data.shape[axis]!, spec.starts[j]!, spec.ends[j]!, step);
    picks[axis] = range(count).map((i) => start + i * step);
  });
  const stride = strides(data.shape);
  return mapIndex(
    picks.map((p) => p.length),
    (index) => data.values![index.reduce((o, i, a) => o + picks[a]![i]! * stride[a]!, 0)]!,
  );
}

function reduce(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[] {
  const data = inputs[0]!;
  const axes = reduceAxes(node, inputs);
  const kept = data.shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const keptStride = strides(kept);
  const dataStride = strides(data.shape);
  const groups = new Map<number, number[]>();
  mapIndex(data.shape, (index) => {
    const key = index.reduce((o, i, a) => o + (axes.includes(a) ? 0 : i * keptStride[a]!), 0);
    const group = groups.get(key) ?? [];
    group.push(data.values![index.reduce((o, i, a) => o + i * dataStride[a]!, 0)]!);
    groups.set(key, group);
    return 0;
  });
  const combine: Readonly<Record<string, (xs: number[]) => number>> = {
    ReduceSum: (xs) => xs.reduce((a, b) => a + b, 0),
    ReduceProd: (xs) => xs.reduce((a, b) => a * b, 1),
    ReduceMax: (xs) => Math.max(...xs),
    ReduceMin: (xs) => Math.min(...xs),
    ReduceMean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  };
  return range(product(kept)).map((key) => combine[node.opType]!(groups.get(key) ?? []));
}

/** Y = alpha · A' · B' + beta · C, with A' and B' transposed as transA and transB say. */
function gemm(node: NodeProto, inputs: readonly (TensorFacts | undefined)[], shape: readonly number[]): number[] {
  const [a, b, c] = inputs;
  const transA = getInt(node, 'transA', 0) === 1;
  const transB = getInt(node, 'transB', 0) === 1;
  const inner = transA ? a!.shape[0]! : a!.shape[1]!;
  const at = (i: number, k: number): number => a!.values![transA ? k * a!.shape[1]! + i : i * inner + k]!;
  const bt = (k: number, j: number): number => b!.values![transB ? j * inner + k : k * b!.shape[1]! + j]!;
  const alpha = getFloat(node, 'alpha', 1);
  const beta = getFloat(node, 'beta', 1);
  const bias = c ? broadcastMap(shape, [c], ([v]) => v!) : undefined;
  return mapIndex(shape, ([i, j]) => {
    let sum = 0;
    for (let k = 0; k < inner; k += 1) sum += at(i!, k) * bt(k, j!);
    return alpha * sum + (bias ? beta * bias[i! * shape[1]! + j!]! : 0);
  });
}

/** A copy of data with the slices at each index tuple replaced by updates (reduction none). */
function scatterND(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[] | undefined {
  if ((node.attribute ?? []).some((a) => a.name === 'reduction')) return undefined;
  const [data, indices, updates] = inputs;
  const depth = indices!.shape[indices!.shape.length - 1]!;
  const dataStride = strides(data!.shape);
  const slice = product(data!.shape.slice(depth));
  const out = [...data!.values!];
  const tuples = product(indices!.shape.slice(0, -1));
  for (let t = 0; t < tuples; t += 1) {
    let base = 0;
    for (let d = 0; d < depth; d += 1) {
      const i = indices!.values![t * depth + d]!;
      base += (i < 0 ? i + data!.shape[d]! : i) * dataStride[d]!;
    }
    for (let e = 0; e < slice; e += 1) out[base + e] = updates!.values![t * slice + e]!;
  }
  return out;
}

/** Numpy matmul: batch axes broadcast, 1-D operands promoted and their axis dropped again. */
function matMul(a: TensorFacts, b: TensorFacts): number[] {
  const left = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const right = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const [m, inner] = left.slice(-2) as [number, number];
  const n = right[right.length - 1]!;
  const batch = broadcastShape(left.slice(0, -2), right.slice(0, -2));
  const offset = (shape: readonly number[], index: readonly number[]): number => {
    const own = shape.slice(0, -2);
    const pad = batch.length - own.length;
    const stride = strides(own);
    return own.reduce((o, d, j) => o + (d === 1 ? 0 : index[j + pad]! * stride[j]!), 0);
  };
  return mapIndex([...batch, m, n], (index) => {
    const outer = index.slice(0, -2);
    const [i, j] = index.slice(-2) as [number, number];
    const aBase = offset(left, outer) * m * inner;
    const bBase = offset(right, outer) * inner * n;
    let sum = 0;
    for (let k = 0; k < inner; k += 1) sum += a.values![aBase + i * inner + k]! * b.values![bBase + k * n + j]!;
    return sum;
  });
}
