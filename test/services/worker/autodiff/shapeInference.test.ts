import { describe, expect, it } from 'vitest';
import { InferenceGap, inferStaticInfo } from '../../../../services/worker/src/autodiff/shapeInference.js';
import { staticInfo } from '../../../../services/worker/src/autodiff/staticInfo.js';
import { composeModels } from '../../../../services/worker/src/onnx/compose.js';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { onnx } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { miniPackFiles } from '../../../../services/worker/src/pack/builtin/index.js';
import { loadPack } from '../../../../services/worker/src/pack/loadPack.js';
import { memorySource } from '../../../../src/core/packs/packSource.js';
import { loadFixtureModel } from '../onnx/torchFixtures.js';
import { expectInferenceMatchesProbe, expectPackInferenceMatchesProbe } from './staticInfoCheck.js';

// Every gradient case of gradients.test.ts is also compared with the probe (gradcheck.ts); these are whole networks.
describe('shape inference in TypeScript against the probing run', () => {
  it('covers the torch exports of the fixtures (Shape/Gather/Concat/Reshape chains included) at batch 3', async () => {
    const [generator, recognizer] = await Promise.all([loadFixtureModel('generator'), loadFixtureModel('recognizer')]);
    const composite = composeModels(generator, recognizer, {
      connect: [['output', 'input']],
      prefixes: { first: '', second: 'recognizer/' },
    });
    for (const model of [generator, recognizer, composite]) {
      const dims = model.graph?.input?.find((i) => i.name === 'input')?.type?.tensorType?.shape?.dim ?? [];
      const shapes = new Map([['input', dims.map((d, k) => (k === 0 ? 3 : Number(d.dimValue)))]]);
      expect(await expectInferenceMatchesProbe(model, shapes)).toBe(true);
    }
  });

  it('covers the built-in pack composite at batches 1 and 5', async () => {
    const pack = await loadPack(memorySource(miniPackFiles().files));
    await expectPackInferenceMatchesProbe(pack, 1);
    await expectPackInferenceMatchesProbe(pack, 5);
  });

  it('gives way to the probe on an operator it does not cover, naming the node', async () => {
    const b = GraphBuilder.empty('einsum');
    b.input('x', DataType.FLOAT, ['batch', 3]);
    const y = b.node('Einsum', ['x', 'x'], {
      name: 'outer',
      attributes: { equation: 'bi,bj->bij' },
    })[0]!;
    b.node('Identity', [y], { outputs: ['y'] });
    b.output('y', DataType.FLOAT);
    const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: b.graph });
    const shapes = new Map([['x', [4, 3]]]);
    expect(() => inferStaticInfo(model, shapes)).toThrow(InferenceGap);
    expect(() => inferStaticInfo(model, shapes)).toThrow(/Einsum node "outer": the operator is not covered/);
    const info = await staticInfo(model, shapes);
    expect(info.shape('y')).toEqual([4, 3, 3]);
  });
});
