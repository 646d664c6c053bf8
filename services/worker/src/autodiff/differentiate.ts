import { GraphBuilder, valueInfo } from '../onnx/graphBuilder.js';
import { cloneModel, defaultOpset, requireGraph, runtimeInputs } from '../onnx/model.js';
import { toNumber, type GraphProto, type ModelProto } from '../onnx/proto.js';
import { dataTypeName, isFloatType } from '../onnx/tensor.js';
import { analyseGraph, type GraphAnalysis } from './analysis.js';
import { GradientContext } from './context.js';
import { UnsupportedOperatorError } from './errors.js';
import { GRADIENTS } from './gradients/index.js';
import { isDefaultDomain, qualifiedOpType, SUPPORTED_OPSETS, supportedOps } from './inspect.js';
import { probeStaticInfo, staticInfo, type StaticInfo } from './staticInfo.js';

export interface DifferentiateOptions {
  /** Graph inputs to differentiate with respect to (floating point). */
  wrt: readonly string[];
  /** Graph outputs whose vector-Jacobian products are wanted. */
  outputs: readonly string[];
  /** Size of every symbolic leading (batch) dimension of the inputs. */
  batch?: number;
  /** Complete static shapes for inputs, for symbolic dimensions other than the batch. */
  inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Take every shape from a probing forward run even where shape inference covers the graph (a benchmark's baseline). */
  probe?: boolean;
}

/** Name of the upstream-gradient input for output `name` and of the gradient output for input `name`. */
export function gradientName(name: string): string {
  return `grad_${name}`;
}

/**
 * Reverse-mode differentiation of an ONNX graph into ONNX: the returned model computes the
 * original outputs and, from one extra input `grad_<o>` per requested output o, the
 * vector-Jacobian products `grad_<x>` = Σ_o (∂o/∂x)ᵀ · grad_<o> for each x in `wrt`, all in one
 * session. Shapes are fixed (the batch included): one model per batch size, or differentiateAnyBatch
 * (anyBatch.ts) for one model that serves every batch size.
 */
export async function differentiate(model: ModelProto, options: DifferentiateOptions): Promise<ModelProto> {
  const result = cloneModel(model);
  const graph = requireGraph(result);
  const opset = defaultOpset(result);
  if (opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    throw new Error(
      `model uses opset ${opset}; differentiation supports opsets ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max}`,
    );
  }
  const inputs = runtimeInputs(graph);
  checkRequest(graph, inputs, options);
  const analysis = analyseGraph(graph, options.wrt, options.outputs, inputs);
  checkRules(analysis);

  const inputShapes = resolveInputShapes(graph, inputs, options);
  const info = options.probe ? await probeStaticInfo(result, inputShapes) : await staticInfo(result, inputShapes);
  fixInterfaceShapes(graph, info);

  const builder = new GraphBuilder(graph);
  const gradients = new Map<string, string[]>();
  const add = (tensor: string, gradient: string): void => {
    gradients.set(tensor, [...(gradients.get(tensor) ?? []), gradient]);
  };
  const total = (tensor: string): string | undefined => {
    const parts = gradients.get(tensor);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length === 1) return parts[0];
    const [sum] = builder.node('Sum', parts, { name: `${tensor}/grad/Sum` });
    gradients.set(tensor, [sum!]);
    return sum;
  };

  for (const output of options.outputs) {
    builder.input(gradientName(output), info.elemType(output), info.shape(output));
    add(output, gradientName(output));
  }
  for (const node of [...analysis.path].reverse()) {
    const upstream = node.output.map((name) => (name && analysis.active.has(name) ? total(name) : undefined));
    if (upstream.every((g) => g === undefined)) continue;
    const ctx = new GradientContext(node, builder, info, analysis);
    const produced = GRADIENTS[node.opType]!.backward(ctx, upstream);
    node.input.forEach((name, k) => {
      if (!ctx.needs(k)) return;
      add(name, produced[k] ?? ctx.fail(`its rule produced no gradient for input ${k} (${name})`));
    });
  }
  for (const input of options.wrt) {
    const name = gradientName(input);
    const gradient = total(input);
    if (gradient === undefined) {
      // No requested output depends on this input: its gradient is exactly zero.
      const zeros = builder.constantFloat([0], [], info.elemType(input), `${input}/grad/zero`);
      const shape = builder.constantInt64(info.shape(input), [info.shape(input).length], `${input}/grad/shape`);
      builder.node('Expand', [zeros, shape], { outputs: [name], name: `${input}/grad/Expand` });
    } else {
      builder.node('Identity', [gradient], { outputs: [name], name: `${input}/grad/Identity` });
    }
    builder.output(name, info.elemType(input), info.shape(input));
  }
  return result;
}

function checkRequest(graph: GraphProto, inputs: readonly string[], options: DifferentiateOptions): void {
  if (options.wrt.length === 0) throw new Error('differentiate: give at least one input in wrt');
  if (options.outputs.length === 0) throw new Error('differentiate: give at least one output');
  for (const name of options.wrt) {
    if (!inputs.includes(name))
      throw new Error(`differentiate: "${name}" is not an input of the graph (inputs: ${inputs.join(', ')})`);
    const type = graph.input.find((i) => i.name === name)?.type?.tensorType?.elemType ?? 0;
    if (!isFloatType(type))
      throw new Error(`differentiate: input "${name}" is ${dataTypeName(type)}, not floating point`);
  }
  const outputs = graph.output.map((o) => o.name ?? '');
  for (const name of options.outputs) {
    if (!outputs.includes(name))
      throw new Error(`differentiate: "${name}" is not an output of the graph (outputs: ${outputs.join(', ')})`);
  }
}

/** Fails before any work when a node on the gradient path has no rule or a non-differentiable active input. */
function checkRules(analysis: GraphAnalysis): void {
  for (const node of analysis.path) {
    const rule = isDefaultDomain(node) ? GRADIENTS[node.opType] : undefined;
    if (!rule) throw new UnsupportedOperatorError(qualifiedOpType(node), node.name, supportedOps());
    if (rule.differentiableInputs === 'all') continue;
    node.input.forEach((name, k) => {
      if (name && analysis.active.has(name) && !(rule.differentiableInputs as readonly number[]).includes(k)) {
        throw new Error(
          `cannot differentiate ${node.opType} node "${node.name}": its input ${k} (${name}) depends on a wrt input, ` +
            `but only inputs ${(rule.differentiableInputs as readonly number[]).join(', ')} of ${node.opType} are differentiable`,
        );
      }
    });
  }
}

function resolveInputShapes(
  graph: GraphProto,
  inputs: readonly string[],
  options: DifferentiateOptions,
): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const name of inputs) {
    const declared = graph.input.find((i) => i.name === name)?.type?.tensorType?.shape?.dim ?? [];
    const given = options.inputShapes?.[name];
    if (given) {
      declared.forEach((d, k) => {
        const value = toNumber(d.dimValue);
        if (value > 0 && value !== given[k])
          throw new Error(`input ${name}: given dimension ${k} = ${given[k]} but the model declares ${value}`);
      });
      shapes.set(name, [...given]);
      continue;
    }
    shapes.set(
      name,
      declared.map((d, k) => {
        const value = toNumber(d.dimValue);
        if (value > 0) return value;
        if (k === 0 && options.batch !== undefined) return options.batch;
        throw new Error(
          `input ${name} has a symbolic dimension ${k} (${d.dimParam || '?'}); ` +
            (k === 0 ? 'pass batch' : 'pass its full shape in inputShapes'),
        );
      }),
    );
  }
  return shapes;
}

/** The differentiated model is specific to its input shapes: declare them, and the outputs', statically. */
function fixInterfaceShapes(graph: GraphProto, info: StaticInfo): void {
  const initializers = new Set(graph.initializer.map((t) => t.name));
  graph.input = graph.input.map((i) =>
    initializers.has(i.name) ? i : valueInfo(i.name ?? '', info.elemType(i.name ?? ''), info.shape(i.name ?? '')),
  );
  graph.output = graph.output.map((o) =>
    valueInfo(o.name ?? '', info.elemType(o.name ?? ''), info.shape(o.name ?? '')),
  );
}
