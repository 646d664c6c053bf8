/**
 * The GEMMs behind every pairwise computation, as onnxruntime sessions on the run's execution
 * provider: MLAS with all cores on CPU, cuBLAS under CUDA. Three graphs, each a single Gemm node:
 *   similarities  Y = A·Bᵀ  in float32 or float64 (the panels' type): dot products of row panels;
 *   weightedRows  Y = W·V or Wᵀ·V in float64: Σ_j w_ij·v_j, the gradients' weighted sums.
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
import { MIN_PANEL_ROWS, tilePlan, type TilePlan, type TilePurpose, type TileType } from './tilePlan.js';

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
  ) {}

  static async open(provider: ExecutionProvider, options: PairwiseEngineOptions = {}): Promise<PairwiseEngine> {
    const { tileRows } = options;
    if (tileRows !== undefined && (!Number.isInteger(tileRows) || tileRows < MIN_PANEL_ROWS)) {
      throw new RangeError(`tileRows must be an integer ≥ ${MIN_PANEL_ROWS}, got ${tileRows}`);
    }
    const similaritySessions = {
      float32: await createSession(singleNodeModel(DataType.FLOAT, { a: 0, b: 1 }), { provider }),
      float64: await createSession(singleNodeModel(DataType.DOUBLE, { a: 0, b: 1 }), { provider }),
    };
    const weightedRowsSession = await createSession(singleNodeModel(DataType.DOUBLE, { a: 0, b: 0 }), { provider });
    const transposedSession = await createSession(singleNodeModel(DataType.DOUBLE, { a: 1, b: 0 }), { provider });
    return new PairwiseEngine(provider, tileRows, similaritySessions, weightedRowsSession, transposedSession);
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

  async release(): Promise<void> {
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
