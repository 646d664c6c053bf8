import { toAttribute, type AttributeValue } from './attributes.js';
import { onnx, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { DataType, floatTensorOfType, int64Tensor } from './tensor.js';

export interface NodeOptions {
  /** Number of outputs to name automatically, or explicit output names (must be unused). */
  outputs?: number | readonly string[];
  attributes?: Readonly<Record<string, AttributeValue>>;
  /** Base for the node's (unique) name and its automatic output names. */
  name?: string;
  domain?: string;
}

/** Dimensions: numbers are static, strings symbolic, omitted entries unknown. */
export type Dim = number | string;

export function valueInfo(name: string, elemType: number, dims?: readonly Dim[]): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  });
}

/**
 * Appends nodes, constants, inputs and outputs to a graph, giving every new node and tensor a
 * name no existing one uses, so that generated parts never clash with the model's own names.
 */
export class GraphBuilder {
  private readonly used = new Set<string>();

  constructor(readonly graph: GraphProto) {
    for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) this.used.add(v.name ?? '');
    for (const t of graph.initializer) this.used.add(t.name ?? '');
    for (const n of graph.node) {
      this.used.add(n.name ?? '');
      for (const name of [...(n.input ?? []), ...(n.output ?? [])]) this.used.add(name);
    }
  }

  static empty(name: string): GraphBuilder {
    return new GraphBuilder(onnx.GraphProto.create({ name }));
  }

  uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name) || name === ''; k += 1) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Claims an exact name, failing if the graph already uses it. */
  claim(name: string): string {
    if (this.used.has(name)) throw new Error(`name "${name}" is already used in graph ${this.graph.name}`);
    this.used.add(name);
    return name;
  }

  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    const nodeName = this.uniqueName(options.name ?? opType);
    const outputs =
      typeof options.outputs === 'object'
        ? options.outputs.map((o) => this.claim(o))
        : Array.from({ length: options.outputs ?? 1 }, (_, k) => this.uniqueName(`${nodeName}_output_${k}`));
    const attribute = Object.entries(options.attributes ?? {}).map(([key, value]) => toAttribute(key, value));
    const node: NodeProto = onnx.NodeProto.create({
      name: nodeName,
      opType,
      input: [...inputs],
      output: outputs,
      attribute,
    });
    if (options.domain) node.domain = options.domain;
    this.graph.node.push(node);
    return outputs;
  }

  /** A single-output node; returns the output name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes?: Readonly<Record<string, AttributeValue>>,
    name?: string,
  ): string {
    const [output] = this.node(opType, inputs, { attributes, name });
    return output!;
  }

  /** Adds `tensor` as an initializer under a unique name derived from its own; returns that name. */
  initializer(tensor: TensorProto): string {
    const copy = onnx.TensorProto.create({ ...tensor, name: this.uniqueName(tensor.name || 'const') });
    this.graph.initializer.push(copy);
    return copy.name;
  }

  constantInt64(values: readonly number[], dims: readonly number[] = [values.length], base = 'const_i64'): string {
    return this.initializer(int64Tensor(base, dims, values));
  }

  /** A FLOAT or DOUBLE constant; `dataType` lets it match the precision of the tensors it meets. */
  constantFloat(
    values: readonly number[],
    dims: readonly number[] = [values.length],
    dataType: number = DataType.FLOAT,
    base = 'const_f',
  ): string {
    return this.initializer(floatTensorOfType(base, dataType, dims, values));
  }

  input(name: string, elemType: number, dims?: readonly Dim[]): void {
    this.graph.input.push(valueInfo(this.claim(name), elemType, dims));
  }

  /** Declares an existing tensor as a graph output. */
  output(name: string, elemType: number, dims?: readonly Dim[]): void {
    this.graph.output.push(valueInfo(name, elemType, dims));
  }
}
