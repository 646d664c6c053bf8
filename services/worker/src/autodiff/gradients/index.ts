import type { GradientRule } from '../rule.js';
import { Add } from './Add.js';
import { AveragePool } from './AveragePool.js';
import { BatchNormalization } from './BatchNormalization.js';
import { Cast } from './Cast.js';
import { Clip } from './Clip.js';
import { Concat } from './Concat.js';
import { Conv } from './Conv.js';
import { ConvTranspose } from './ConvTranspose.js';
import { Cos } from './Cos.js';
import { Div } from './Div.js';
import { Dropout } from './Dropout.js';
import { Exp } from './Exp.js';
import { Expand } from './Expand.js';
import { Flatten } from './Flatten.js';
import { Gather } from './Gather.js';
import { Gemm } from './Gemm.js';
import { GlobalAveragePool } from './GlobalAveragePool.js';
import { Identity } from './Identity.js';
import { LeakyRelu } from './LeakyRelu.js';
import { Log } from './Log.js';
import { MatMul } from './MatMul.js';
import { MaxPool } from './MaxPool.js';
import { Mul } from './Mul.js';
import { Neg } from './Neg.js';
import { PRelu } from './PRelu.js';
import { Pad } from './Pad.js';
import { Pow } from './Pow.js';
import { Reciprocal } from './Reciprocal.js';
import { ReduceL2 } from './ReduceL2.js';
import { ReduceMean } from './ReduceMean.js';
import { ReduceSum } from './ReduceSum.js';
import { Relu } from './Relu.js';
import { Reshape } from './Reshape.js';
import { ScatterND } from './ScatterND.js';
import { Resize } from './Resize.js';
import { Sigmoid } from './Sigmoid.js';
import { Sin } from './Sin.js';
import { Slice } from './Slice.js';
import { Split } from './Split.js';
import { Sqrt } from './Sqrt.js';
import { Squeeze } from './Squeeze.js';
import { Sub } from './Sub.js';
import { Tanh } from './Tanh.js';
import { Tile } from './Tile.js';
import { Transpose } from './Transpose.js';
import { Unsqueeze } from './Unsqueeze.js';

/** The one table of gradient rules, by ONNX operator type (default domain). */
export const GRADIENTS: Readonly<Record<string, GradientRule>> = {
  Add,
  AveragePool,
  BatchNormalization,
  Cast,
  Clip,
  Concat,
  Conv,
  ConvTranspose,
  Cos,
  Div,
  Dropout,
  Exp,
  Expand,
  Flatten,
  Gather,
  Gemm,
  GlobalAveragePool,
  Identity,
  LeakyRelu,
  Log,
  MatMul,
  MaxPool,
  Mul,
  Neg,
  PRelu,
  Pad,
  Pow,
  Reciprocal,
  ReduceL2,
  ReduceMean,
  ReduceSum,
  Relu,
  Reshape,
  ScatterND,
  Resize,
  Sigmoid,
  Sin,
  Slice,
  Split,
  Sqrt,
  Squeeze,
  Sub,
  Tanh,
  Tile,
  Transpose,
  Unsqueeze,
};
