/**
 * The GEMMs behind every pairwise computation, as onnxruntime sessions on the run's execution
 * provider: MLAS with all cores on CPU, cuBLAS under CUDA. Two graphs, each a single node:
 *   similarities  Y = A·Bᵀ   (Gemm, transB = 1) in the tile type: dot products of row panels;
 *   weightedRows  Y = W·V    (MatMul, float64): Σ_j w_ij·v_j, the gradients' weighted sums.
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
import { MIN_PANEL_ROWS, tilePlan, type TilePlan } from './tilePlan.js';

export interface PairwiseEngineOptions {
  /**
   * Rows per tile instead of the provider's choice: for tests and benchmarks that need several
   * tiles on small inputs. At least MIN_PANEL_ROWS.
   */
  tileRows?: number;
}

function singleNodeModel(opType: 'Gemm' | 'MatMul', elemType: number): ModelProto {
  const builder = GraphBuilder.empty(`pairwise_${opType}`);
  builder.input('a', elemType, ['m', 'k']);
  builder.input('b', elemType, opType === 'Gemm' ? ['n', 'k'] : ['k', 'n']);
  builder.node(opType, ['a', 'b'], { outputs: ['y'], attributes: opType === 'Gemm' ? { transB: 1 } : {} });
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
    private readonly similaritySession: Session,
    private readonly weightedRowsSession: Session,
  ) {}

  static async open(provider: ExecutionProvider, options: PairwiseEngineOptions = {}): Promise<PairwiseEngine> {
    const { tileRows } = options;
    if (tileRows !== undefined && (!Number.isInteger(tileRows) || tileRows < MIN_PANEL_ROWS)) {
      throw new RangeError(`tileRows must be an integer ≥ ${MIN_PANEL_ROWS}, got ${tileRows}`);
    }
    const tileType = tilePlan(provider, 1).tileType;
    const elemType = tileType === 'float32' ? DataType.FLOAT : DataType.DOUBLE;
    const similaritySession = await createSession(singleNodeModel('Gemm', elemType), { provider });
    const weightedRowsSession = await createSession(singleNodeModel('MatMul', DataType.DOUBLE), { provider });
    return new PairwiseEngine(provider, tileRows, similaritySession, weightedRowsSession);
  }

  plan(dim: number): TilePlan {
    const plan = tilePlan(this.provider, dim);
    return this.tileRowsOverride === undefined ? plan : { ...plan, tileRows: this.tileRowsOverride };
  }

  /** left.rows × right.rows dot products of the two panels' rows, row-major. */
  async similarities(left: Panel, right: Panel): Promise<Float32Array | Float64Array> {
    if (left.dim !== right.dim) throw new RangeError(`panels of dimension ${left.dim} and ${right.dim}`);
    const { y } = await runSession(this.similaritySession, {
      a: tensor(left.data, [left.rows, left.dim]),
      b: tensor(right.data, [right.rows, right.dim]),
    });
    return y!.data as Float32Array | Float64Array;
  }

  /** weights (rows × inner) · values (inner × dim), in float64. */
  async weightedRows(weights: Float64Array, rows: number, inner: number, values: Float64Array, dim: number): Promise<Float64Array> {
    const { y } = await runSession(this.weightedRowsSession, { a: float64([rows, inner], weights), b: float64([inner, dim], values) });
    return y!.data as Float64Array;
  }

  async release(): Promise<void> {
    await this.similaritySession.release();
    await this.weightedRowsSession.release();
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
