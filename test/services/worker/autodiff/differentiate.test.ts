import { describe, expect, it } from 'vitest';
import { differentiate, gradientName } from '../../../../services/worker/src/autodiff/differentiate.js';
import { UnsupportedOperatorError } from '../../../../services/worker/src/autodiff/errors.js';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { requireGraph } from '../../../../services/worker/src/onnx/model.js';
import { onnx, type ModelProto } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';

function model(build: (b: GraphBuilder) => void, opset = 13): ModelProto {
  const b = GraphBuilder.empty('case');
  build(b);
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph: b.graph });
}

/** y = Relu(a · 2) and z = Tanh(b): two independent branches. */
function twoBranches(): ModelProto {
  return model((b) => {
    b.input('a', DataType.FLOAT, ['n', 3]);
    b.input('b', DataType.FLOAT, ['n', 3]);
    b.node('Relu', [b.op('Mul', ['a', b.constantFloat([2], [])], undefined, 'branch_a/Mul')], {
      outputs: ['y'],
      name: 'branch_a/Relu',
    });
    b.node('Tanh', ['b'], { outputs: ['z'], name: 'branch_b/Tanh' });
    b.output('y', DataType.FLOAT, ['n', 3]);
    b.output('z', DataType.FLOAT, ['n', 3]);
  });
}

describe('differentiate', () => {
  it('builds gradient nodes only between the wrt inputs and the requested outputs', async () => {
    const result = await differentiate(twoBranches(), { wrt: ['a'], outputs: ['y'], batch: 2 });
    const graph = requireGraph(result);
    const gradientNodes = graph.node.filter((n) => n.name?.includes('/grad/'));
    expect(gradientNodes.some((n) => n.name!.startsWith('branch_a/'))).toBe(true);
    expect(gradientNodes.every((n) => n.name!.startsWith('branch_a/') || n.name!.startsWith('a/grad/'))).toBe(true);
    expect(gradientNodes.flatMap((n) => n.input)).not.toContain('b');
    expect(graph.input.map((i) => i.name)).toEqual(['a', 'b', 'grad_y']);
    expect(graph.output.map((o) => o.name)).toEqual(['y', 'z', 'grad_a']);
    expect(graph.input[0]!.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue))).toEqual([2, 3]);
  });

  it('returns an exact zero gradient for an input no requested output depends on', async () => {
    const result = await differentiate(twoBranches(), { wrt: ['a', 'b'], outputs: ['y'], batch: 1 });
    const session = await createSession(result, { provider: 'cpu' });
    const out = await runSession(session, {
      a: float32([1, 3], Float32Array.of(1, -1, 2)),
      b: float32([1, 3], Float32Array.of(0.5, 0.5, 0.5)),
      grad_y: float32([1, 3], Float32Array.of(1, 1, 1)),
    });
    await session.release();
    expect(Array.from(asFloat32(out.grad_a!))).toEqual([2, 0, 2]);
    expect(Array.from(asFloat32(out.grad_b!))).toEqual([0, 0, 0]);
  });

  it('sums the vector-Jacobian products of several outputs and of reused tensors', async () => {
    const m = model((b) => {
      b.input('x', DataType.FLOAT, [3]);
      const square = b.op('Mul', ['x', 'x']);
      b.node('Identity', [square], { outputs: ['y'] });
      b.node('Mul', [square, 'x'], { outputs: ['z'] });
      b.output('y', DataType.FLOAT, [3]);
      b.output('z', DataType.FLOAT, [3]);
    });
    const session = await createSession(await differentiate(m, { wrt: ['x'], outputs: ['y', 'z'] }), {
      provider: 'cpu',
    });
    const x = Float32Array.of(1, 2, -3);
    const out = await runSession(session, {
      x: float32([3], x),
      grad_y: float32([3], Float32Array.of(1, 0.5, 2)),
      grad_z: float32([3], Float32Array.of(-1, 1, 0.25)),
    });
    await session.release();
    // d/dx [u·x² + v·x³] = 2u·x + 3v·x²
    expect(Array.from(asFloat32(out.grad_x!))).toEqual([
      2 * 1 * 1 + 3 * -1 * 1,
      2 * 0.5 * 2 + 3 * 1 * 4,
      2 * 2 * -3 + 3 * 0.25 * 9,
    ]);
  });

  it('names the op, the node and the supported operators when a gradient path meets an unsupported op', async () => {
    const m = model((b) => {
      b.input('x', DataType.FLOAT, [4]);
      b.node('Erf', [b.op('Relu', ['x'])], { outputs: ['y'], name: 'gelu/Erf' });
      b.output('y', DataType.FLOAT, [4]);
    });
    const failure = differentiate(m, { wrt: ['x'], outputs: ['y'] });
    await expect(failure).rejects.toBeInstanceOf(UnsupportedOperatorError);
    await expect(failure).rejects.toThrow(
      /node "gelu\/Erf": operator Erf has no gradient rule\. Supported operators: .*Conv, ConvTranspose/,
    );
  });

  it('refuses operators of other domains on the gradient path', async () => {
    const m = model((b) => {
      b.input('x', DataType.FLOAT, [4]);
      b.node('Gelu', ['x'], { outputs: ['y'], name: 'fused', domain: 'com.microsoft' });
      b.output('y', DataType.FLOAT, [4]);
    });
    m.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }));
    await expect(differentiate(m, { wrt: ['x'], outputs: ['y'] })).rejects.toThrow(
      /operator com\.microsoft\.Gelu has no gradient rule/,
    );
  });

  it('leaves unsupported operators alone when they only compute constants', async () => {
    const m = model((b) => {
      b.input('x', DataType.FLOAT, [4]);
      const scale = b.op('Floor', [b.constantFloat([2.7], [])]);
      b.node('Mul', ['x', scale], { outputs: ['y'] });
      b.output('y', DataType.FLOAT, [4]);
    });
    const session = await createSession(await differentiate(m, { wrt: ['x'], outputs: ['y'] }), { provider: 'cpu' });
    const out = await runSession(session, {
      x: float32([4], new Float32Array(4)),
      grad_y: float32([4], Float32Array.of(1, 2, 3, 4)),
    });
    await session.release();
    expect(Array.from(asFloat32(out.grad_x!))).toEqual([2, 4, 6, 8]);
  });

  it('refuses a wrt-dependent tensor in an input slot that has no gradient', async () => {
    const m = model((b) => {
      b.input('x', DataType.FLOAT, [4]);
      b.input('low', DataType.FLOAT, []);
      b.node('Clip', ['x', 'low'], { outputs: ['y'], name: 'clamp' });
      b.output('y', DataType.FLOAT, [4]);
    });
    await expect(differentiate(m, { wrt: ['x', 'low'], outputs: ['y'] })).rejects.toThrow(
      /Clip node "clamp": its input 1 \(low\) depends on a wrt input, but only inputs 0 of Clip are differentiable/,
    );
  });

  it('sends the gradient of tied maxima to the first position of each window, as torch does', async () => {
    const m = model((b) => {
      b.input('x', DataType.FLOAT, [1, 1, 1, 3]);
      b.node('MaxPool', ['x'], { outputs: ['y'], attributes: { kernel_shape: [1, 2] } });
      b.output('y', DataType.FLOAT, [1, 1, 1, 2]);
    });
    const session = await createSession(await differentiate(m, { wrt: ['x'], outputs: ['y'] }), { provider: 'cpu' });
    const out = await runSession(session, {
      x: float32([1, 1, 1, 3], Float32Array.of(5, 5, 5)),
      grad_y: float32([1, 1, 1, 2], Float32Array.of(1, 10)),
    });
    await session.release();
    expect(Array.from(asFloat32(out.grad_x!))).toEqual([1, 10, 0]);
  });

  it('refuses Dropout in training mode', async () => {
    const m = model((b) => {
      b.input('x', DataType.FLOAT, [4]);
      const training = b.initializer(
        onnx.TensorProto.create({ name: 'training', dims: [], dataType: DataType.BOOL, int32Data: [1] }),
      );
      b.node('Dropout', ['x', b.constantFloat([0.5], []), training], { outputs: ['y'], name: 'drop' });
      b.output('y', DataType.FLOAT, [4]);
    });
    await expect(differentiate(m, { wrt: ['x'], outputs: ['y'] })).rejects.toThrow(
      /Dropout node "drop": Dropout in training mode/,
    );
  });

  it('checks the request and the input shapes', async () => {
    await expect(differentiate(twoBranches(), { wrt: ['a'], outputs: ['y'] })).rejects.toThrow(
      /symbolic dimension 0 \(n\); pass batch/,
    );
    await expect(differentiate(twoBranches(), { wrt: ['c'], outputs: ['y'], batch: 1 })).rejects.toThrow(
      /"c" is not an input/,
    );
    await expect(differentiate(twoBranches(), { wrt: ['a'], outputs: ['w'], batch: 1 })).rejects.toThrow(
      /"w" is not an output/,
    );
    await expect(
      differentiate(twoBranches(), { wrt: ['a'], outputs: ['y'], inputShapes: { a: [2, 4], b: [2, 3] } }),
    ).rejects.toThrow(/dimension 1 = 4 but the model declares 3/);
    const old = model((b) => {
      b.input('x', DataType.FLOAT, [1]);
      b.node('Relu', ['x'], { outputs: ['y'] });
      b.output('y', DataType.FLOAT, [1]);
    }, 12);
    await expect(differentiate(old, { wrt: ['x'], outputs: ['y'] })).rejects.toThrow(
      /opset 12; differentiation supports opsets 13 to 17/,
    );
  });

  it('refuses an empty or non-floating-point request, and lists the inputs and outputs a wrong name could mean', async () => {
    const withIndex = model((b) => {
      b.input('x', DataType.FLOAT, [2, 3]);
      b.input('k', DataType.INT64, [2]);
      b.node('Relu', ['x'], { outputs: ['y'] });
      b.output('y', DataType.FLOAT, [2, 3]);
      b.output('k_out', DataType.INT64, [2]);
      b.node('Identity', ['k'], { outputs: ['k_out'] });
    });
    await expect(differentiate(withIndex, { wrt: [], outputs: ['y'] })).rejects.toThrow(
      'differentiate: give at least one input in wrt',
    );
    await expect(differentiate(withIndex, { wrt: ['x'], outputs: [] })).rejects.toThrow(
      'differentiate: give at least one output',
    );
    await expect(differentiate(withIndex, { wrt: ['k'], outputs: ['y'] })).rejects.toThrow(
      'differentiate: input "k" is INT64, not floating point',
    );
    await expect(differentiate(withIndex, { wrt: ['z'], outputs: ['y'] })).rejects.toThrow(
      'differentiate: "z" is not an input of the graph (inputs: x, k)',
    );
    await expect(differentiate(withIndex, { wrt: ['x'], outputs: ['w'] })).rejects.toThrow(
      'differentiate: "w" is not an output of the graph (outputs: y, k_out)',
    );
  });

  it('refuses opsets above the supported range, and symbolic sizes other than the batch without full shapes', async () => {
    const relu = (opset: number, dims: Array<string | number>) =>
      model((b) => {
        b.input('x', DataType.FLOAT, dims);
        b.node('Relu', ['x'], { outputs: ['y'] });
        b.output('y', DataType.FLOAT, dims);
      }, opset);
    await expect(differentiate(relu(18, [1]), { wrt: ['x'], outputs: ['y'] })).rejects.toThrow(
      'model uses opset 18; differentiation supports opsets 13 to 17',
    );
    await expect(differentiate(relu(13, ['n', 'm']), { wrt: ['x'], outputs: ['y'], batch: 2 })).rejects.toThrow(
      'input x has a symbolic dimension 1 (m); pass its full shape in inputShapes',
    );
  });

  it('lists every differentiable input of a rule when a wrt-dependent tensor reaches another', async () => {
    const m = model((b) => {
      b.input('x', DataType.FLOAT, [1, 2, 2, 2]);
      b.input('mean', DataType.FLOAT, [2]);
      const ones = b.constantFloat([1, 1], [2]);
      b.node('BatchNormalization', ['x', ones, ones, 'mean', ones], { outputs: ['y'], name: 'bn' });
      b.output('y', DataType.FLOAT, [1, 2, 2, 2]);
    });
    await expect(differentiate(m, { wrt: ['x', 'mean'], outputs: ['y'] })).rejects.toThrow(
      'cannot differentiate BatchNormalization node "bn": its input 3 (mean) depends on a wrt input, ' +
        'but only inputs 0, 1, 2 of BatchNormalization are differentiable',
    );
  });

  it('names upstream inputs and gradient outputs after the tensors', () => {
    expect(gradientName('embedding')).toBe('grad_embedding');
  });
});
