import { getInt } from '../onnx/attributes.js';
import { analyseGraph } from '../autodiff/analysis.js';
import { requireGraph, runtimeInputs } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { PackError } from '../../../../src/core/packs/PackError.js';

/** A Conv whose weights are computed in the graph and whose group count is the batch it was traced at. */
export interface FusedConv {
  node: string;
  group: number;
}

/**
 * StyleGAN's fused modulated convolution folds the batch into the channels ([1, N·C, H, W]) and
 * convolves with per-sample weights as a grouped Conv, group = N: traced by torch.onnx, N is a
 * constant and the export runs at that batch only. Grouped Convs with static weights (depthwise
 * filters, upfirdn2d) are ordinary; those whose weights depend on the input's values are the fused kind.
 */
export function findFusedConvs(model: ModelProto): FusedConv[] {
  const graph = requireGraph(model);
  const inputs = runtimeInputs(graph);
  const outputs = graph.output.map((o) => o.name ?? '');
  const { valueDependent } = analyseGraph(graph, inputs, outputs, inputs);
  return graph.node
    .filter(
      (node) =>
        (node.opType === 'Conv' || node.opType === 'ConvTranspose') &&
        getInt(node, 'group', 1) > 1 &&
        valueDependent.has(node.input?.[1] ?? ''),
    )
    .map((node) => ({ node: node.name || node.output?.[0] || 'Conv', group: getInt(node, 'group', 1) }));
}

function advice(batch: number | string): string {
  return (
    'the export runs at one batch size only (fused modulated convolutions traced as grouped Conv with group = batch). ' +
    'Re-export unfused (StyleGAN2-ADA: G.synthesis(ws, fused_modconv=False); tools/export/make_pack.py does so unless --fused-batch), ' +
    `or declare "batch": ${batch} in generator to run the pack at that batch`
  );
}

/** Refuses a fused export whose manifest does not declare the batch it runs at; names the node and the batch. */
export function checkFixedBatch(model: ModelProto, declared: number | undefined): void {
  const fused = findFusedConvs(model);
  const batches = [...new Set(fused.map((f) => f.group))];
  if (fused.length === 0) return;
  const example =
    `Conv "${fused[0]!.node}" has group ${fused[0]!.group} with computed weights (${fused.length} such ` +
    `node${fused.length === 1 ? '' : 's'})`;
  if (batches.length > 1) {
    throw new PackError(
      'fixed-batch',
      'generator.file',
      `${example}, other such nodes have groups ${batches.join(', ')}: ${advice('N')}`,
    );
  }
  if (declared !== batches[0]) {
    throw new PackError(
      'fixed-batch',
      'generator.batch',
      `${declared === undefined ? 'is not set' : `is ${declared}`}, but ${example}: ${advice(batches[0]!)}`,
    );
  }
}
