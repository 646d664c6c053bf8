import { describe, expect, it } from 'vitest';
import { differentiate, gradientName } from '../../../../services/worker/src/autodiff/differentiate.js';
import { composeModels } from '../../../../services/worker/src/onnx/compose.js';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';
import { loadFixtureModel, loadReference, relativeError } from '../onnx/torchFixtures.js';
import { mulberry32 as random } from '../../../support/mulberry32.js';
import { gradCheck, uniform } from './gradcheck.js';

/** An alignment graph as a model pack might ship: crop a box, resize back to 16×16, map [-1, 1] to [0, 1]. */
function alignment(): ModelProto {
  const b = GraphBuilder.empty('align');
  b.input('image', DataType.FLOAT, ['batch', 3, 16, 16]);
  const crop = b.op('Slice', ['image', b.constantInt64([2, 1]), b.constantInt64([14, 15]), b.constantInt64([2, 3])]);
  const resized = b.op('Resize', [crop, '', '', b.constantInt64([3, 3, 16, 16])], { mode: 'linear' });
  const unit = b.op('Add', [b.op('Mul', [resized, b.constantFloat([0.5], [])]), b.constantFloat([0.5], [])]);
  b.node('Identity', [unit], { outputs: ['aligned'] });
  b.output('aligned', DataType.FLOAT, ['batch', 3, 16, 16]);
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: b.graph });
}

/** Jᵀu of a single-input, single-output stage, differentiated on its own. */
async function stageVjp(
  model: ModelProto,
  [input, output]: [string, string],
  x: Float32Array,
  shape: number[],
  upstream: Float32Array,
  outputShape: number[],
) {
  const session = await createSession(
    await differentiate(model, { wrt: [input], outputs: [output], batch: shape[0] }),
    { provider: 'cpu' },
  );
  const out = await runSession(session, {
    [input]: float32(shape, x),
    [gradientName(output)]: float32(outputShape, upstream),
  });
  await session.release();
  return asFloat32(out[gradientName(input)]!);
}

async function forward(model: ModelProto, input: string, output: string, x: Float32Array, shape: number[]) {
  const session = await createSession(model, { provider: 'cpu' });
  const y = (await runSession(session, { [input]: float32(shape, x) }))[output]!;
  await session.release();
  return { data: asFloat32(y), dims: [...y.dims] };
}

describe('generator → alignment → recognizer pipeline', () => {
  it('differentiates the alignment graph exactly (finite differences of a linear map)', async () => {
    const image = uniform(random(3), 3 * 3 * 16 * 16, -1, 1);
    const errors = await gradCheck(
      alignment(),
      [{ name: 'image', shape: [3, 3, 16, 16], data: image }],
      ['image'],
      'aligned',
    );
    expect(errors.image).toBeLessThan(1e-4);
  });

  it('has the VJP of the chain rule applied stage by stage', async () => {
    const [generator, recognizer] = await Promise.all([loadFixtureModel('generator'), loadFixtureModel('recognizer')]);
    const align = alignment();
    const aligned = composeModels(generator, align, {
      connect: [['output', 'image']],
      prefixes: { first: 'g/', second: 'a/' },
    });
    const pipeline = composeModels(aligned, recognizer, {
      connect: [['a/aligned', 'input']],
      prefixes: { first: '', second: 'r/' },
    });
    const ref = loadReference();
    const w = Float32Array.from(ref.composite.w.data);
    const u = Float32Array.from(ref.composite.g_embedding.data);

    const image = await forward(generator, 'input', 'output', w, [3, 32]);
    const crop = await forward(align, 'image', 'aligned', image.data, image.dims);
    const gAligned = await stageVjp(recognizer, ['input', 'output'], crop.data, crop.dims, u, [3, 32]);
    const gImage = await stageVjp(align, ['image', 'aligned'], image.data, image.dims, gAligned, crop.dims);
    const chained = await stageVjp(generator, ['input', 'output'], w, [3, 32], gImage, image.dims);

    const session = await createSession(
      await differentiate(pipeline, { wrt: ['g/input'], outputs: ['r/output'], batch: 3 }),
      { provider: 'cpu' },
    );
    const whole = await runSession(session, { 'g/input': float32([3, 32], w), 'grad_r/output': float32([3, 32], u) });
    await session.release();
    expect(relativeError(asFloat32(whole['grad_g/input']!), chained)).toBeLessThan(1e-5);
    // The crop and resize matter: the result is not the unaligned composite's gradient.
    expect(relativeError(chained, ref.composite.dw.data)).toBeGreaterThan(1e-2);
  });
});
