import { describe, expect, it } from 'vitest';
import { composeModels } from '../../../../services/worker/src/onnx/compose.js';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { defaultOpset, requireGraph } from '../../../../services/worker/src/onnx/model.js';
import { onnx, type ModelProto } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';
import { loadFixtureModel, loadReference, relativeError } from './torchFixtures.js';

function scaleModel(factor: number, opset: number): ModelProto {
  const b = GraphBuilder.empty('scale');
  b.input('x', DataType.FLOAT, ['n', 2]);
  const k = b.constantFloat([factor], [], DataType.FLOAT, 'k');
  b.node('Mul', ['x', k], { outputs: ['y'], name: 'mul' });
  b.output('y', DataType.FLOAT, ['n', 2]);
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph: b.graph });
}

describe('composeModels', () => {
  it('chains the torch generator into the recognizer and reproduces the composite reference', async () => {
    const [generator, recognizer] = await Promise.all([loadFixtureModel('generator'), loadFixtureModel('recognizer')]);
    const ref = loadReference();
    const composite = composeModels(generator, recognizer, {
      connect: [['output', 'input']],
      prefixes: { first: 'generator/', second: 'recognizer/' },
      keepOutputs: ['output'],
    });
    const graph = requireGraph(composite);
    expect(graph.input.map((i) => i.name)).toEqual(['generator/input']);
    expect(graph.output.map((o) => o.name)).toEqual(['generator/output', 'recognizer/output']);
    const session = await createSession(composite, { provider: 'cpu' });
    const out = await runSession(session, {
      'generator/input': float32(ref.composite.w.shape, Float32Array.from(ref.composite.w.data)),
    });
    await session.release();
    expect(relativeError(asFloat32(out['recognizer/output']!), ref.composite.embedding.data)).toBeLessThan(1e-5);
    expect(relativeError(asFloat32(out['generator/output']!), ref.generator.image.data)).toBeLessThan(1e-5);
  });

  it('keeps unconnected inputs of the second model and prefixes every name', async () => {
    const first = scaleModel(2, 13);
    const b = GraphBuilder.empty('add');
    b.input('x', DataType.FLOAT, ['n', 2]);
    b.input('bias', DataType.FLOAT, ['n', 2]);
    b.node('Add', ['x', 'bias'], { outputs: ['y'], name: 'mul' });
    b.output('y', DataType.FLOAT, ['n', 2]);
    const second = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 15 }], graph: b.graph });
    const composite = composeModels(first, second, { connect: [['y', 'x']], prefixes: { first: 'a/', second: 'b/' } });
    expect(defaultOpset(composite)).toBe(15);
    expect(requireGraph(composite).input.map((i) => i.name)).toEqual(['a/x', 'b/bias']);
    expect(requireGraph(composite).node.map((n) => n.name)).toEqual(['a/mul', 'b/mul']);
    const session = await createSession(composite, { provider: 'cpu' });
    const out = await runSession(session, {
      'a/x': float32([1, 2], Float32Array.of(1, 2)),
      'b/bias': float32([1, 2], Float32Array.of(10, 20)),
    });
    await session.release();
    expect(Array.from(asFloat32(out['b/y']!))).toEqual([12, 24]);
  });

  it('refuses unknown connections, clashing names and incompatible shapes', () => {
    const first = scaleModel(2, 13);
    expect(() =>
      composeModels(first, scaleModel(3, 13), { connect: [['nope', 'x']], prefixes: { first: 'a/', second: 'b/' } }),
    ).toThrow(/no output "nope"/);
    expect(() =>
      composeModels(first, scaleModel(3, 13), { connect: [['y', 'x']], prefixes: { first: '', second: '' } }),
    ).toThrow(/defined twice/);
    const wide = GraphBuilder.empty('wide');
    wide.input('x', DataType.FLOAT, ['n', 3]);
    wide.node('Identity', ['x'], { outputs: ['y'] });
    wide.output('y', DataType.FLOAT, ['n', 3]);
    const wideModel = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: wide.graph,
    });
    expect(() =>
      composeModels(first, wideModel, { connect: [['y', 'x']], prefixes: { first: 'a/', second: 'b/' } }),
    ).toThrow(/dimension 1 of a\/y|dimension 1 of y/);
    expect(() =>
      composeModels(scaleModel(2, 11), scaleModel(3, 13), {
        connect: [['y', 'x']],
        prefixes: { first: 'a/', second: 'b/' },
      }),
    ).toThrow(/opsets 11 and 13/);
  });
});
