import ort from 'onnxruntime-node';
import { cloneModel, encodeModel, requireGraph, runtimeInputs } from '../onnx/model.js';
import { onnx, toNumber, type ModelProto, type TensorProto } from '../onnx/proto.js';
import { DataType, numbersFromTensor } from '../onnx/tensor.js';
import { InferenceGap, inferStaticInfo, MAX_KEPT_VALUES } from './shapeInference.js';

/** Static facts about every tensor of a graph at one fixed set of input shapes. */
export interface StaticInfo {
  shape(name: string): number[];
  elemType(name: string): DataType;
  /** Values computed by the probing run; only meaningful for tensors that do not depend on input values. */
  values(name: string): ArrayLike<number | bigint> | undefined;
}

const ORT_TO_ONNX: Readonly<Record<string, number>> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  float16: DataType.FLOAT16,
  int64: DataType.INT64,
  int32: DataType.INT32,
  int16: DataType.INT16,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  uint16: DataType.UINT16,
  uint32: DataType.UINT32,
  uint64: DataType.UINT64,
  bool: DataType.BOOL,
  string: DataType.STRING,
};

/**
 * Static facts at fixed input shapes: inferred in TypeScript when every node is covered (no forward
 * run, so the cost does not grow with the model's FLOPs or the batch), else from the probing run.
 */
export async function staticInfo(
  model: ModelProto,
  inputShapes: ReadonlyMap<string, readonly number[]>,
): Promise<StaticInfo> {
  try {
    return inferStaticInfo(model, inputShapes);
  } catch (error) {
    if (!(error instanceof InferenceGap)) throw error;
    return probeStaticInfo(model, inputShapes);
  }
}

interface Entry {
  shape: number[];
  elemType: DataType;
  values?: ArrayLike<number | bigint>;
}

/**
 * Activations are dropped right after the probe (only values of at most MAX_KEPT_VALUES elements
 * are kept) so that the probe of a large model at a large batch does not hold them all.
 * Shapes come from a probing forward run with every intermediate exposed as an output: ONNX
 * Runtime's own kernels decide them, so no hand-written shape inference can disagree with the
 * session that will later run the gradient graph. Inputs are zeros: anything that depends on input
 * values is never read from the probe (see `valueDependent` in analysis.ts).
 */
export async function probeStaticInfo(
  model: ModelProto,
  inputShapes: ReadonlyMap<string, readonly number[]>,
): Promise<StaticInfo> {
  const probe = cloneModel(model);
  const graph = requireGraph(probe);
  const declared = new Set(graph.output.map((o) => o.name));
  for (const node of graph.node) {
    for (const name of node.output ?? []) {
      if (name && !declared.has(name)) {
        graph.output.push(onnx.ValueInfoProto.create({ name }));
        declared.add(name);
      }
    }
  }
  const feeds: Record<string, ort.Tensor> = {};
  const entries = new Map<string, Entry>();
  for (const name of runtimeInputs(graph)) {
    const shape = inputShapes.get(name);
    if (!shape) throw new Error(`no static shape for input ${name}`);
    const elemType = graph.input.find((i) => i.name === name)?.type?.tensorType?.elemType ?? DataType.FLOAT;
    feeds[name] = zeros(elemType, shape, name);
    entries.set(name, { shape: [...shape], elemType });
  }
  const initializers = new Map<string, TensorProto>();
  for (const init of graph.initializer as TensorProto[]) {
    initializers.set(init.name, init);
    entries.set(init.name, { shape: init.dims.map(toNumber), elemType: init.dataType });
  }
  const session = await ort.InferenceSession.create(encodeModel(probe), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
    logSeverityLevel: 3,
  });
  try {
    const results = await session.run(feeds);
    for (const [name, tensor] of Object.entries(results)) {
      const elemType = ORT_TO_ONNX[tensor.type];
      if (elemType === undefined) throw new Error(`tensor ${name} has element type ${tensor.type}`);
      entries.set(name, {
        shape: [...tensor.dims],
        elemType,
        values:
          tensor.type === 'string' || tensor.size > MAX_KEPT_VALUES
            ? undefined
            : (tensor.data as ArrayLike<number | bigint>),
      });
    }
  } finally {
    await session.release();
  }
  const get = (name: string): Entry => {
    const entry = entries.get(name);
    if (!entry) throw new Error(`no static information about tensor "${name}"`);
    return entry;
  };
  return {
    shape: (name) => [...get(name).shape],
    elemType: (name) => get(name).elemType,
    values: (name) => {
      const entry = get(name);
      const init = initializers.get(name);
      if (entry.values === undefined && init && entry.shape.reduce((a, b) => a * b, 1) <= MAX_KEPT_VALUES) {
        entry.values = numbersFromTensor(init);
      }
      return entry.values;
    },
  };
}

function zeros(elemType: DataType, shape: readonly number[], name: string): ort.Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  switch (elemType) {
    case DataType.FLOAT:
      return new ort.Tensor('float32', new Float32Array(count), [...shape]);
    case DataType.DOUBLE:
      return new ort.Tensor('float64', new Float64Array(count), [...shape]);
    case DataType.INT64:
      return new ort.Tensor('int64', new BigInt64Array(count), [...shape]);
    case DataType.INT32:
      return new ort.Tensor('int32', new Int32Array(count), [...shape]);
    case DataType.BOOL:
      return new ort.Tensor('bool', new Uint8Array(count), [...shape]);
    default:
      throw new Error(`input ${name} has ONNX element type ${elemType}, which the probe cannot feed`);
  }
}
