import { describe, expect, it } from 'vitest';
import { inspectOps, supportedOps } from '../../../../services/worker/src/autodiff/inspect.js';
import { composeModels } from '../../../../services/worker/src/onnx/compose.js';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { onnx } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { loadFixtureModel } from '../onnx/torchFixtures.js';

describe('supportedOps / inspectOps', () => {
  it('lists every operator the issue asks for', () => {
    const required = [
      'Gemm',
      'MatMul',
      'Conv',
      'ConvTranspose',
      'BatchNormalization',
      'PRelu',
      'LeakyRelu',
      'Clip',
      'Add',
      'Sub',
      'Mul',
      'Div',
      'Pow',
      'Sqrt',
      'ReduceSum',
      'ReduceMean',
      'Reshape',
      'Flatten',
      'Transpose',
      'Unsqueeze',
      'Expand',
      'Tile',
      'Concat',
      'Slice',
      'Pad',
      'Gather',
      'Cast',
      'Identity',
      'Constant',
      'Shape',
      'ConstantOfShape',
      'Relu',
      'Sigmoid',
      'Tanh',
      'Exp',
      'Log',
      'Neg',
      'Reciprocal',
      'Squeeze',
      'Split',
      'ReduceL2',
      'Resize',
      'AveragePool',
      'GlobalAveragePool',
      'MaxPool',
      'Dropout',
      'Range',
    ];
    expect(supportedOps()).toEqual(expect.arrayContaining(required));
  });

  it('finds every operator of the torch fixtures supported', async () => {
    const [generator, recognizer, mapping] = await Promise.all([
      loadFixtureModel('generator'),
      loadFixtureModel('recognizer'),
      loadFixtureModel('mapping'),
    ]);
    const composite = composeModels(generator, recognizer, {
      connect: [['output', 'input']],
      prefixes: { first: 'g/', second: 'r/' },
    });
    for (const model of [generator, recognizer, mapping, composite]) {
      const report = inspectOps(model);
      expect(report.opsetSupported).toBe(true);
      expect(report.unsupported).toEqual([]);
    }
    const report = inspectOps(generator);
    const shape = report.ops.find((r) => r.opType === 'Shape')!;
    expect(shape).toMatchObject({ nonDifferentiable: true, onGradientPath: 0, supported: true });
    const conv = report.ops.find((r) => r.opType === 'Conv')!;
    expect(conv.hasGradient).toBe(true);
    expect(conv.onGradientPath).toBe(conv.count);
  });

  it('reports an unsupported operator only where a gradient must pass through it', () => {
    const b = GraphBuilder.empty('g');
    b.input('x', DataType.FLOAT, [4]);
    const scale = b.op('Floor', [b.constantFloat([2.5], [])]);
    b.node('Erf', [b.op('Mul', ['x', scale])], { outputs: ['y'] });
    b.output('y', DataType.FLOAT, [4]);
    const report = inspectOps(
      onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 18 }], graph: b.graph }),
    );
    expect(report.opsetSupported).toBe(false);
    expect(report.unsupported).toEqual(['Erf']);
    expect(report.ops.find((r) => r.opType === 'Floor')).toMatchObject({
      count: 1,
      onGradientPath: 0,
      hasGradient: false,
      supported: true,
    });
    expect(report.ops.find((r) => r.opType === 'Erf')).toMatchObject({ count: 1, onGradientPath: 1, supported: false });
  });
});
