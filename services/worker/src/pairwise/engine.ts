/**
 * The GEMMs behind every pairwise computation, as onnxruntime sessions on the run's execution
 * provider: MLAS with all cores on CPU, cuBLAS under CUDA:
 *   similarities   Y = A·Bᵀ  in float32 or float64 (the panels' type): dot products of row panels;
 *   weightedRows   Y = W·V or Wᵀ·V in float64: Σ_j w_ij·v_j, the latent repulsion's weighted sums;
 *   blockPartials  the same sums split into reduction blocks of REDUCTION_ROWS values each, one
 *                  partial per block (a batched MatMul), in the tile type: the angular forces'
 *                  weighted sums, added up by the caller in float64 in ascending block order so
 *                  that a row's sum does not depend on where the tiles begin and end.
 * Everything per pair (angles, hinges, weights, statistics, top-k) happens in the callers' tight
 * loops over the tiles these return.
 */
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';
import { GraphBuilder } from '../onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../onnx/proto.js';
import { DataType } from '../onnx/tensor.js';
import { float32, float64, type HostTensor } from '../runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../runtime/session.js';
import type { Panel } from './panels.js';
import {
  MIN_PANEL_ROWS,
  REDUCTION_ROWS,
  tilePlan,
  type TilePlan,
  type TilePurpose,
  type TileType,
} from './tilePlan.js';

export interface PairwiseEngineOptions {
  /**
   * Rows per tile instead of the provider's choice: for tests and benchmarks that need several
   * tiles on small inputs. At least MIN_PANEL_ROWS.
   */
  tileRows?: number;
}

function singleNodeModel(elemType: number, transpose: { a: 0 | 1; b: 0 | 1 }): ModelProto {
  const builder = GraphBuilder.empty('pairwise_gemm');
  builder.input('a', elemType, transpose.a ? ['k', 'm'] : ['m', 'k']);
  builder.input('b', elemType, transpose.b ? ['n', 'k'] : ['k', 'n']);
  builder.node('Gemm', ['a', 'b'], { outputs: ['y'], attributes: { transA: transpose.a, transB: transpose.b } });
  builder.output('y', elemType, ['m', 'n']);
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: builder.graph });
}

/**
 * Partials of W·V per reduction block of V's rows. `rows` side: w is the tile's weights (m × n,
 * given as [m, n/B, B]) against the column panel ([n/B, B, dim]); `columns` side: the same
 * weights read down the columns (given as [m/B, B, n]) against the row panel ([m/B, B, dim]).
 * Both transpose to [blocks, outputRows, B] and multiply block by block: every partial is a dot
 * product of B terms in the same order, whichever side computes it.
 */
function blockPartialsModel(elemType: number, side: PartialSide): ModelProto {
  const builder = GraphBuilder.empty('pairwise_block_partials');
  builder.input('w', elemType, side === 'rows' ? ['m', 'blocks', REDUCTION_ROWS] : ['blocks', REDUCTION_ROWS, 'n']);
  builder.input('v', elemType, ['blocks', REDUCTION_ROWS, 'dim']);
  const perm = side === 'rows' ? [1, 0, 2] : [0, 2, 1];
  const blocked = builder.op('Transpose', ['w'], { perm });
  builder.node('MatMul', [blocked, 'v'], { outputs: ['y'] });
  builder.output('y', elemType, ['blocks', 'out', 'dim']);
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: builder.graph });
}

/** Which operand's rows the partial sums are for: the row panel's or the column panel's. */
export type PartialSide = 'rows' | 'columns';

function tensor(data: Float32Array | Float64Array, dims: number[]): HostTensor {
  return data instanceof Float32Array ? float32(dims, data) : float64(dims, data);
}

export class PairwiseEngine {
  private constructor(
    readonly provider: ExecutionProvider,
    private readonly tileRowsOverride: number | undefined,
    private readonly similaritySessions: Readonly<Record<TileType, Session>>,
    private readonly weightedRowsSession: Session,
    private readonly transposedWeightedRowsSession: Session,
    private readonly partialSessions: Readonly<Record<TileType, Readonly<Record<PartialSide, Session>>>>,
  ) {}

  static async open(provider: ExecutionProvider, options: PairwiseEngineOptions = {}): Promise<PairwiseEngine> {
    const { tileRows } = options;
    if (
      tileRows !== undefined &&
      (!Number.isInteger(tileRows) || tileRows < MIN_PANEL_ROWS || tileRows % REDUCTION_ROWS)
    ) {
      throw new RangeError(
        `tileRows must be a multiple of ${REDUCTION_ROWS}, at least ${MIN_PANEL_ROWS}, got ${tileRows}`,
      );
    }
    const similaritySessions = {
      float32: await createSession(singleNodeModel(DataType.FLOAT, { a: 0, b: 1 }), { provider }),
      float64: await createSession(singleNodeModel(DataType.DOUBLE, { a: 0, b: 1 }), { provider }),
    };
    const weightedRowsSession = await createSession(singleNodeModel(DataType.DOUBLE, { a: 0, b: 0 }), { provider });
    const transposedSession = await createSession(singleNodeModel(DataType.DOUBLE, { a: 1, b: 0 }), { provider });
    const partialSessions = {
      float32: {
        rows: await createSession(blockPartialsModel(DataType.FLOAT, 'rows'), { provider }),
        columns: await createSession(blockPartialsModel(DataType.FLOAT, 'columns'), { provider }),
      },
      float64: {
        rows: await createSession(blockPartialsModel(DataType.DOUBLE, 'rows'), { provider }),
        columns: await createSession(blockPartialsModel(DataType.DOUBLE, 'columns'), { provider }),
      },
    };
    return new PairwiseEngine(
      provider,
      tileRows,
      similaritySessions,
      weightedRowsSession,
      transposedSession,
      partialSessions,
    );
  }

  plan(dim: number, purpose: TilePurpose): TilePlan {
    const plan = tilePlan(this.provider, dim, purpose);
    return this.tileRowsOverride === undefined ? plan : { ...plan, tileRows: this.tileRowsOverride };
  }

  /** left.rows × right.rows dot products of the two panels' rows, row-major. */
  async similarities(left: Panel, right: Panel): Promise<Float32Array | Float64Array> {
    if (left.dim !== right.dim) throw new RangeError(`panels of dimension ${left.dim} and ${right.dim}`);
    const type = left.data instanceof Float32Array ? 'float32' : 'float64';
    if (type !== (right.data instanceof Float32Array ? 'float32' : 'float64'))
      throw new RangeError('panels of different types');
    const { y } = await runSession(this.similaritySessions[type], {
      a: tensor(left.data, [left.rows, left.dim]),
      b: tensor(right.data, [right.rows, right.dim]),
    });
    return y!.data as Float32Array | Float64Array;
  }

  /**
   * Σ_j w_ij·v_j in float64: weights (rows × inner, row-major) times values (inner × dim), or with
   * `transposed` the weights stored inner × rows, i.e. Σ_j w_ji·v_j.
   */
  async weightedRows(
    weights: Float64Array,
    rows: number,
    inner: number,
    values: Float64Array,
    dim: number,
    transposed = false,
  ): Promise<Float64Array> {
    const session = transposed ? this.transposedWeightedRowsSession : this.weightedRowsSession;
    const { y } = await runSession(session, {
      a: float64(transposed ? [inner, rows] : [rows, inner], weights),
      b: float64([inner, dim], values),
    });
    return y!.data as Float64Array;
  }

  /**
   * Block partials of a tile's weighted sums. `weights` is left.rows × right.rows, row-major, in
   * the panels' type. Side `rows`: P[b][a] = Σ_{k<B} w[a][bB + k]·right[bB + k], for the left
   * panel's rows a and the right panel's blocks b; side `columns`: P[b][c] = Σ_k w[bB + k][c]·
   * left[bB + k], for the right panel's rows c and the left panel's blocks b. Returns
   * [blocks × outputRows × dim], row-major.
   */
  async blockPartials(
    weights: Float32Array | Float64Array,
    left: Panel,
    right: Panel,
    side: PartialSide,
  ): Promise<Float32Array | Float64Array> {
    const type = weights instanceof Float32Array ? 'float32' : 'float64';
    const values = side === 'rows' ? right : left;
    if (values.data instanceof Float32Array !== (type === 'float32'))
      throw new RangeError('weights and panels of different types');
    if (left.rows % REDUCTION_ROWS || right.rows % REDUCTION_ROWS)
      throw new RangeError(`panel rows must be multiples of ${REDUCTION_ROWS}`);
    if (weights.length !== left.rows * right.rows)
      throw new RangeError(`expected ${left.rows} × ${right.rows} weights, got ${weights.length}`);
    const blocks = values.rows / REDUCTION_ROWS;
    const { y } = await runSession(this.partialSessions[type][side], {
      w: tensor(weights, side === 'rows' ? [left.rows, blocks, REDUCTION_ROWS] : [blocks, REDUCTION_ROWS, right.rows]),
      v: tensor(values.data, [blocks, REDUCTION_ROWS, values.dim]),
    });
    return y!.data as Float32Array | Float64Array;
  }

  async release(): Promise<void> {
    for (const sessions of Object.values(this.partialSessions))
      for (const session of Object.values(sessions)) await session.release();
    await this.similaritySessions.float32.release();
    await this.similaritySessions.float64.release();
    await this.weightedRowsSession.release();
    await this.transposedWeightedRowsSession.release();
  }
}

const shared = new Map<ExecutionProvider, Promise<PairwiseEngine>>();

/**
 * The process's engine for `provider`, opened on first use and kept: its two sessions are a few
 * kilobytes of graph, and every run on that provider reuses them.
 */
export function pairwiseEngine(provider: ExecutionProvider): Promise<PairwiseEngine> {
  let engine = shared.get(provider);
  if (engine === undefined) {
    engine = PairwiseEngine.open(provider);
    // A failed open is not cached: the next call tries again.
    engine.catch(() => shared.delete(provider));
    shared.set(provider, engine);
  }
  return engine;
}
