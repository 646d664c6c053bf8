import { getInt } from '../onnx/attributes.js';
import type { GraphProto, NodeProto } from '../onnx/proto.js';
import { isFloatType } from '../onnx/tensor.js';

/**
 * Operators whose outputs carry no gradient whatever their inputs: they read only shapes, compare,
 * or select indices. Their outputs are never "active", so the shape subgraphs of exports pass
 * through untouched. (Cast is handled apart: to a float type it does carry a gradient.)
 */
export const NON_DIFFERENTIABLE_OPS: readonly string[] = [
  'Constant',
  'Shape',
  'Size',
  'ConstantOfShape',
  'Range',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'ArgMax',
  'ArgMin',
  'NonZero',
];

const NON_DIFFERENTIABLE = new Set(NON_DIFFERENTIABLE_OPS);

/** Ops whose outputs depend on the *shape* of their inputs only, never on their values. */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

export interface GraphAnalysis {
  /** Tensors whose value depends differentiably on a wrt input. */
  active: ReadonlySet<string>;
  /** Tensors whose value depends on the value (not only the shape) of some runtime input. */
  valueDependent: ReadonlySet<string>;
  /** Nodes a gradient must pass through, in graph (topological) order. */
  path: readonly NodeProto[];
}

/** Which tensors carry gradient from `wrt` to `outputs`, and which nodes lie on that path. */
export function analyseGraph(
  graph: GraphProto,
  wrt: readonly string[],
  outputs: readonly string[],
  runtimeInputs: readonly string[],
): GraphAnalysis {
  const nodes = graph.node as NodeProto[];
  const active = new Set<string>(wrt);
  const valueDependent = new Set<string>(runtimeInputs);
  for (const node of nodes) {
    const inputs = node.input.filter((name) => name !== '');
    if (!SHAPE_ONLY.has(node.opType) && inputs.some((name) => valueDependent.has(name))) {
      for (const out of node.output) if (out) valueDependent.add(out);
    }
    if (propagatesGradient(node) && inputs.some((name) => active.has(name))) {
      for (const out of node.output) if (out) active.add(out);
    }
  }
  const relevant = new Set<string>(outputs);
  const onPath: NodeProto[] = [];
  for (let k = nodes.length - 1; k >= 0; k -= 1) {
    const node = nodes[k]!;
    const feedsOutput = node.output.some((out) => relevant.has(out) && active.has(out));
    if (!feedsOutput) continue;
    for (const name of node.input) if (name) relevant.add(name);
    if (node.input.some((name) => active.has(name))) onPath.push(node);
  }
  return { active, valueDependent, path: onPath.reverse() };
}

function propagatesGradient(node: NodeProto): boolean {
  if (NON_DIFFERENTIABLE.has(node.opType)) return false;
  if (node.opType === 'Cast') return isFloatType(getInt(node, 'to', 0));
  return true;
}
