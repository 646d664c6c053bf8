import { describe, expect, it } from 'vitest';
import { differentiate, gradientName } from '../../../../services/worker/src/autodiff/differentiate.js';
import { composeModels } from '../../../../services/worker/src/onnx/compose.js';
import type { ModelProto } from '../../../../services/worker/src/onnx/proto.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';
import { loadFixtureModel, loadReference, relativeError, type FixtureTensor } from '../onnx/torchFixtures.js';

const ref = loadReference();

function host(t: FixtureTensor) {
  return float32(t.shape, Float32Array.from(t.data));
}

async function vjp(model: ModelProto, x: FixtureTensor, upstream: FixtureTensor) {
  const differentiated = await differentiate(model, { wrt: ['input'], outputs: ['output'], batch: x.shape[0] });
  const session = await createSession(differentiated, { provider: 'cpu' });
  try {
    const out = await runSession(session, { input: host(x), [gradientName('output')]: host(upstream) });
    return { output: asFloat32(out.output!), gradient: asFloat32(out[gradientName('input')]!) };
  } finally {
    await session.release();
  }
}

describe('differentiate on the torch fixtures (torch.autograd references)', () => {
  it('reproduces the generator image and its VJP', async () => {
    const { output, gradient } = await vjp(await loadFixtureModel('generator'), ref.generator.w, ref.generator.g_image);
    expect(relativeError(output, ref.generator.image.data)).toBeLessThan(1e-4);
    expect(relativeError(gradient, ref.generator.dw.data)).toBeLessThan(1e-4);
  });

  it('reproduces the recognizer embedding and its VJP', async () => {
    const { output, gradient } = await vjp(
      await loadFixtureModel('recognizer'),
      ref.recognizer.x,
      ref.recognizer.g_embedding,
    );
    expect(relativeError(output, ref.recognizer.embedding.data)).toBeLessThan(1e-4);
    expect(relativeError(gradient, ref.recognizer.dx.data)).toBeLessThan(1e-4);
  });

  it('reproduces the composite recognizer(generator(w)) embedding and VJP', async () => {
    const [generator, recognizer] = await Promise.all([loadFixtureModel('generator'), loadFixtureModel('recognizer')]);
    const composite = composeModels(generator, recognizer, {
      connect: [['output', 'input']],
      prefixes: { first: '', second: 'recognizer/' },
    });
    const differentiated = await differentiate(composite, { wrt: ['input'], outputs: ['recognizer/output'], batch: 3 });
    const session = await createSession(differentiated, { provider: 'cpu' });
    const out = await runSession(session, {
      input: host(ref.composite.w),
      'grad_recognizer/output': host(ref.composite.g_embedding),
    });
    await session.release();
    expect(relativeError(asFloat32(out['recognizer/output']!), ref.composite.embedding.data)).toBeLessThan(1e-4);
    expect(relativeError(asFloat32(out.grad_input!), ref.composite.dw.data)).toBeLessThan(1e-4);
  });
});
