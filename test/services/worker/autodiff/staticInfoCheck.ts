import { expect } from 'vitest';
import { analyseGraph } from '../../../../services/worker/src/autodiff/analysis.js';
import { InferenceGap, inferStaticInfo } from '../../../../services/worker/src/autodiff/shapeInference.js';
import { probeStaticInfo } from '../../../../services/worker/src/autodiff/staticInfo.js';
import { requireGraph, runtimeInputs } from '../../../../services/worker/src/onnx/model.js';
import type { ModelProto } from '../../../../services/worker/src/onnx/proto.js';
import type { LoadedPack } from '../../../../services/worker/src/pack/loadPack.js';
import { composePack } from '../../../../services/worker/src/pack/PackModel.js';

/**
 * The TypeScript shape inference against the probing run (ONNX Runtime's own kernels) on one model:
 * every node output's shape and element type, and the values of every small tensor that depends on no
 * input's values. Returns false when the inference gives way to the probe (InferenceGap) instead.
 */
export async function expectInferenceMatchesProbe(
  model: ModelProto,
  inputShapes: ReadonlyMap<string, readonly number[]>,
): Promise<boolean> {
  let inferred;
  try {
    inferred = inferStaticInfo(model, inputShapes);
  } catch (error) {
    if (error instanceof InferenceGap) return false;
    throw error;
  }
  const probed = await probeStaticInfo(model, inputShapes);
  const graph = requireGraph(model);
  const inputs = runtimeInputs(graph);
  const { valueDependent } = analyseGraph(graph, [], [], inputs);
  for (const node of graph.node) {
    for (const name of node.output ?? []) {
      if (!name) continue;
      const where = `${node.opType} node "${node.name}" output ${name}`;
      expect(inferred.shape(name), where).toEqual(probed.shape(name));
      expect(inferred.elemType(name), where).toBe(probed.elemType(name));
      if (valueDependent.has(name)) continue;
      const expected = probed.values(name);
      const actual = inferred.values(name);
      expect(actual === undefined, `${where}: values known`).toBe(expected === undefined);
      if (!expected || !actual) continue;
      const want = Array.from(expected, Number);
      Array.from(actual, Number).forEach((v, k) => {
        expect(Math.abs(v - want[k]!), `${where}[${k}]`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[k]!)));
      });
    }
  }
  return true;
}

/** The same on a pack's composite w → embedding at `batch` (a fixed-batch export's own), which the inference must cover. */
export async function expectPackInferenceMatchesProbe(pack: LoadedPack, batch: number): Promise<void> {
  const { model, input } = composePack(pack);
  const shape = [pack.manifest.generator.batch ?? batch, pack.manifest.latentDim];
  expect(await expectInferenceMatchesProbe(model, new Map([[input, shape]]))).toBe(true);
}
