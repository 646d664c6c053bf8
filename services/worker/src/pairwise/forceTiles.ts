/**
 * One ONNX graph per tile for the angular repulsion, the exclusion and the pair statistics: the
 * similarity GEMM, the whole per-pair pass (angle, hinge, weight, the pairs float32 cannot decide,
 * extremes, distance sums, counts) and the weighted sums Σ_j β_ij·ê_j as GEMMs, so that
 * onnxruntime runs all of it vectorised on every core. JavaScript only redoes the flagged pairs in
 * float64 and adds the tile's outputs in float64 (angularRepulsion.ts).
 *
 * Per pair, with x = c·s from the GEMM (clipped to ±c) and d = arccos x:
 *   gap     = r − d, as arcsin(sin r·x − cos r·√(1 − x²)) with `arcsineGap` (see the shape)
 *   β'      = gap/√(1 − x²) on weighed pairs (kept, gap > 0), else 0: the weight β = k·c·β'
 *             without the constant k·c, which the caller applies in float64
 *   flagged = valid ∧ (|x| > DUPLICATE_COSINE ∨ |gap| < margin ∨ |d − ict| < margin): redone in
 *             float64; `margin` bounds the float32 error of d (angularRepulsion.ts)
 *   kept    = valid ∧ ¬flagged
 * where `valid` (an input) marks the real pairs of the tile: i < j on a diagonal tile, no padding.
 *
 * Outputs (R = reduction rows, a whole number of blocks per panel; see tilePlan.ts):
 *   pairs         int64 [2, F]: the flagged pairs' (row, column) in the tile, row-major;
 *   pairDistances [F]: their tile d (with `stats`);
 *   rowPartials   [n/R, m, dim]: Σ_{j in block} β'_ij·b_j for each row i of `a` and block of
 *                 `b`; on a diagonal tile β' is made symmetric first, so both ends of a pair get
 *                 their pull here;
 *   rowSlopes     float64 [m, n/R]: Σ_{j in block} (∂β'_ij/∂s)²/c⁴ over the weighed pairs (the
 *                 force's error estimate);
 *   colPartials   [m/R, n, dim] and colSlopes [m/R, n]: the same for the columns (off-diagonal
 *                 tiles), from βᵀ: every partial is the same MatMul of R terms whichever side
 *                 computes it, and the float64 sums are exact in any order;
 *   rowMax, rowMin: the largest and smallest x of a row's kept pairs (−2 and 2 when none);
 *   distances     float64 [m, n/R]: Σ d over each row's valid pairs, per block;
 *   aboveIct:     kept pairs with d > ict (a whole number).
 */
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';
import { COSINE_SCALE } from '../diffusion/angular.js';
import { GraphBuilder } from '../onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../onnx/proto.js';
import { DataType } from '../onnx/tensor.js';
import { createSession, type Session } from '../runtime/session.js';

/** Pairs with |c·s| above this are computed entirely in float64 (see angularRepulsion.ts). */
export const DUPLICATE_COSINE = 0.75;

export interface ForceTileShape {
  /** Row tile = column tile: one panel, pairs i < j only, β' symmetric. */
  diagonal: boolean;
  /** Pull for both operands (identities × identities) or for the rows only (identities × gallery). */
  columns: boolean;
  /** Weighted sums (forces); without them only the statistics. */
  forces: boolean;
  /**
   * r − d as arcsin(sin(r − d)) (see RADIUS_GAP): exact to a few float32 roundings of itself,
   * where the float32 arccos is off by up to an ulp of d that does not average out over pairs.
   * Only valid while r − d stays under π/2 for every unflagged pair: radius ≤ ARCSINE_RADIUS;
   * float32 tiles only (onnxruntime has no double Asin; float64 tiles' arccos is exact enough).
   */
  arcsineGap: boolean;
  /** Distance sums and the ict count (pair statistics); without them only extremes. */
  stats: boolean;
  dim: number;
  /** The tile type: float32 on CPU, float64 under CUDA (tilePlan.ts). */
  elemType: typeof DataType.FLOAT | typeof DataType.DOUBLE;
  /** Rows per reduction block, and whether a panel can hold more than one block. */
  reductionRows: number;
  blocked: boolean;
}

/**
 * The largest radius for `arcsineGap`: unflagged pairs have x ≤ DUPLICATE_COSINE, so d ≥
 * arccos(DUPLICATE_COSINE) and r − d < π/2 below it (with a margin for the tile's x).
 */
export const ARCSINE_RADIUS = Math.PI / 2 + Math.acos(DUPLICATE_COSINE + 1e-4) - 1e-3;

export function forceTileModel(shape: ForceTileShape): ModelProto {
  const { diagonal, columns, forces, arcsineGap, stats, dim, elemType, reductionRows, blocked } = shape;
  const g = GraphBuilder.empty('pairwise_force_tile');
  const scalar = (value: number) => g.constantFloat([value], [], elemType);
  const axes = (values: number[]) => g.constantInt64(values);
  g.input('a', elemType, ['m', dim]);
  if (!diagonal) g.input('b', elemType, ['n', dim]);
  const b = diagonal ? 'a' : 'b';
  g.input('valid', DataType.BOOL, ['m', 'n']);
  // radius: [r_hi, r_lo] or [sin r, cos r, r − the angle of that pair] (RADIUS_GAP in engine.ts).
  for (const name of ['radius', 'ict', 'margin']) g.input(name, elemType, name === 'radius' ? [3] : []);

  // In float64, x = s − (1 − c)·s: c is not a float attribute, and its rounding would shift every
  // distance the same way (1 − c = 1e-6 carries its rounding 1e-6 times smaller). In float32 that
  // shift, 1.3e-9 of x, is lost in the similarity's own rounding. |x| ≤ c keeps arccos and
  // √(1 − x²) finite; only near-duplicates (flagged) reach it.
  const product =
    elemType === DataType.FLOAT
      ? g.op('Gemm', ['a', b], { alpha: COSINE_SCALE, transB: 1 })
      : g.op('Gemm', ['a', b], { transB: 1 });
  const scaled =
    elemType === DataType.FLOAT ? product : g.op('Sub', [product, g.op('Mul', [product, scalar(1 - COSINE_SCALE)])]);
  const x = g.op('Clip', [scaled, scalar(-COSINE_SCALE), scalar(COSINE_SCALE)]);
  const d = elemType === DataType.FLOAT ? g.op('Acos', [x]) : doubleArccos(g, x);
  let flags = g.op('Greater', [g.op('Abs', [x]), scalar(DUPLICATE_COSINE)]);
  const radius = (k: number) => g.op('Gather', ['radius', g.constantInt64([k], [])], { axis: 0 });
  let gap = '';
  let root = '';
  if (forces) {
    root = g.op('Sqrt', [g.op('Sub', [scalar(1), g.op('Mul', [x, x])])]);
    if (arcsineGap) {
      // sin(r − d) = sin r·x − cos r·√(1 − x²)
      const sine = g.op('Sub', [g.op('Mul', [x, radius(0)]), g.op('Mul', [root, radius(1)])]);
      gap = g.op('Add', [g.op('Asin', [g.op('Clip', [sine, scalar(-1), scalar(1)])]), radius(2)]);
    } else {
      gap = g.op('Add', [g.op('Sub', [radius(0), d]), radius(1)]);
    }
    flags = g.op('Or', [flags, g.op('Less', [g.op('Abs', [gap]), 'margin'])]);
  }
  if (stats) flags = g.op('Or', [flags, g.op('Less', [g.op('Abs', [g.op('Sub', [d, 'ict'])]), 'margin'])]);
  const flagged = g.op('And', [flags, 'valid']);
  g.node('NonZero', [flagged], { outputs: ['pairs'] });
  g.output('pairs', DataType.INT64, [2, 'flagged']);
  if (stats) {
    // Their tile distances: the caller swaps the duplicates' for float64 ones in the mean.
    g.node('GatherND', [d, g.op('Transpose', ['pairs'], { perm: [1, 0] })], { outputs: ['pairDistances'] });
    g.output('pairDistances', elemType, ['flagged']);
  }
  const kept = g.op('Xor', ['valid', flagged]);

  const blockedMatMul = (weights: string, values: string, output: string) => {
    if (!blocked) {
      g.node('MatMul', [weights, values], { outputs: [output] });
      return;
    }
    // [rows, blocks·R] → [blocks, rows, R] against [blocks, R, dim]: one R-term product per block.
    const split = g.op('Reshape', [weights, axes([0, -1, reductionRows])]);
    const byBlock = g.op('Transpose', [split], { perm: [1, 0, 2] });
    const valueBlocks = g.op('Reshape', [values, axes([-1, reductionRows, dim])]);
    g.node('MatMul', [byBlock, valueBlocks], { outputs: [output] });
  };
  // Σ per block of R along the rows ([m, n/R]) or down the columns ([m/R, n]), in float64: sums of
  // float32 values within 2^19 of each other, exact in any order (angularRepulsion.ts).
  const blockSums = (values: string, along: 'rows' | 'columns', output: string) => {
    const wide = g.op('Cast', [values], { to: DataType.DOUBLE });
    const columnsShape = () => {
      const width = g.op('Slice', [g.op('Shape', [wide]), axes([1]), axes([2])]);
      return g.op('Concat', [axes([-1, reductionRows]), width], { axis: 0 });
    };
    const split = g.op('Reshape', [wide, along === 'rows' ? axes([0, -1, reductionRows]) : columnsShape()]);
    g.node('ReduceSum', [split, axes([along === 'rows' ? 2 : 1])], { outputs: [output], attributes: { keepdims: 0 } });
    g.output(output, DataType.DOUBLE);
  };

  if (forces) {
    const weighed = g.op('And', [kept, g.op('Greater', [gap, scalar(0)])]);
    const weight = g.op('Div', [g.op('Where', [weighed, gap, scalar(0)]), root]);
    // |∂β'/∂s|/c² = (1 + (r − d)·x/√(1 − x²))/√(1 − x²) for the weighed pairs, squared.
    const ones = g.op('Cast', [weighed], { to: elemType });
    const slope = g.op('Div', [g.op('Add', [ones, g.op('Mul', [weight, x])]), root]);
    const squared = g.op('Mul', [slope, slope]);
    const symmetric = (m: string) => g.op('Add', [m, g.op('Transpose', [m], { perm: [1, 0] })]);
    const beta = diagonal ? symmetric(weight) : weight;
    const slopes = diagonal ? symmetric(squared) : squared;
    blockedMatMul(beta, b, 'rowPartials');
    g.output('rowPartials', elemType);
    blockSums(slopes, 'rows', 'rowSlopes');
    if (columns && !diagonal) {
      blockedMatMul(g.op('Transpose', [beta], { perm: [1, 0] }), 'a', 'colPartials');
      g.output('colPartials', elemType);
      blockSums(slopes, 'columns', 'colSlopes');
    }
  }
  g.node('ReduceMax', [g.op('Where', [kept, x, scalar(-2)])], {
    outputs: ['rowMax'],
    attributes: { axes: [1], keepdims: 0 },
  });
  g.output('rowMax', elemType, ['m']);
  if (stats) {
    g.node('ReduceMin', [g.op('Where', [kept, x, scalar(2)])], {
      outputs: ['rowMin'],
      attributes: { axes: [1], keepdims: 0 },
    });
    g.output('rowMin', elemType, ['m']);
    const distances = g.op('Cast', [g.op('Where', ['valid', d, scalar(0)])], { to: DataType.DOUBLE });
    const perBlock = g.op('Reshape', [distances, axes([0, -1, reductionRows])]);
    g.node('ReduceSum', [perBlock, axes([2])], { outputs: ['distances'], attributes: { keepdims: 0 } });
    g.output('distances', DataType.DOUBLE, ['m', 'blocks']);
    const above = g.op('Cast', [g.op('And', [g.op('Greater', [d, 'ict']), kept])], { to: elemType });
    g.node('ReduceSum', [above], { outputs: ['aboveIct'], attributes: { keepdims: 0 } });
    g.output('aboveIct', elemType, []);
  }
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: g.graph });
}

/**
 * arccos in float64 (onnxruntime has no double Acos): the float32 one, then a Newton step on
 * cos d = x, d ← d + (cos d − x)/sin d, which squares its 1e-7 error (d ≥ arccos c = 1.4e-3).
 */
function doubleArccos(g: GraphBuilder, x: string): string {
  const start = g.op('Cast', [g.op('Acos', [g.op('Cast', [x], { to: DataType.FLOAT })])], { to: DataType.DOUBLE });
  const step = g.op('Div', [g.op('Sub', [g.op('Cos', [start]), x]), g.op('Sin', [start])]);
  return g.op('Add', [start, step]);
}

/** The sessions of the force-tile graphs, opened on first use of each shape. */
export class ForceTileSessions {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(private readonly provider: ExecutionProvider) {}

  get(shape: ForceTileShape): Promise<Session> {
    const key = JSON.stringify(shape);
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = createSession(forceTileModel(shape), { provider: this.provider });
      session.catch(() => this.sessions.delete(key));
      this.sessions.set(key, session);
    }
    return session;
  }

  async release(): Promise<void> {
    for (const session of this.sessions.values()) await (await session).release();
    this.sessions.clear();
  }
}
