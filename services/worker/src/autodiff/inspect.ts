import { defaultOpset, requireGraph, runtimeInputs } from '../onnx/model.js';
import type { ModelProto, NodeProto } from '../onnx/proto.js';
import { isFloatType } from '../onnx/tensor.js';
import { analyseGraph, NON_DIFFERENTIABLE_OPS } from './analysis.js';
import { GRADIENTS } from './gradients/index.js';

/** Opsets whose operator definitions the gradient rules are written and tested against. */
export const SUPPORTED_OPSETS = { min: 13, max: 17 } as const;

/** Every operator a model may contain: those with a gradient rule and those that carry none. */
export function supportedOps(): string[] {
  return [...new Set([...Object.keys(GRADIENTS), ...NON_DIFFERENTIABLE_OPS])].sort();
}

export function hasGradientRule(opType: string): boolean {
  return Object.hasOwn(GRADIENTS, opType);
}

export interface OpReport {
  opType: string;
  /** Nodes of this type in the graph. */
  count: number;
  /** Nodes of this type a gradient from the inputs to the outputs passes through. */
  onGradientPath: number;
  hasGradient: boolean;
  /** True when the operator never carries a gradient (shape and comparison operators). */
  nonDifferentiable: boolean;
  /** False only when some node of this type lies on the gradient path without a rule. */
  supported: boolean;
}

export interface OpsInspection {
  opset: number;
  opsetSupported: boolean;
  ops: OpReport[];
  /** Operator types that would make `differentiate` fail, sorted. */
  unsupported: string[];
}

/**
 * Which operators a model uses and whether its gradient can be built: the gradient path runs
 * from every floating-point input to every output, as for the composite's VJP.
 */
export function inspectOps(model: ModelProto): OpsInspection {
  const graph = requireGraph(model);
  const inputs = runtimeInputs(graph);
  const floatInputs = inputs.filter((name) =>
    isFloatType(graph.input.find((i) => i.name === name)?.type?.tensorType?.elemType ?? 0),
  );
  const outputs = graph.output.map((o) => o.name ?? '');
  const { path } = analyseGraph(graph, floatInputs, outputs, inputs);
  const onPath = new Set<NodeProto>(path);
  const reports = new Map<string, OpReport>();
  const nonDifferentiable = new Set(NON_DIFFERENTIABLE_OPS);
  for (const node of graph.node as NodeProto[]) {
    const opType = qualifiedOpType(node);
    const report = reports.get(opType) ?? {
      opType,
      count: 0,
      onGradientPath: 0,
      hasGradient: isDefaultDomain(node) && hasGradientRule(node.opType),
      nonDifferentiable: isDefaultDomain(node) && nonDifferentiable.has(node.opType),
      supported: true,
    };
    report.count += 1;
    if (onPath.has(node)) {
      report.onGradientPath += 1;
      if (!report.hasGradient) report.supported = false;
    }
    reports.set(opType, report);
  }
  const ops = [...reports.values()].sort((a, b) => a.opType.localeCompare(b.opType));
  const opset = defaultOpset(model);
  return {
    opset,
    opsetSupported: opset >= SUPPORTED_OPSETS.min && opset <= SUPPORTED_OPSETS.max,
    ops,
    unsupported: ops.filter((r) => !r.supported).map((r) => r.opType),
  };
}

export function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

/** The op type, prefixed with its domain when that is not the default one. */
export function qualifiedOpType(node: NodeProto): string {
  return isDefaultDomain(node) ? node.opType : `${node.domain}.${node.opType}`;
}
