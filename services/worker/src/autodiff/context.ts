import { getFloat, getInt, getInts, getString } from '../onnx/attributes.js';
import type { AttributeValue } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/graphBuilder.js';
import type { NodeProto } from '../onnx/proto.js';
import { dataTypeName, findInitializer, type DataType, isFloatType, numbersFromTensor } from '../onnx/tensor.js';
import type { GraphAnalysis } from './analysis.js';
import { sameShape } from './shapes.js';
import type { StaticInfo } from './staticInfo.js';

/**
 * What a gradient rule sees of one forward node: its tensors' static shapes and types, constant
 * values of shape-like inputs, and a small vocabulary for emitting the backward nodes.
 */
export class GradientContext {
  private readonly scope: string;

  constructor(
    readonly node: NodeProto,
    private readonly builder: GraphBuilder,
    private readonly info: StaticInfo,
    private readonly analysis: GraphAnalysis,
  ) {
    this.scope = `${node.name || node.opType}/grad`;
  }

  /** Name of input `k`, or '' where the optional input is absent. */
  input(k: number): string {
    return this.node.input[k] ?? '';
  }

  output(k: number): string {
    return this.node.output[k] ?? '';
  }

  hasInput(k: number): boolean {
    return this.input(k) !== '';
  }

  /** Whether input `k` depends differentiably on a wrt input, i.e. needs a gradient. */
  needs(k: number): boolean {
    return this.hasInput(k) && this.analysis.active.has(this.input(k));
  }

  shape(name: string): number[] {
    return this.info.shape(name);
  }

  elemType(name: string): DataType {
    return this.info.elemType(name);
  }

  /** Values of a shape-like input (axes, pads, repeats…), which must not depend on input values. */
  constantNumbers(name: string, what: string): number[] {
    if (this.analysis.valueDependent.has(name)) {
      this.fail(
        `its ${what} (${name}) depends on input values; only constant or shape-derived ${what} can be differentiated`,
      );
    }
    const values = this.info.values(name);
    if (!values) this.fail(`its ${what} (${name}) is not a small constant tensor`);
    return Array.from(values as ArrayLike<number | bigint>, Number);
  }

  /**
   * All values of an initializer (of any size), or undefined for any other tensor: for rules that
   * precompute index tables from constant indices, which may be far larger than the probe keeps.
   */
  initializerNumbers(name: string): number[] | undefined {
    const tensor = findInitializer(this.builder.graph, name);
    return tensor ? numbersFromTensor(tensor) : undefined;
  }

  int(attribute: string, fallback: number): number {
    return getInt(this.node, attribute, fallback);
  }

  float(attribute: string, fallback: number): number {
    return getFloat(this.node, attribute, fallback);
  }

  ints(attribute: string): number[] | undefined {
    return getInts(this.node, attribute);
  }

  string(attribute: string, fallback: string): string {
    return getString(this.node, attribute, fallback);
  }

  fail(reason: string): never {
    throw new Error(`cannot differentiate ${this.node.opType} node "${this.node.name}": ${reason}`);
  }

  op(opType: string, inputs: readonly string[], attributes?: Readonly<Record<string, AttributeValue>>): string {
    return this.builder.op(opType, inputs, attributes, `${this.scope}/${opType}`);
  }

  ops(
    opType: string,
    inputs: readonly string[],
    outputs: number,
    attributes?: Readonly<Record<string, AttributeValue>>,
  ): string[] {
    return this.builder.node(opType, inputs, { outputs, attributes, name: `${this.scope}/${opType}` });
  }

  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.builder.constantInt64(values, dims, `${this.scope}/ints`);
  }

  /** A constant of the floating-point type of tensor `like`. */
  floats(values: readonly number[], dims: readonly number[], like: string): string {
    return this.builder.constantFloat(values, dims, this.floatType(like), `${this.scope}/const`);
  }

  scalar(value: number, like: string): string {
    return this.floats([value], [], like);
  }

  floatType(name: string): DataType {
    const type = this.elemType(name);
    if (!isFloatType(type)) this.fail(`tensor ${name} is ${dataTypeName(type)}, not floating point`);
    return type;
  }

  reshape(x: string, dims: readonly number[]): string {
    return this.op('Reshape', [x, this.int64s(dims)]);
  }

  /** Reshape unless `from` already equals `to`. */
  reshapeIfNeeded(x: string, from: readonly number[], to: readonly number[]): string {
    return sameShape(from, to) ? x : this.reshape(x, to);
  }

  transpose(x: string, perm: readonly number[]): string {
    return perm.every((p, k) => p === k) ? x : this.op('Transpose', [x], { perm });
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.op('ReduceSum', [x, this.int64s(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  expand(x: string, dims: readonly number[]): string {
    return this.op('Expand', [x, this.int64s(dims)]);
  }

  zeros(dims: readonly number[], like: string): string {
    return this.expand(this.scalar(0, like), dims);
  }

  slice(
    x: string,
    starts: readonly number[],
    ends: readonly number[],
    axes: readonly number[],
    steps?: readonly number[],
  ): string {
    const inputs = [x, this.int64s(starts), this.int64s(ends), this.int64s(axes)];
    if (steps) inputs.push(this.int64s(steps));
    return this.op('Slice', inputs);
  }

  /** Zero padding with full-rank begin/end pads (negative values crop). */
  pad(x: string, begin: readonly number[], end: readonly number[]): string {
    if ([...begin, ...end].every((p) => p === 0)) return x;
    return this.op('Pad', [x, this.int64s([...begin, ...end])], { mode: 'constant' });
  }
}
