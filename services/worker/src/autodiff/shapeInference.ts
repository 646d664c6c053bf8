import { getFloat, getInt, getInts, getTensor } from '../onnx/attributes.js';
import { requireGraph, runtimeInputs } from '../onnx/model.js';
import { toNumber, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { DataType, numbersFromTensor } from '../onnx/tensor.js';
import { evaluateNode } from './constantEvaluation.js';
import { broadcastShape, normalizeAxis, product, range, resolveWindowPads } from './shapes.js';
import type { StaticInfo } from './staticInfo.js';

/** Shape-like constants (axes, pads, sizes, scales) are small; larger tensors keep their shape only, as in the probe. */
export const MAX_KEPT_VALUES = 4096;

/** A node this inference does not cover: the caller falls back to the probing run. */
export class InferenceGap extends Error {
  constructor(node: NodeProto, reason: string) {
    super(`shape inference: ${node.opType} node "${node.name}": ${reason}`);
    this.name = 'InferenceGap';
  }
}

export interface TensorFacts {
  shape: number[];
  elemType: DataType;
  /** Values of a small tensor that depends on no runtime input's values (shape arithmetic, constants). */
  values?: number[];
  /** Depends on no runtime input's values (set for large constants, whose values are not kept). */
  constant?: boolean;
}

type Lookup = (name: string) => TensorFacts | undefined;

/**
 * ONNX shape inference in TypeScript, with constant folding of the small shape arithmetic exports
 * carry (Shape → Gather → Concat → Reshape): every tensor's shape and element type at fixed input
 * shapes without running the model, so building a gradient graph costs no forward pass however
 * large the model and the batch. It follows the ONNX operator definitions of opsets 13 to 17; any
 * operator or attribute it does not cover throws InferenceGap and the caller probes instead, so it
 * never guesses. test/services/worker/autodiff/shapeInference.test.ts checks it against the probe.
 */
export function inferStaticInfo(model: ModelProto, inputShapes: ReadonlyMap<string, readonly number[]>): StaticInfo {
  const graph = requireGraph(model);
  const facts = new Map<string, TensorFacts>();
  const initializers = new Map<string, TensorProto>();
  for (const init of graph.initializer as TensorProto[]) initializers.set(init.name, init);
  const lookup: Lookup = (name) => {
    const known = facts.get(name);
    if (known) return known;
    const init = initializers.get(name);
    if (!init) return undefined;
    const shape = init.dims.map(toNumber);
    const entry: TensorFacts = {
      shape,
      elemType: init.dataType,
      constant: true,
      ...(product(shape) <= MAX_KEPT_VALUES ? { values: numbersFromTensor(init) } : {}),
    };
    facts.set(name, entry);
    return entry;
  };
  for (const name of runtimeInputs(graph)) {
    const shape = inputShapes.get(name);
    if (!shape) throw new Error(`no static shape for input ${name}`);
    const elemType = graph.input.find((i) => i.name === name)?.type?.tensorType?.elemType ?? DataType.FLOAT;
    facts.set(name, { shape: [...shape], elemType });
  }
  for (const node of graph.node as NodeProto[]) {
    const inputs = node.input.map((name) => (name === '' ? undefined : lookup(name)));
    node.input.forEach((name, k) => {
      if (name !== '' && !inputs[k]) throw new InferenceGap(node, `input ${name} is not known before it`);
    });
    const outputs = inferNode(node, inputs);
    const constant = inputsConstant(node, inputs);
    outputs.forEach((out, k) => {
      const name = node.output[k];
      if (!name) return;
      if (constant) out.constant = true;
      if (constant && product(out.shape) <= MAX_KEPT_VALUES && out.values === undefined) {
        const values = evaluateNode(node, inputs, outputs, k);
        if (!values) throw new InferenceGap(node, 'its small constant output cannot be folded here');
        out.values = values;
      }
      facts.set(name, out);
    });
  }
  const get = (name: string): TensorFacts => {
    const entry = lookup(name);
    if (!entry) throw new Error(`no static information about tensor "${name}"`);
    return entry;
  };
  return {
    shape: (name) => [...get(name).shape],
    elemType: (name) => get(name).elemType,
    values: (name) => get(name).values,
  };
}

/** Whether a node's outputs depend on no runtime input's values (Shape and Size read shapes only). */
function inputsConstant(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): boolean {
  if (node.opType === 'Shape' || node.opType === 'Size' || node.opType === 'Constant') return true;
  return inputs.every((input) => input === undefined || input.constant === true);
}

const SAME_SHAPE_UNARY = new Set([
  'Identity',
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Exp',
  'Log',
  'Sqrt',
  'Neg',
  'Reciprocal',
  'Sin',
  'Cos',
  'Erf',
  'Abs',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Softplus',
  'Elu',
  'Selu',
  'HardSigmoid',
  'Clip',
  'Softmax',
  'LogSoftmax',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Sum', 'Max', 'Min', 'Mean', 'Mod']);
const COMPARISON = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor']);

function inferNode(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): TensorFacts[] {
  const x = (k: number): TensorFacts => inputs[k] ?? gap(node, `input ${k} is absent`);
  const like = (shape: number[], k = 0): TensorFacts => ({ shape, elemType: x(k).elemType });
  const op = node.opType;
  if (node.domain && node.domain !== 'ai.onnx') gap(node, `domain ${node.domain} is not covered`);
  if (SAME_SHAPE_UNARY.has(op)) return [like(x(0).shape)];
  if (op === 'Not' || op === 'IsNaN' || op === 'IsInf') return [{ shape: x(0).shape, elemType: DataType.BOOL }];
  if (op === 'Cast') return [{ shape: x(0).shape, elemType: getInt(node, 'to', 0) }];
  if (BROADCAST.has(op)) return [like(broadcastAll(node, inputs))];
  if (COMPARISON.has(op)) return [{ shape: broadcastAll(node, inputs), elemType: DataType.BOOL }];
  if (op === 'Where') return [like(broadcastAll(node, inputs), 1)];
  switch (op) {
    case 'Constant':
      return [constantFacts(node)];
    case 'Dropout':
      return [like(x(0).shape), { shape: x(0).shape, elemType: DataType.BOOL }];
    case 'BatchNormalization':
      if (getInt(node, 'training_mode', 0) !== 0 || node.output.length > 1) gap(node, 'training mode is not covered');
      return [like(x(0).shape)];
    case 'Conv':
      return [like(convShape(node, x(0).shape, x(1).shape))];
    case 'ConvTranspose':
      return [like(convTransposeShape(node, x(0).shape, x(1).shape))];
    case 'MaxPool':
    case 'AveragePool':
      if (node.output.length > 1 && node.output[1]) gap(node, 'the Indices output is not covered');
      return [like(poolShape(node, x(0).shape))];
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return [
        like([
          ...x(0).shape.slice(0, 2),
          ...x(0)
            .shape.slice(2)
            .map(() => 1),
        ]),
      ];
    case 'Gemm': {
      const a = x(0).shape;
      const b = x(1).shape;
      const m = getInt(node, 'transA', 0) ? a[1]! : a[0]!;
      const n = getInt(node, 'transB', 0) ? b[0]! : b[1]!;
      return [like([m, n])];
    }
    case 'MatMul':
      return [like(matMulShape(node, x(0).shape, x(1).shape))];
    case 'Flatten': {
      const shape = x(0).shape;
      const axis = normalizeAxis(getInt(node, 'axis', 1), shape.length + 1);
      return [like([product(shape.slice(0, axis)), product(shape.slice(axis))])];
    }
    case 'Reshape':
      return [like(reshapeShape(node, x(0).shape, valuesOf(node, x(1), 'shape'), getInt(node, 'allowzero', 0) === 1))];
    case 'Transpose': {
      const shape = x(0).shape;
      const perm = getInts(node, 'perm') ?? range(shape.length).reverse();
      return [like(perm.map((p) => shape[p]!))];
    }
    case 'Squeeze': {
      const shape = x(0).shape;
      const axes = inputs[1]
        ? valuesOf(node, inputs[1], 'axes').map((a) => normalizeAxis(a, shape.length))
        : range(shape.length).filter((k) => shape[k] === 1);
      return [like(shape.filter((_, k) => !axes.includes(k)))];
    }
    case 'Unsqueeze': {
      const shape = x(0).shape;
      const rank = shape.length + valuesOf(node, x(1), 'axes').length;
      const axes = valuesOf(node, x(1), 'axes').map((a) => normalizeAxis(a, rank));
      const rest = [...shape];
      return [like(range(rank).map((k) => (axes.includes(k) ? 1 : rest.shift()!)))];
    }
    case 'Expand':
      return [like(broadcastShape(x(0).shape, valuesOf(node, x(1), 'shape')))];
    case 'Tile': {
      const repeats = valuesOf(node, x(1), 'repeats');
      return [like(x(0).shape.map((d, k) => d * repeats[k]!))];
    }
    case 'Concat': {
      const present = inputs.filter((i): i is TensorFacts => i !== undefined);
      const axis = normalizeAxis(getInt(node, 'axis', 0), present[0]!.shape.length);
      const shape = [...present[0]!.shape];
      shape[axis] = present.reduce((sum, i) => sum + i.shape[axis]!, 0);
      return [like(shape)];
    }
    case 'Split':
      return splitShapes(node, inputs).map((shape) => like(shape));
    case 'Slice':
      return [like(sliceShape(node, inputs))];
    case 'Gather': {
      const data = x(0).shape;
      const axis = normalizeAxis(getInt(node, 'axis', 0), data.length);
      return [like([...data.slice(0, axis), ...x(1).shape, ...data.slice(axis + 1)])];
    }
    case 'Pad': {
      if (inputs[3]) gap(node, 'the axes input is not covered');
      const shape = x(0).shape;
      const pads = valuesOf(node, x(1), 'pads');
      return [like(shape.map((d, k) => d + pads[k]! + pads[k + shape.length]!))];
    }
    case 'Resize':
      return [like(resizeShape(node, inputs))];
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceL2':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'ReduceProd':
      return [like(reduceShape(node, inputs))];
    case 'ArgMax':
    case 'ArgMin': {
      const shape = x(0).shape;
      const axis = normalizeAxis(getInt(node, 'axis', 0), shape.length);
      const keep = getInt(node, 'keepdims', 1) === 1;
      return [
        {
          shape: keep ? shape.map((d, k) => (k === axis ? 1 : d)) : shape.filter((_, k) => k !== axis),
          elemType: DataType.INT64,
        },
      ];
    }
    case 'Shape': {
      const rank = x(0).shape.length;
      const [start, end] = shapeBounds(node, rank);
      return [{ shape: [Math.max(0, end - start)], elemType: DataType.INT64 }];
    }
    case 'Size':
      return [{ shape: [], elemType: DataType.INT64 }];
    case 'ConstantOfShape': {
      const value = getTensor(node, 'value');
      return [{ shape: valuesOf(node, x(0), 'shape'), elemType: value ? value.dataType : DataType.FLOAT }];
    }
    case 'Range': {
      const [start] = valuesOf(node, x(0), 'start');
      const [limit] = valuesOf(node, x(1), 'limit');
      const [delta] = valuesOf(node, x(2), 'delta');
      return [like([Math.max(0, Math.ceil((limit! - start!) / delta!))])];
    }
    case 'EyeLike':
      return [{ shape: x(0).shape, elemType: getInt(node, 'dtype', x(0).elemType) }];
    case 'ScatterND':
      return [like(x(0).shape)];
    default:
      return gap(node, 'the operator is not covered');
  }
}

function gap(node: NodeProto, reason: string): never {
  throw new InferenceGap(node, reason);
}

function valuesOf(node: NodeProto, input: TensorFacts | undefined, what: string): number[] {
  if (!input?.values) gap(node, `its ${what} is not a known constant`);
  return input.values;
}

function broadcastAll(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[] {
  const present = inputs.filter((i): i is TensorFacts => i !== undefined);
  if (present.length === 0) gap(node, 'it has no inputs');
  return present.slice(1).reduce((shape, i) => broadcastShape(shape, i.shape), present[0]!.shape);
}

function constantFacts(node: NodeProto): TensorFacts {
  const tensor = getTensor(node, 'value');
  if (tensor) {
    const shape = tensor.dims.map(toNumber);
    return {
      shape,
      elemType: tensor.dataType,
      constant: true,
      ...(product(shape) <= MAX_KEPT_VALUES ? { values: numbersFromTensor(tensor) } : {}),
    };
  }
  const attribute = node.attribute[0]?.name;
  if (attribute === 'value_float')
    return { shape: [], elemType: DataType.FLOAT, values: [Math.fround(getFloat(node, attribute, 0))], constant: true };
  if (attribute === 'value_int')
    return { shape: [], elemType: DataType.INT64, values: [getInt(node, attribute, 0)], constant: true };
  if (attribute === 'value_ints') {
    const values = getInts(node, attribute)!;
    return { shape: [values.length], elemType: DataType.INT64, values, constant: true };
  }
  if (attribute === 'value_floats') {
    const values = (node.attribute[0]!.floats ?? []).map(Math.fround);
    return { shape: [values.length], elemType: DataType.FLOAT, values, constant: true };
  }
  return gap(node, `its ${attribute ?? 'missing'} value is not covered`);
}

function windowAttributes(node: NodeProto, spatialRank: number) {
  return {
    strides: getInts(node, 'strides') ?? new Array<number>(spatialRank).fill(1),
    dilations: getInts(node, 'dilations') ?? new Array<number>(spatialRank).fill(1),
    autoPad: getString(node),
  };
}

function getString(node: NodeProto): string {
  const attr = node.attribute.find((a) => a.name === 'auto_pad');
  return attr?.s ? new TextDecoder().decode(attr.s) : 'NOTSET';
}

function convShape(node: NodeProto, x: readonly number[], w: readonly number[]): number[] {
  const spatial = x.slice(2);
  const kernel = getInts(node, 'kernel_shape') ?? w.slice(2);
  const { strides, dilations, autoPad } = windowAttributes(node, spatial.length);
  const pads = resolveWindowPads(autoPad, getInts(node, 'pads'), spatial, kernel, strides, dilations);
  const out = spatial.map(
    (d, k) =>
      Math.floor((d + pads.begin[k]! + pads.end[k]! - ((kernel[k]! - 1) * dilations[k]! + 1)) / strides[k]!) + 1,
  );
  return [x[0]!, w[0]!, ...out];
}

function convTransposeShape(node: NodeProto, x: readonly number[], w: readonly number[]): number[] {
  const spatial = x.slice(2);
  const channels = w[1]! * getInt(node, 'group', 1);
  const given = getInts(node, 'output_shape');
  if (given) return [x[0]!, channels, ...given.slice(-spatial.length)];
  const kernel = getInts(node, 'kernel_shape') ?? w.slice(2);
  const { strides, dilations, autoPad } = windowAttributes(node, spatial.length);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER')
    return [x[0]!, channels, ...spatial.map((d, k) => d * strides[k]!)];
  const pads = getInts(node, 'pads') ?? new Array<number>(2 * spatial.length).fill(0);
  const outputPadding = getInts(node, 'output_padding') ?? new Array<number>(spatial.length).fill(0);
  const out = spatial.map(
    (d, k) =>
      strides[k]! * (d - 1) +
      outputPadding[k]! +
      (kernel[k]! - 1) * dilations[k]! +
      1 -
      pads[k]! -
      pads[k + spatial.length]!,
  );
  return [x[0]!, channels, ...out];
}

function poolShape(node: NodeProto, x: readonly number[]): number[] {
  const ceil = getInt(node, 'ceil_mode', 0) === 1;
  const spatial = x.slice(2);
  const kernel = getInts(node, 'kernel_shape') ?? gap(node, 'it has no kernel_shape');
  const { strides, dilations, autoPad } = windowAttributes(node, spatial.length);
  const pads = resolveWindowPads(autoPad, getInts(node, 'pads'), spatial, kernel, strides, dilations);
  const out = spatial.map((d, k) => {
    const span = (d + pads.begin[k]! + pads.end[k]! - ((kernel[k]! - 1) * dilations[k]! + 1)) / strides[k]!;
    if (!ceil) return Math.floor(span) + 1;
    // With ceil_mode the last window must still start inside the input or its leading pad.
    const size = Math.ceil(span) + 1;
    return (size - 1) * strides[k]! >= d + pads.begin[k]! ? size - 1 : size;
  });
  return [x[0]!, x[1]!, ...out];
}

function matMulShape(node: NodeProto, a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0 || b.length === 0) gap(node, 'scalar operands are not covered');
  const left = a.length === 1 ? [1, a[0]!] : a;
  const right = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcastShape(left.slice(0, -2), right.slice(0, -2));
  const shape = [...batch, left[left.length - 2]!, right[right.length - 1]!];
  if (a.length === 1) shape.splice(shape.length - 2, 1);
  if (b.length === 1) shape.splice(shape.length - 1, 1);
  return shape;
}

function reshapeShape(node: NodeProto, x: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const shape = target.map((d, k) => (d === 0 && !allowZero ? (x[k] ?? gap(node, 'a 0 copies a missing axis')) : d));
  const unknown = shape.indexOf(-1);
  if (unknown >= 0) {
    const known = product(shape.filter((_, k) => k !== unknown));
    if (known === 0 || product(x) % known !== 0) gap(node, `[${x.join(', ')}] cannot take [${target.join(', ')}]`);
    shape[unknown] = product(x) / known;
  }
  if (product(shape) !== product(x)) gap(node, `[${x.join(', ')}] cannot take [${target.join(', ')}]`);
  return shape;
}

function splitShapes(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[][] {
  const shape = inputs[0]!.shape;
  const axis = normalizeAxis(getInt(node, 'axis', 0), shape.length);
  const count = node.output.length;
  const sizes = inputs[1]
    ? valuesOf(node, inputs[1], 'split')
    : (getInts(node, 'split') ?? new Array<number>(count).fill(shape[axis]! / count));
  if (sizes.length !== count || sizes.some((s) => !Number.isInteger(s)))
    gap(node, `its split does not divide axis ${axis} of [${shape.join(', ')}]`);
  return sizes.map((size) => shape.map((d, k) => (k === axis ? size : d)));
}

/** Element indices an ONNX Slice takes along one axis: start and count after the operator's clamping. */
export function sliceAxis(dim: number, start: number, end: number, step: number): { start: number; count: number } {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

export interface SliceSpec {
  axes: number[];
  starts: number[];
  ends: number[];
  steps: number[];
}

export function sliceSpec(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): SliceSpec {
  const rank = inputs[0]!.shape.length;
  const starts = valuesOf(node, inputs[1], 'starts');
  const ends = valuesOf(node, inputs[2], 'ends');
  const axes = inputs[3] ? valuesOf(node, inputs[3], 'axes').map((a) => normalizeAxis(a, rank)) : range(starts.length);
  const steps = inputs[4] ? valuesOf(node, inputs[4], 'steps') : new Array<number>(starts.length).fill(1);
  if (steps.some((s) => s === 0)) gap(node, 'a step is 0');
  return { axes, starts, ends, steps };
}

function sliceShape(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[] {
  const shape = [...inputs[0]!.shape];
  const spec = sliceSpec(node, inputs);
  spec.axes.forEach((axis, k) => {
    shape[axis] = sliceAxis(shape[axis]!, spec.starts[k]!, spec.ends[k]!, spec.steps[k]!).count;
  });
  return shape;
}

function resizeShape(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[] {
  const shape = inputs[0]!.shape;
  if (getInts(node, 'axes')) gap(node, 'the axes attribute is not covered');
  const sizes = inputs[3] ? valuesOf(node, inputs[3], 'sizes') : [];
  if (sizes.length > 0) return sizes;
  const scales = valuesOf(node, inputs[2], 'scales');
  if (scales.length !== shape.length) gap(node, 'it has neither sizes nor a scale per axis');
  return shape.map((d, k) => Math.floor(d * scales[k]!));
}

/** Axes a Reduce* node reduces, after ONNX's defaults (all axes, or none with noop_with_empty_axes). */
export function reduceAxes(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[] {
  const rank = inputs[0]!.shape.length;
  const given =
    node.opType === 'ReduceSum' ? (inputs[1] ? valuesOf(node, inputs[1], 'axes') : []) : (getInts(node, 'axes') ?? []);
  if (given.length === 0) return getInt(node, 'noop_with_empty_axes', 0) === 1 ? [] : range(rank);
  return given.map((a) => normalizeAxis(a, rank));
}

function reduceShape(node: NodeProto, inputs: readonly (TensorFacts | undefined)[]): number[] {
  const shape = inputs[0]!.shape;
  const axes = reduceAxes(node, inputs);
  const keep = getInt(node, 'keepdims', 1) === 1;
  return keep ? shape.map((d, k) => (axes.includes(k) ? 1 : d)) : shape.filter((_, k) => !axes.includes(k));
}

/** The start and end attributes of Shape (opset 15), clamped as the operator defines. */
export function shapeBounds(node: NodeProto, rank: number): [number, number] {
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(getInt(node, 'start', 0)), clamp(getInt(node, 'end', rank))];
}
