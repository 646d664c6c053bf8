import { cloneModel, defaultOpset, requireGraph, runtimeInputs } from './model.js';
import { onnx, toNumber, type GraphProto, type IGraphProto, type IValueInfoProto, type ModelProto } from './proto.js';

export interface ComposeOptions {
  /** Pairs [output of `first`, input of `second`]: the second model reads that input from the first's output. */
  connect: ReadonlyArray<readonly [string, string]>;
  /** Prepended to every name of each graph (tensors, nodes, initializers) so the two cannot clash. */
  prefixes: { first: string; second: string };
  /** Outputs of `first` to keep as outputs of the composite, besides all outputs of `second`. */
  keepOutputs?: readonly string[];
  graphName?: string;
}

/**
 * Between opsets 13 and 17 no standard operator changed the meaning of an existing attribute or
 * input (changes added types and optional attributes), so graphs of those versions can share the
 * highest of their versions. Outside that range a mismatch is refused rather than converted.
 */
const COMPATIBLE_OPSETS = { min: 13, max: 17 };

/** Joins two models into one graph: `first`'s outputs feed `second`'s inputs as `connect` says. */
export function composeModels(first: ModelProto, second: ModelProto, options: ComposeOptions): ModelProto {
  const { prefixes } = options;
  const a = requireGraph(cloneModel(first));
  const b = requireGraph(cloneModel(second));
  const aOutputs = new Map(a.output.map((o) => [o.name ?? '', o]));
  const bInputs = new Set(runtimeInputs(b));
  const connectedInputs = new Map<string, string>();
  for (const [out, inp] of options.connect) {
    const producer = aOutputs.get(out);
    if (!producer)
      throw new Error(`compose: the first model has no output "${out}" (outputs: ${[...aOutputs.keys()].join(', ')})`);
    if (!bInputs.has(inp))
      throw new Error(`compose: the second model has no input "${inp}" (inputs: ${[...bInputs].join(', ')})`);
    const consumer = b.input.find((i) => i.name === inp)!;
    checkCompatible(producer, consumer);
    connectedInputs.set(inp, prefixes.first + out);
  }

  renameGraph(a, (name) => prefixes.first + name);
  renameGraph(b, (name) => connectedInputs.get(name) ?? prefixes.second + name);

  const graph = onnx.GraphProto.create({
    name: options.graphName ?? `${a.name}+${b.name}`,
    node: [...a.node, ...b.node],
    initializer: [...a.initializer, ...b.initializer],
    input: [...a.input, ...b.input.filter((i) => !connectedIntoB(i.name ?? '', connectedInputs))],
    output: [...(options.keepOutputs ?? []).map((name) => keptOutput(a, prefixes.first + name)), ...b.output],
    valueInfo: [
      ...a.valueInfo,
      ...b.valueInfo,
      ...a.output.filter((o) => !(options.keepOutputs ?? []).some((k) => prefixes.first + k === o.name)),
    ],
  });
  checkUniqueNames(graph);
  return onnx.ModelProto.create({
    irVersion: Math.max(toNumber(first.irVersion), toNumber(second.irVersion)),
    producerName: 'brownian',
    opsetImport: mergeOpsets(first, second),
    graph,
  });
}

function connectedIntoB(renamedInput: string, connected: Map<string, string>): boolean {
  return [...connected.values()].includes(renamedInput);
}

function keptOutput(graph: GraphProto, name: string): IValueInfoProto {
  const output = graph.output.find((o) => o.name === name);
  if (!output) throw new Error(`compose: keepOutputs names "${name}", which the first model does not output`);
  return output;
}

function checkCompatible(producer: IValueInfoProto, consumer: IValueInfoProto): void {
  const p = producer.type?.tensorType;
  const c = consumer.type?.tensorType;
  if (p?.elemType && c?.elemType && p.elemType !== c.elemType) {
    throw new Error(
      `compose: ${producer.name} has element type ${p.elemType} but ${consumer.name} expects ${c.elemType}`,
    );
  }
  const pd = p?.shape?.dim ?? [];
  const cd = c?.shape?.dim ?? [];
  if (p?.shape && c?.shape && pd.length !== cd.length) {
    throw new Error(`compose: ${producer.name} has rank ${pd.length} but ${consumer.name} expects rank ${cd.length}`);
  }
  pd.forEach((d, k) => {
    const pv = toNumber(d.dimValue);
    const cv = toNumber(cd[k]?.dimValue);
    if (pv > 0 && cv > 0 && pv !== cv) {
      throw new Error(`compose: dimension ${k} of ${producer.name} is ${pv} but ${consumer.name} expects ${cv}`);
    }
  });
}

/** Renames every tensor and node name, also inside subgraph attributes (If/Loop bodies). */
function renameGraph(graph: IGraphProto, rename: (name: string) => string): void {
  const r = (name: string | null | undefined): string => (name ? rename(name) : '');
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) v.name = r(v.name);
  for (const t of graph.initializer ?? []) t.name = r(t.name);
  for (const node of graph.node ?? []) {
    node.name = r(node.name);
    node.input = (node.input ?? []).map(r);
    node.output = (node.output ?? []).map(r);
    for (const attr of node.attribute ?? []) {
      if (attr.g) renameGraph(attr.g, rename);
      for (const g of attr.graphs ?? []) renameGraph(g, rename);
    }
  }
}

function checkUniqueNames(graph: GraphProto): void {
  const produced = new Set<string>();
  const claim = (name: string): void => {
    if (!name) return;
    if (produced.has(name)) throw new Error(`compose: name "${name}" is defined twice; choose different prefixes`);
    produced.add(name);
  };
  for (const i of graph.input) claim(i.name ?? '');
  for (const t of graph.initializer) if (!graph.input.some((i) => i.name === t.name)) claim(t.name ?? '');
  for (const n of graph.node) for (const o of n.output ?? []) claim(o);
}

function mergeOpsets(first: ModelProto, second: ModelProto): ModelProto['opsetImport'] {
  const versions = new Map<string, number>();
  for (const model of [first, second]) {
    for (const entry of model.opsetImport) {
      const domain = entry.domain === 'ai.onnx' ? '' : (entry.domain ?? '');
      const version = toNumber(entry.version);
      const previous = versions.get(domain);
      if (previous === undefined || previous === version) {
        versions.set(domain, version);
      } else if (domain === '' && inCompatibleRange(previous) && inCompatibleRange(version)) {
        versions.set(domain, Math.max(previous, version));
      } else {
        throw new Error(
          `compose: the models import ${domain || 'ai.onnx'} opsets ${defaultOpsetOrVersion(first, domain)} and ` +
            `${defaultOpsetOrVersion(second, domain)}; ` +
            `re-export them with one opset (versions ${COMPATIBLE_OPSETS.min}..${COMPATIBLE_OPSETS.max} may be mixed)`,
        );
      }
    }
  }
  return [...versions].map(([domain, version]) => onnx.OperatorSetIdProto.create({ domain, version }));
}

function inCompatibleRange(version: number): boolean {
  return version >= COMPATIBLE_OPSETS.min && version <= COMPATIBLE_OPSETS.max;
}

function defaultOpsetOrVersion(model: ModelProto, domain: string): number {
  if (domain === '') return defaultOpset(model);
  return toNumber(model.opsetImport.find((o) => o.domain === domain)?.version);
}
