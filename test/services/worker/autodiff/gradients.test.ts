import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { onnx } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { mulberry32 as random } from '../../../support/mulberry32.js';
import { awayFromZero, gradCheck, singleOutputModel, uniform, type FloatInput } from './gradcheck.js';

interface Case {
  name: string;
  inputs: (rng: () => number) => FloatInput[];
  wrt: string[];
  build: (b: GraphBuilder) => string;
}

/** Float32 central differences with ε = 1e-2 agree to ~1e-4 here; a wrong rule is off by > 1e-1. */
const TOLERANCE = 1e-3;

const input = (name: string, shape: number[], data: Float32Array): FloatInput => ({ name, shape, data });
const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const signed = (rng: () => number, name: string, shape: number[]): FloatInput =>
  input(name, shape, awayFromZero(rng, count(shape)));
const positive = (rng: () => number, name: string, shape: number[], low = 0.5, high = 1.5): FloatInput =>
  input(name, shape, uniform(rng, count(shape), low, high));
/** Distinct values at least 0.05 apart, shuffled: no ties and no switching of a max under ±ε. */
const distinct = (rng: () => number, name: string, shape: number[]): FloatInput => {
  const values = Array.from({ length: count(shape) }, (_, k) => -1 + 0.05 * k);
  for (let k = values.length - 1; k > 0; k -= 1) {
    const j = Math.floor(rng() * (k + 1));
    [values[k], values[j]] = [values[j]!, values[k]!];
  }
  return input(name, shape, Float32Array.from(values));
};

const ints = (b: GraphBuilder, values: number[]): string => b.constantInt64(values);
const scalar = (b: GraphBuilder, value: number): string => b.constantFloat([value], []);

const cases: Case[] = [
  {
    name: 'Add with broadcasting',
    inputs: (r) => [signed(r, 'x', [2, 3, 4]), signed(r, 'w', [3, 1])],
    wrt: ['x', 'w'],
    build: (b) => b.op('Add', ['x', 'w']),
  },
  {
    name: 'Sub with broadcasting',
    inputs: (r) => [signed(r, 'x', [2, 3]), signed(r, 'w', [3])],
    wrt: ['x', 'w'],
    build: (b) => b.op('Sub', ['x', 'w']),
  },
  {
    name: 'Mul with broadcasting',
    inputs: (r) => [signed(r, 'x', [2, 1, 4]), signed(r, 'w', [3, 1])],
    wrt: ['x', 'w'],
    build: (b) => b.op('Mul', ['x', 'w']),
  },
  {
    name: 'Mul of a tensor with itself',
    inputs: (r) => [signed(r, 'x', [5])],
    wrt: ['x'],
    build: (b) => b.op('Mul', ['x', 'x']),
  },
  {
    name: 'Div with broadcasting',
    inputs: (r) => [signed(r, 'x', [2, 3]), positive(r, 'w', [2, 1])],
    wrt: ['x', 'w'],
    build: (b) => b.op('Div', ['x', 'w']),
  },
  {
    name: 'Pow with a constant exponent',
    inputs: (r) => [positive(r, 'x', [2, 3])],
    wrt: ['x'],
    build: (b) => b.op('Pow', ['x', scalar(b, 2.5)]),
  },
  {
    name: 'Pow with an integer exponent',
    inputs: (r) => [signed(r, 'x', [2, 3])],
    wrt: ['x'],
    build: (b) => b.op('Pow', ['x', b.constantInt64([3], [])]),
  },
  {
    name: 'Pow with respect to both operands',
    inputs: (r) => [positive(r, 'x', [2, 3]), positive(r, 'e', [3])],
    wrt: ['x', 'e'],
    build: (b) => b.op('Pow', ['x', 'e']),
  },
  { name: 'Sqrt', inputs: (r) => [positive(r, 'x', [6])], wrt: ['x'], build: (b) => b.op('Sqrt', ['x']) },
  { name: 'Exp', inputs: (r) => [signed(r, 'x', [6])], wrt: ['x'], build: (b) => b.op('Exp', ['x']) },
  { name: 'Log', inputs: (r) => [positive(r, 'x', [6])], wrt: ['x'], build: (b) => b.op('Log', ['x']) },
  { name: 'Neg', inputs: (r) => [signed(r, 'x', [6])], wrt: ['x'], build: (b) => b.op('Neg', ['x']) },
  { name: 'Reciprocal', inputs: (r) => [positive(r, 'x', [6])], wrt: ['x'], build: (b) => b.op('Reciprocal', ['x']) },
  { name: 'Relu', inputs: (r) => [signed(r, 'x', [8])], wrt: ['x'], build: (b) => b.op('Relu', ['x']) },
  { name: 'Sigmoid', inputs: (r) => [signed(r, 'x', [8])], wrt: ['x'], build: (b) => b.op('Sigmoid', ['x']) },
  { name: 'Tanh', inputs: (r) => [signed(r, 'x', [8])], wrt: ['x'], build: (b) => b.op('Tanh', ['x']) },
  { name: 'Sin', inputs: (r) => [signed(r, 'x', [8])], wrt: ['x'], build: (b) => b.op('Sin', ['x']) },
  { name: 'Cos', inputs: (r) => [signed(r, 'x', [8])], wrt: ['x'], build: (b) => b.op('Cos', ['x']) },
  {
    name: 'LeakyRelu',
    inputs: (r) => [signed(r, 'x', [8])],
    wrt: ['x'],
    build: (b) => b.op('LeakyRelu', ['x'], { alpha: 0.2 }),
  },
  {
    name: 'PRelu with a per-channel slope',
    inputs: (r) => [signed(r, 'x', [2, 3, 2, 2]), signed(r, 's', [3, 1, 1])],
    wrt: ['x', 's'],
    build: (b) => b.op('PRelu', ['x', 's']),
  },
  {
    name: 'Clip with min and max inputs',
    inputs: () => [input('x', [8], Float32Array.of(-0.9, -0.3, 0.1, 0.45, 0.8, -0.6, 0.2, 1.2))],
    wrt: ['x'],
    build: (b) => b.op('Clip', ['x', scalar(b, -0.5), scalar(b, 0.5)]),
  },
  {
    name: 'Gemm',
    inputs: (r) => [signed(r, 'a', [3, 4]), signed(r, 'w', [5, 4]), signed(r, 'c', [5])],
    wrt: ['a', 'w', 'c'],
    build: (b) => b.op('Gemm', ['a', 'w', 'c'], { transB: 1, alpha: 0.7, beta: 1.3 }),
  },
  {
    name: 'Gemm with transposed A',
    inputs: (r) => [signed(r, 'a', [4, 3]), signed(r, 'w', [4, 5]), signed(r, 'c', [3, 1])],
    wrt: ['a', 'w', 'c'],
    build: (b) => b.op('Gemm', ['a', 'w', 'c'], { transA: 1 }),
  },
  {
    name: 'Gemm with both transposed',
    inputs: (r) => [signed(r, 'a', [4, 3]), signed(r, 'w', [5, 4])],
    wrt: ['a', 'w'],
    build: (b) => b.op('Gemm', ['a', 'w'], { transA: 1, transB: 1, alpha: 2.5 }),
  },
  {
    name: 'MatMul with batch broadcasting',
    inputs: (r) => [signed(r, 'a', [2, 3, 4]), signed(r, 'w', [4, 5])],
    wrt: ['a', 'w'],
    build: (b) => b.op('MatMul', ['a', 'w']),
  },
  {
    name: 'MatMul vector by batched matrix',
    inputs: (r) => [signed(r, 'a', [4]), signed(r, 'w', [2, 4, 3])],
    wrt: ['a', 'w'],
    build: (b) => b.op('MatMul', ['a', 'w']),
  },
  {
    name: 'MatMul batched matrix by vector',
    inputs: (r) => [signed(r, 'a', [2, 1, 3, 4]), signed(r, 'w', [4])],
    wrt: ['a', 'w'],
    build: (b) => b.op('MatMul', ['a', 'w']),
  },
  {
    name: 'Conv with groups, strides, asymmetric pads and dilations',
    inputs: (r) => [signed(r, 'x', [2, 4, 7, 6]), signed(r, 'w', [6, 2, 3, 2]), signed(r, 'bias', [6])],
    wrt: ['x', 'w', 'bias'],
    build: (b) =>
      b.op('Conv', ['x', 'w', 'bias'], { group: 2, strides: [2, 2], pads: [1, 0, 1, 1], dilations: [1, 2] }),
  },
  {
    name: 'Conv with auto_pad SAME_UPPER and a stride that leaves trailing input unread',
    inputs: (r) => [signed(r, 'x', [1, 2, 6, 6]), signed(r, 'w', [3, 2, 2, 2])],
    wrt: ['x', 'w'],
    build: (b) => b.op('Conv', ['x', 'w'], { auto_pad: 'SAME_UPPER', strides: [3, 3] }),
  },
  {
    name: 'depthwise 1-D Conv',
    inputs: (r) => [signed(r, 'x', [2, 3, 9]), signed(r, 'w', [3, 1, 4])],
    wrt: ['x', 'w'],
    build: (b) => b.op('Conv', ['x', 'w'], { group: 3, pads: [2, 1] }),
  },
  {
    name: 'ConvTranspose with stride, pads and output_padding',
    inputs: (r) => [signed(r, 'x', [2, 4, 3, 3]), signed(r, 'w', [4, 3, 3, 3]), signed(r, 'bias', [3])],
    wrt: ['x', 'w', 'bias'],
    build: (b) =>
      b.op('ConvTranspose', ['x', 'w', 'bias'], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] }),
  },
  {
    name: 'ConvTranspose with groups and dilations',
    inputs: (r) => [signed(r, 'x', [1, 4, 3, 4]), signed(r, 'w', [4, 2, 2, 3])],
    wrt: ['x', 'w'],
    build: (b) =>
      b.op('ConvTranspose', ['x', 'w'], { group: 2, strides: [1, 2], dilations: [2, 1], pads: [0, 1, 1, 0] }),
  },
  {
    name: 'ConvTranspose with output_shape',
    inputs: (r) => [signed(r, 'x', [1, 2, 3, 3]), signed(r, 'w', [2, 2, 3, 3])],
    wrt: ['x', 'w'],
    build: (b) => b.op('ConvTranspose', ['x', 'w'], { strides: [2, 2], output_shape: [6, 5] }),
  },
  {
    name: 'ConvTranspose with auto_pad SAME_UPPER',
    inputs: (r) => [signed(r, 'x', [1, 2, 3, 3]), signed(r, 'w', [2, 1, 4, 3])],
    wrt: ['x', 'w'],
    build: (b) => b.op('ConvTranspose', ['x', 'w'], { strides: [2, 2], auto_pad: 'SAME_UPPER' }),
  },
  {
    name: 'BatchNormalization in inference mode',
    inputs: (r) => [signed(r, 'x', [2, 3, 2, 2]), positive(r, 'scale', [3]), signed(r, 'shift', [3])],
    wrt: ['x', 'scale', 'shift'],
    build: (b) =>
      b.op(
        'BatchNormalization',
        ['x', 'scale', 'shift', b.constantFloat([0.1, -0.2, 0.3]), b.constantFloat([0.5, 1.5, 2])],
        { epsilon: { float: 1e-3 } },
      ),
  },
  {
    name: 'ReduceSum over an axes input',
    inputs: (r) => [signed(r, 'x', [2, 3, 4])],
    wrt: ['x'],
    build: (b) => b.op('ReduceSum', ['x', ints(b, [0, -1])], { keepdims: 0 }),
  },
  {
    name: 'ReduceSum over all axes',
    inputs: (r) => [signed(r, 'x', [2, 3])],
    wrt: ['x'],
    build: (b) => b.op('ReduceSum', ['x']),
  },
  {
    name: 'ReduceMean over an axes attribute',
    inputs: (r) => [signed(r, 'x', [2, 3, 4])],
    wrt: ['x'],
    build: (b) => b.op('ReduceMean', ['x'], { axes: [1], keepdims: 1 }),
  },
  {
    name: 'ReduceL2',
    inputs: (r) => [signed(r, 'x', [3, 4])],
    wrt: ['x'],
    build: (b) => b.op('ReduceL2', ['x'], { axes: [1], keepdims: 0 }),
  },
  {
    name: 'Reshape',
    inputs: (r) => [signed(r, 'x', [2, 3, 4])],
    wrt: ['x'],
    build: (b) => b.op('Mul', [b.op('Reshape', ['x', ints(b, [4, -1])]), b.constantFloat([1, 2, 3, 4, 5, 6], [6])]),
  },
  {
    name: 'Flatten',
    inputs: (r) => [signed(r, 'x', [2, 3, 2])],
    wrt: ['x'],
    build: (b) => b.op('Mul', [b.op('Flatten', ['x'], { axis: 2 }), b.constantFloat([2, -1], [2])]),
  },
  {
    name: 'Transpose',
    inputs: (r) => [signed(r, 'x', [2, 3, 4])],
    wrt: ['x'],
    build: (b) => b.op('Mul', [b.op('Transpose', ['x'], { perm: [2, 0, 1] }), b.constantFloat([1, 2, 3], [3])]),
  },
  {
    name: 'Unsqueeze and Squeeze',
    inputs: (r) => [signed(r, 'x', [3, 1, 2])],
    wrt: ['x'],
    build: (b) => b.op('Unsqueeze', [b.op('Squeeze', ['x', ints(b, [1])]), ints(b, [0, 3])]),
  },
  {
    name: 'Expand',
    inputs: (r) => [signed(r, 'x', [3, 1])],
    wrt: ['x'],
    build: (b) => b.op('Expand', ['x', ints(b, [2, 3, 4])]),
  },
  {
    name: 'Tile',
    inputs: (r) => [signed(r, 'x', [2, 1, 3])],
    wrt: ['x'],
    build: (b) => b.op('Tile', ['x', ints(b, [2, 3, 1])]),
  },
  {
    name: 'Concat with a constant part',
    inputs: (r) => [signed(r, 'x', [2, 2]), signed(r, 'w', [2, 3])],
    wrt: ['x', 'w'],
    build: (b) => b.op('Concat', ['x', b.constantFloat([1, 2], [2, 1]), 'w', 'x'], { axis: 1 }),
  },
  {
    name: 'Split with an unused part',
    inputs: (r) => [signed(r, 'x', [2, 6])],
    wrt: ['x'],
    build: (b) => {
      const [s0, , s2] = b.node('Split', ['x', ints(b, [1, 2, 3])], { outputs: 3, attributes: { axis: 1 } });
      return b.op('Mul', [s0!, s2!]);
    },
  },
  {
    name: 'Slice with negative indices, steps and reversal',
    inputs: (r) => [signed(r, 'x', [4, 5, 6])],
    wrt: ['x'],
    build: (b) =>
      b.op('Slice', ['x', ints(b, [1, -1, 0]), ints(b, [-1, -100, 6]), ints(b, [0, 2, 1]), ints(b, [1, -2, 2])]),
  },
  {
    name: 'Slice with unit steps',
    inputs: (r) => [signed(r, 'x', [3, 5])],
    wrt: ['x'],
    build: (b) => b.op('Slice', ['x', ints(b, [1]), ints(b, [4]), ints(b, [1])]),
  },
  {
    name: 'Pad constant with positive and negative pads',
    inputs: (r) => [signed(r, 'x', [2, 3, 4])],
    wrt: ['x'],
    build: (b) => b.op('Pad', ['x', ints(b, [0, 1, -1, 1, 2, 0]), scalar(b, 0.5)], { mode: 'constant' }),
  },
  {
    name: 'Pad reflect',
    inputs: (r) => [signed(r, 'x', [1, 2, 4, 5])],
    wrt: ['x'],
    build: (b) => b.op('Pad', ['x', ints(b, [0, 0, 2, 1, 0, 0, 3, 2])], { mode: 'reflect' }),
  },
  {
    name: 'Pad edge',
    inputs: (r) => [signed(r, 'x', [2, 3])],
    wrt: ['x'],
    build: (b) => b.op('Pad', ['x', ints(b, [1, 2, 2, 0])], { mode: 'edge' }),
  },
  {
    name: 'Gather with repeated and negative indices',
    inputs: (r) => [signed(r, 'x', [2, 4, 3])],
    wrt: ['x'],
    build: (b) => b.op('Gather', ['x', b.constantInt64([0, 2, 2, -1], [2, 2])], { axis: 1 }),
  },
  {
    name: 'Gather with indices computed in the graph (one-hot gradient)',
    inputs: (r) => [signed(r, 'x', [3, 5])],
    wrt: ['x'],
    build: (b) =>
      b.op('Gather', ['x', b.op('Add', [b.constantInt64([0, 3, 3, -2]), b.constantInt64([1], [])])], { axis: 1 }),
  },
  {
    name: 'Gather of a scalar index',
    inputs: (r) => [signed(r, 'x', [4, 3])],
    wrt: ['x'],
    build: (b) => b.op('Gather', ['x', b.constantInt64([2], [])]),
  },
  {
    name: 'Cast through double precision',
    inputs: (r) => [signed(r, 'x', [5])],
    wrt: ['x'],
    build: (b) =>
      b.op(
        'Cast',
        [b.op('Mul', [b.op('Cast', ['x'], { to: DataType.DOUBLE }), b.op('Cast', ['x'], { to: DataType.DOUBLE })])],
        { to: DataType.FLOAT },
      ),
  },
  {
    name: 'Identity',
    inputs: (r) => [signed(r, 'x', [4])],
    wrt: ['x'],
    build: (b) => b.op('Mul', [b.op('Identity', ['x']), scalar(b, 3)]),
  },
  {
    name: 'Dropout in inference mode',
    inputs: (r) => [signed(r, 'x', [4])],
    wrt: ['x'],
    build: (b) =>
      b.node(
        'Dropout',
        [
          'x',
          scalar(b, 0.3),
          b.initializer(
            onnx.TensorProto.create({ name: 'training_mode', dims: [], dataType: DataType.BOOL, int32Data: [0] }),
          ),
        ],
        { outputs: 2 },
      )[0]!,
  },
  {
    name: 'shape-derived constants pass through',
    inputs: (r) => [signed(r, 'x', [2, 6])],
    wrt: ['x'],
    build: (b) => {
      const shape = b.op('Shape', ['x']);
      const cols = b.op('Cast', [b.op('Gather', [shape, b.constantInt64([1], [])], { axis: 0 })], {
        to: DataType.FLOAT,
      });
      const target = b.op(
        'Concat',
        [b.op('Gather', [shape, b.constantInt64([0], [1])], { axis: 0 }), ints(b, [3, -1])],
        { axis: 0 },
      );
      return b.op('Div', [b.op('Reshape', ['x', target]), b.op('Sqrt', [cols])]);
    },
  },
  {
    name: 'Resize linear half_pixel upsampling by scales',
    inputs: (r) => [signed(r, 'x', [1, 2, 3, 4])],
    wrt: ['x'],
    build: (b) => b.op('Resize', ['x', '', b.constantFloat([1, 1, 2, 1.5])], { mode: 'linear' }),
  },
  {
    name: 'Resize linear align_corners downsampling by sizes',
    inputs: (r) => [signed(r, 'x', [1, 1, 5, 7])],
    wrt: ['x'],
    build: (b) =>
      b.op('Resize', ['x', '', '', ints(b, [1, 1, 3, 4])], {
        mode: 'linear',
        coordinate_transformation_mode: 'align_corners',
      }),
  },
  {
    name: 'Resize linear pytorch_half_pixel',
    inputs: (r) => [signed(r, 'x', [1, 1, 4, 3])],
    wrt: ['x'],
    build: (b) =>
      b.op('Resize', ['x', '', '', ints(b, [1, 1, 7, 1])], {
        mode: 'linear',
        coordinate_transformation_mode: 'pytorch_half_pixel',
      }),
  },
  {
    name: 'Resize nearest asymmetric floor',
    inputs: (r) => [signed(r, 'x', [1, 2, 3, 3])],
    wrt: ['x'],
    build: (b) =>
      b.op('Resize', ['x', '', b.constantFloat([1, 1, 2, 2])], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      }),
  },
  {
    name: 'Resize nearest half_pixel round_prefer_floor downsampling',
    inputs: (r) => [signed(r, 'x', [1, 1, 7, 6])],
    wrt: ['x'],
    build: (b) => b.op('Resize', ['x', '', '', ints(b, [1, 1, 3, 4])], { mode: 'nearest' }),
  },
  {
    name: 'AveragePool excluding padding',
    inputs: (r) => [signed(r, 'x', [2, 2, 5, 6])],
    wrt: ['x'],
    build: (b) => b.op('AveragePool', ['x'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  },
  {
    name: 'AveragePool including padding, ceil mode',
    inputs: (r) => [signed(r, 'x', [1, 2, 6, 5])],
    wrt: ['x'],
    build: (b) =>
      b.op('AveragePool', ['x'], {
        kernel_shape: [3, 2],
        strides: [2, 2],
        pads: [1, 0, 0, 1],
        count_include_pad: 1,
        ceil_mode: 1,
      }),
  },
  {
    // StyleGAN3's m[:, 0, 1] = -t[:, 1]: a batch of rows written into a matrix that depends on the input too.
    name: 'ScatterND into a differentiable tensor',
    inputs: (r) => [signed(r, 'm', [2, 3, 3]), signed(r, 't', [2])],
    wrt: ['m', 't'],
    build: (b) => b.op('ScatterND', ['m', b.constantInt64([0, 0, 1, 1, 0, 1], [2, 3]), 't']),
  },
  {
    name: 'ScatterND of whole rows',
    inputs: (r) => [signed(r, 'm', [4, 3]), signed(r, 'u', [2, 3])],
    wrt: ['m', 'u'],
    build: (b) => b.op('ScatterND', ['m', b.constantInt64([3, 1], [2, 1]), 'u']),
  },
  {
    name: 'GlobalAveragePool',
    inputs: (r) => [signed(r, 'x', [2, 3, 3, 4])],
    wrt: ['x'],
    build: (b) => b.op('GlobalAveragePool', ['x']),
  },
  {
    name: 'MaxPool with overlapping windows and padding',
    inputs: (r) => [distinct(r, 'x', [1, 2, 5, 5])],
    wrt: ['x'],
    build: (b) => b.op('MaxPool', ['x'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  },
  {
    name: 'MaxPool with dilations and ceil mode',
    inputs: (r) => [distinct(r, 'x', [1, 2, 6, 7])],
    wrt: ['x'],
    build: (b) => b.op('MaxPool', ['x'], { kernel_shape: [2, 2], strides: [2, 2], dilations: [2, 1], ceil_mode: 1 }),
  },
];

describe.each([13, 17])('gradient rules against central finite differences (opset %i)', (opset) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const inputs = c.inputs(random(c.name.length * 31 + opset));
    const model = singleOutputModel(opset, inputs, c.build);
    const errors = await gradCheck(model, inputs, c.wrt);
    for (const name of c.wrt) expect(errors[name], `gradient of ${name}`).toBeLessThan(TOLERANCE);
  });
});
