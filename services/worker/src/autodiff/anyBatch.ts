import { GraphBuilder } from '../onnx/graphBuilder.js';
import { requireGraph } from '../onnx/model.js';
import {
  onnx,
  toNumber,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../onnx/proto.js';
import { DataType, dataTypeOf, int64Tensor, isFloatType, numbersFromTensor } from '../onnx/tensor.js';
import { MAX_KEPT_VALUES } from './shapeInference.js';
import { product } from './shapes.js';
import { differentiate, type DifferentiateOptions } from './differentiate.js';
import { BatchDependentGradientError } from './errors.js';

/**
 * Batches the gradient graph is built at to find what depends on the batch: two to fit each batch-dependent
 * shape entry as a·batch + c, a third to confirm the fit. Odd primes, so that the batch is unlikely to equal
 * another dimension (3 channels, 5 landmarks, 7×7 feature maps) and so change which nodes a rule emits.
 */
const PROBE_BATCHES = [11, 13, 17] as const;

/** The symbolic name of the batch dimension in the graph's declared inputs and outputs. */
export const BATCH_DIM = 'batch';

/** An int64 shape constant the rules computed for one batch, as the entries a and c of a·batch + c. */
interface Lifted {
  name: string;
  dims: number[];
  slope: number[];
  offset: number[];
}

/** What differs between the builds: constants to compute at run time, and the declared interface dims. */
interface Fit {
  lifted: Lifted[];
  declared: ReadonlyMap<string, (number | string)[]>;
}

/**
 * The gradient graph of `differentiate` for every batch size at once: one onnxruntime session serves them
 * all, so the per-session copies onnxruntime's optimiser derives from the weights exist once.
 *
 * Gradient rules compute shapes (Reshape targets, Expand shapes, Slice bounds) statically from inferred
 * shapes. This builds the graph at three batch sizes and requires them to be the same graph up to those
 * constants: each int64 constant whose entries differ is replaced by nodes computing a·batch + c from the
 * batch read at run time from the shape of the first wrt input, and declared dimensions equal to the batch
 * become the symbolic `batch`. Anything else that differs (a float constant, an attribute, a node, a
 * constant's size) throws BatchDependentGradientError, naming it; callers then build one graph per batch.
 */
export async function differentiateAnyBatch(
  model: ModelProto,
  options: Omit<DifferentiateOptions, 'batch'>,
): Promise<ModelProto> {
  const { light, weights } = withoutWeights(model);
  try {
    return withWeights(await buildAnyBatch(light, options), weights);
  } catch (error) {
    // Only a probing run (a graph shape inference does not cover) needs the weights' values.
    if (error instanceof BatchDependentGradientError || weights.size === 0) throw error;
    return buildAnyBatch(model, options);
  }
}

async function buildAnyBatch(model: ModelProto, options: Omit<DifferentiateOptions, 'batch'>): Promise<ModelProto> {
  const [first, second, check] = PROBE_BATCHES;
  const base = await differentiate(model, { ...options, batch: first });
  const fit = fitConstants(requireGraph(base), requireGraph(await differentiate(model, { ...options, batch: second })));
  confirmFit(requireGraph(base), requireGraph(await differentiate(model, { ...options, batch: check })), fit);
  liftGraph(requireGraph(base), fit, options.wrt[0]!);
  return base;
}

/**
 * The model with its floating-point initializers too large for shape inference to read (weights) reduced
 * to name, type and dims, so that the three builds neither copy nor compare them; and those initializers.
 */
function withoutWeights(model: ModelProto): { light: ModelProto; weights: Map<string, TensorProto> } {
  const graph = requireGraph(model);
  const weights = new Map<string, TensorProto>();
  const initializer = tensors(graph).map((tensor) => {
    if (!isFloatType(tensor.dataType) || product(tensor.dims.map(toNumber)) <= MAX_KEPT_VALUES) return tensor;
    weights.set(tensor.name, tensor);
    return onnx.TensorProto.create({ name: tensor.name, dataType: tensor.dataType, dims: tensor.dims });
  });
  const light = onnx.ModelProto.create({ ...model, graph: onnx.GraphProto.create({ ...graph, initializer }) });
  return { light, weights };
}

/** The gradient graph of the light model with the weights put back: the caller's tensors, not copies. */
function withWeights(gradient: ModelProto, weights: ReadonlyMap<string, TensorProto>): ModelProto {
  const graph = requireGraph(gradient);
  graph.initializer = tensors(graph).map((tensor) => weights.get(tensor.name) ?? tensor);
  return gradient;
}

const fail = (what: string): never => {
  throw new BatchDependentGradientError(what);
};

/** The int64 constants of `a` (built at PROBE_BATCHES[0]) that differ in `b` (at [1]), fitted as a·batch + c. */
function fitConstants(a: GraphProto, b: GraphProto): Fit {
  const [first, second] = PROBE_BATCHES;
  const declared = compareStructure(a, b, second);
  const lifted: Lifted[] = [];
  tensors(a).forEach((ta, k) => {
    const tb = tensors(b)[k]!;
    if (sameTensor(ta, tb)) return;
    const name = ta.name ?? '';
    if (dataTypeOf(ta) !== DataType.INT64) fail(`constant ${name} (not int64) depends on the batch`);
    const va = numbersFromTensor(ta);
    const vb = numbersFromTensor(tb);
    const slope = va.map((v, i) => (vb[i]! - v) / (second - first));
    if (!slope.every(Number.isInteger))
      fail(`constant ${name} is not an integer multiple of the batch plus a constant`);
    lifted.push({ name, dims: ta.dims.map(toNumber), slope, offset: va.map((v, i) => v - slope[i]! * first) });
  });
  return { lifted, declared };
}

/** The graph at a third batch must be the fitted one: same structure, each lifted constant on its line. */
function confirmFit(a: GraphProto, c: GraphProto, { lifted }: Fit): void {
  const third = PROBE_BATCHES[2];
  compareStructure(a, c, third);
  const byName = new Map(lifted.map((l) => [l.name, l]));
  tensors(a).forEach((ta, k) => {
    const tc = tensors(c)[k]!;
    const line = byName.get(ta.name ?? '');
    if (!line) {
      if (!sameTensor(ta, tc)) fail(`constant ${ta.name} depends on the batch`);
      return;
    }
    const values = numbersFromTensor(tc);
    if (!values.every((v, i) => v === line.slope[i]! * third + line.offset[i]!))
      fail(`constant ${line.name} is not linear in the batch`);
  });
}

/** Same nodes in the same order with the same attributes, same initializer names, types and sizes, same interface names. */
function compareStructure(a: GraphProto, b: GraphProto, batchB: number): Map<string, (number | string)[]> {
  if (a.node.length !== b.node.length) fail(`the graph has ${a.node.length} or ${b.node.length} nodes`);
  nodes(a).forEach((na, k) => {
    const nb = nodes(b)[k]!;
    const same =
      na.opType === nb.opType &&
      (na.domain ?? '') === (nb.domain ?? '') &&
      sameStrings(na.input, nb.input) &&
      sameStrings(na.output, nb.output) &&
      Buffer.from(encodeAttributes(na.attribute)).equals(Buffer.from(encodeAttributes(nb.attribute)));
    if (!same) fail(`node ${na.name} (${na.opType}) differs`);
  });
  if (a.initializer.length !== b.initializer.length) fail('the number of constants differs');
  tensors(a).forEach((ta, k) => {
    const tb = tensors(b)[k]!;
    if (ta.name !== tb.name || ta.dataType !== tb.dataType || !sameStrings(ta.dims.map(String), tb.dims.map(String)))
      fail(`constant ${ta.name} has a batch-dependent size`);
  });
  const declared = new Map<string, (number | string)[]>();
  for (const [x, y] of [
    [values(a.input), values(b.input)],
    [values(a.output), values(b.output)],
  ] as const) {
    if (
      !sameStrings(
        x.map((v) => v.name ?? ''),
        y.map((v) => v.name ?? ''),
      )
    )
      fail('the inputs or outputs differ');
    x.forEach((v, k) => declared.set(v.name ?? '', interfaceDims(v, y[k]!, PROBE_BATCHES[0], batchB)));
  }
  return declared;
}

/** Declared dims of one input or output at two batches: equal, or the batch itself (then symbolic). */
function interfaceDims(a: ValueInfoProto, b: ValueInfoProto, batchA: number, batchB: number): (number | string)[] {
  const da = a.type?.tensorType?.shape?.dim ?? [];
  const db = b.type?.tensorType?.shape?.dim ?? [];
  if (da.length !== db.length) fail(`${a.name} has a batch-dependent rank`);
  return da.map((d, k) => {
    const x = d.dimParam || toNumber(d.dimValue);
    const y = db[k]!.dimParam || toNumber(db[k]!.dimValue);
    if (x === y) return x;
    if (x === batchA && y === batchB) return BATCH_DIM;
    return fail(`dimension ${k} of ${a.name} depends on the batch other than as the batch itself`);
  });
}

/** Replaces each lifted constant by a·batch + c computed from the shape of `source`, and declares the batch symbolic. */
function liftGraph(graph: GraphProto, { lifted, declared }: Fit, source: string): void {
  for (const v of values([...graph.input, ...graph.output])) {
    const shape = v.type?.tensorType?.shape;
    const dims = declared.get(v.name ?? '');
    if (shape && dims) shape.dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  }
  if (declared.get(source)?.[0] !== BATCH_DIM) fail(`input ${source} does not carry the batch as its dimension 0`);
  if (lifted.length === 0) return;

  const builder = new GraphBuilder(graph);
  const kept = graph.node;
  graph.node = [];
  const shape = builder.op('Shape', [source], undefined, 'batch/Shape');
  const batch = builder.op(
    'Gather',
    [shape, builder.constantInt64([0], [], 'batch/axis')],
    { axis: 0 },
    'batch/Gather',
  );
  const names = new Set(lifted.map((l) => l.name));
  graph.initializer = graph.initializer.filter((t) => !names.has(t.name ?? ''));
  for (const line of lifted) {
    const slope = builder.initializer(int64Tensor(`${line.name}/slope`, line.dims, line.slope));
    const offset = builder.initializer(int64Tensor(`${line.name}/offset`, line.dims, line.offset));
    const scaled = builder.op('Mul', [batch, slope], undefined, `${line.name}/Mul`);
    graph.node.push(
      onnx.NodeProto.create({
        name: builder.uniqueName(`${line.name}/Add`),
        opType: 'Add',
        input: [scaled, offset],
        output: [line.name],
      }),
    );
  }
  graph.node.push(...kept);
}

/** Equal contents; weights (raw data) compared in place, without encoding them. */
function sameTensor(a: TensorProto, b: TensorProto): boolean {
  if (a.rawData?.length && b.rawData?.length) return bytes(a.rawData).equals(bytes(b.rawData));
  return Buffer.from(onnx.TensorProto.encode(a).finish()).equals(Buffer.from(onnx.TensorProto.encode(b).finish()));
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, k) => x === b[k]);
}

function encodeAttributes(attributes: NodeProto['attribute']): Uint8Array {
  return onnx.NodeProto.encode(onnx.NodeProto.create({ attribute: attributes })).finish();
}

const bytes = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.length);
const nodes = (graph: GraphProto): NodeProto[] => graph.node as NodeProto[];
const tensors = (graph: GraphProto): TensorProto[] => graph.initializer as TensorProto[];
const values = (list: GraphProto['input']): ValueInfoProto[] => list as ValueInfoProto[];
