import { describe, expect, it } from 'vitest';
import { differentiateAnyBatch } from '../../../../services/worker/src/autodiff/anyBatch.js';
import { differentiate, gradientName } from '../../../../services/worker/src/autodiff/differentiate.js';
import { BatchDependentGradientError } from '../../../../services/worker/src/autodiff/errors.js';
import { composeModels } from '../../../../services/worker/src/onnx/compose.js';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { requireGraph } from '../../../../services/worker/src/onnx/model.js';
import { onnx } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../../../../services/worker/src/runtime/session.js';
import { mulberry32 } from '../../../support/mulberry32.js';
import { loadFixtureModel, loadReference, relativeError, type FixtureTensor } from '../onnx/torchFixtures.js';
import { uniform } from './gradcheck.js';
import { batchGradientAgreement } from './anyBatchCheck.js';

const ref = loadReference();
const host = (t: FixtureTensor) => float32(t.shape, Float32Array.from(t.data));

async function run(session: Session, x: FixtureTensor, upstream: FixtureTensor) {
  const out = await runSession(session, { input: host(x), [gradientName('output')]: host(upstream) });
  return { output: asFloat32(out.output!), gradient: asFloat32(out[gradientName('input')]!) };
}

describe('differentiateAnyBatch: one gradient graph for every batch size', () => {
  it('declares the batch symbolic and matches torch.autograd on the fixtures', async () => {
    for (const [name, x, upstream, y, dx] of [
      ['generator', ref.generator.w, ref.generator.g_image, ref.generator.image, ref.generator.dw],
      ['recognizer', ref.recognizer.x, ref.recognizer.g_embedding, ref.recognizer.embedding, ref.recognizer.dx],
    ] as const) {
      const forward = await loadFixtureModel(name);
      const model = await differentiateAnyBatch(forward, { wrt: ['input'], outputs: ['output'] });
      // Weights (float tensors over 4096 elements) are the forward model's tensors, not copies made by the builds.
      const weights = requireGraph(forward).initializer.filter((t) => (t.rawData?.length ?? 0) > 4 * 4096);
      if (name === 'recognizer') expect(weights.length).toBeGreaterThan(0);
      for (const weight of weights)
        expect(requireGraph(model).initializer.find((t) => t.name === weight.name)).toBe(weight);
      const declared = requireGraph(model).input.find((i) => i.name === 'input')?.type?.tensorType?.shape?.dim?.[0];
      expect(declared?.dimParam).toBe('batch');
      const session = await createSession(model, { provider: 'cpu' });
      try {
        const out = await run(session, x, upstream);
        expect(relativeError(out.output, y.data)).toBeLessThan(1e-4);
        expect(relativeError(out.gradient, dx.data)).toBeLessThan(1e-4);
      } finally {
        await session.release();
      }
    }
  });

  it('gives what the per-batch graph gives, at batches 1 to 4, from one session', async () => {
    const [generator, recognizer] = await Promise.all([loadFixtureModel('generator'), loadFixtureModel('recognizer')]);
    const composite = composeModels(generator, recognizer, {
      connect: [['output', 'input']],
      prefixes: { first: '', second: 'recognizer/' },
    });
    const agreement = await batchGradientAgreement(composite, 'input', 'recognizer/output', [1, 2, 3, 4]);
    // Same kernels on the same shapes: bit-identical, not merely within rounding.
    for (const batch of agreement) expect(batch.maxRelativeDifference, `batch ${batch.batch}`).toBe(0);
  });

  it('computes a batch-dependent reshape target at run time', async () => {
    // Flatten of the whole batch into one row and back: the gradient's Reshape targets hold batch × 6.
    const b = GraphBuilder.empty('rows');
    b.input('x', DataType.FLOAT, ['batch', 2, 3]);
    const shape = b.op('Shape', ['x']);
    const flat = b.op('Reshape', ['x', b.constantInt64([1, -1])]);
    const squared = b.op('Mul', [flat, flat]);
    b.node('Reshape', [squared, shape], { outputs: ['y'] });
    b.output('y', DataType.FLOAT, ['batch', 2, 3]);
    const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: b.graph });
    const agreement = await batchGradientAgreement(model, 'x', 'y', [1, 5]);
    for (const batch of agreement) expect(batch.maxRelativeDifference).toBe(0);
  });

  it('averages over the batch with the batch read at run time (StyleGAN3 normalises styles over the batch)', async () => {
    const b = GraphBuilder.empty('mean');
    b.input('x', DataType.FLOAT, ['batch', 4]);
    const mean = b.op('ReduceMean', [b.op('Mul', ['x', 'x'])], { keepdims: 1 });
    b.node('Mul', ['x', mean], { outputs: ['y'] });
    b.output('y', DataType.FLOAT, ['batch', 4]);
    const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: b.graph });
    for (const batch of await batchGradientAgreement(model, 'x', 'y', [1, 2, 7]))
      expect(batch.maxRelativeDifference, `batch ${batch.batch}`).toBe(0);
  });

  it('refuses a graph whose gradient needs a constant sized by the batch, which the per-batch graph still handles', async () => {
    // Every other row: the gradient scatters rows back through a 0/1 matrix of ceil(batch / 2) × batch.
    const b = GraphBuilder.empty('rows');
    b.input('x', DataType.FLOAT, ['batch', 2]);
    const every = b.op('Slice', [
      'x',
      b.constantInt64([0]),
      b.constantInt64([1000]),
      b.constantInt64([0]),
      b.constantInt64([2]),
    ]);
    b.node('Identity', [every], { outputs: ['y'] });
    b.output('y', DataType.FLOAT, ['half', 2]);
    const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: b.graph });
    await expect(differentiateAnyBatch(model, { wrt: ['x'], outputs: ['y'] })).rejects.toThrow(
      BatchDependentGradientError,
    );
    const session = await createSession(await differentiate(model, { wrt: ['x'], outputs: ['y'], batch: 3 }), {
      provider: 'cpu',
    });
    const out = await runSession(session, {
      x: float32([3, 2], uniform(mulberry32(3), 6, -1, 1)),
      [gradientName('y')]: float32([2, 2], Float32Array.from([1, 2, 3, 4])),
    });
    await session.release();
    expect([...asFloat32(out[gradientName('x')]!)]).toEqual([1, 2, 0, 0, 3, 4]);
  });
});
