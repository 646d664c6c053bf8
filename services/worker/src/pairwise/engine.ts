/**
 * The GEMMs behind every pairwise computation, as onnxruntime sessions on the run's execution
 * provider: MLAS with all cores on CPU, cuBLAS under CUDA:
 *   similarities   Y = A·Bᵀ  in float32 or float64 (the panels' type): dot products of row panels;
 *   weightedRows   Y = W·V or Wᵀ·V in float64: Σ_j w_ij·v_j, the latent repulsion's weighted sums;
 *   forceTile      the angular repulsion's whole tile (forceTiles.ts): similarities, the per-pair
 *                  pass and the weighted sums per reduction block, in one graph.
 * The per-pair work of the other computations (latent distances, top-k) happens in the callers'
 * tight loops over the similarity tiles.
 */
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';
import { GraphBuilder } from '../onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../onnx/proto.js';
import { DataType } from '../onnx/tensor.js';
import { float32, float64, type HostTensor } from '../runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../runtime/session.js';
import { ARCSINE_RADIUS, ForceTileSessions, type ForceTileShape } from './forceTiles.js';
import type { Panel } from './panels.js';
import {
  MIN_PANEL_ROWS,
  REDUCTION_ROWS,
  reductionRows,
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
  /**
   * Rows per reduction block of the forces' weighted sums instead of the plan's (a whole tile):
   * for tests of bit-identical results across tile sizes. A multiple of REDUCTION_ROWS dividing
   * every tile size used with it.
   */
  reductionRows?: number;
  /** The forces' tile type instead of the plan's: for tests of the float64 (CUDA) graph on CPU. */
  forceTileType?: TileType;
}

/** A force tile's outputs (see forceTiles.ts); those its shape does not compute are absent. */
export interface ForceTileOutputs {
  pairs: BigInt64Array;
  pairDistances?: Float32Array | Float64Array;
  rowPartials?: Float32Array | Float64Array;
  colPartials?: Float32Array | Float64Array;
  rowSlopes?: Float64Array;
  colSlopes?: Float64Array;
  rowMax: Float32Array | Float64Array;
  rowMin?: Float32Array | Float64Array;
  distances?: Float64Array;
  aboveIct?: number;
}

export interface ForceTileScalars {
  radius: number;
  ict: number;
  margin: number;
}

function gemmModel(elemType: number, transpose: { a: 0 | 1; b: 0 | 1 }): ModelProto {
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
    private readonly options: PairwiseEngineOptions,
    private readonly similaritySessions: Readonly<Record<TileType, Session>>,
    private readonly weightedRowsSession: Session,
    private readonly transposedWeightedRowsSession: Session,
    private readonly forceTileSessions: ForceTileSessions,
  ) {}

  static async open(provider: ExecutionProvider, options: PairwiseEngineOptions = {}): Promise<PairwiseEngine> {
    for (const [name, rows] of Object.entries({ tileRows: options.tileRows, reductionRows: options.reductionRows })) {
      if (rows !== undefined && (!Number.isInteger(rows) || rows < MIN_PANEL_ROWS || rows % REDUCTION_ROWS))
        throw new RangeError(
          `${name} must be a multiple of ${REDUCTION_ROWS}, at least ${MIN_PANEL_ROWS}, got ${rows}`,
        );
    }
    const { tileRows, reductionRows: blockRows } = options;
    if (tileRows !== undefined && blockRows !== undefined && tileRows % blockRows)
      throw new RangeError(`tileRows ${tileRows} is not a multiple of reductionRows ${blockRows}`);
    const similaritySessions = {
      float32: await createSession(gemmModel(DataType.FLOAT, { a: 0, b: 1 }), { provider }),
      float64: await createSession(gemmModel(DataType.DOUBLE, { a: 0, b: 1 }), { provider }),
    };
    const weightedRowsSession = await createSession(gemmModel(DataType.DOUBLE, { a: 0, b: 0 }), { provider });
    const transposedSession = await createSession(gemmModel(DataType.DOUBLE, { a: 1, b: 0 }), { provider });
    return new PairwiseEngine(
      provider,
      options,
      similaritySessions,
      weightedRowsSession,
      transposedSession,
      new ForceTileSessions(provider),
    );
  }

  plan(dim: number, purpose: TilePurpose): TilePlan {
    const plan = tilePlan(this.provider, dim, purpose);
    return this.options.tileRows === undefined ? plan : { ...plan, tileRows: this.options.tileRows };
  }

  /** The forces' plan with the rows of their reduction blocks (reductionRows in tilePlan.ts). */
  forcePlan(dim: number): TilePlan & { reductionRows: number } {
    const plan = this.plan(dim, 'forces');
    return {
      ...plan,
      tileType: this.options.forceTileType ?? plan.tileType,
      reductionRows: this.options.reductionRows ?? reductionRows(plan),
    };
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
   * One force tile (forceTiles.ts): `left` against `right` (the same panel when `diagonal`), with
   * `valid` (left.rows × right.rows, 1 for the pairs to count) and the hinge's scalars. Panels'
   * rows are whole reduction blocks.
   */
  async forceTile(
    shape: Omit<ForceTileShape, 'dim' | 'elemType' | 'blocked' | 'arcsineGap'>,
    left: Panel,
    right: Panel,
    valid: Uint8Array,
    scalars: ForceTileScalars,
  ): Promise<ForceTileOutputs> {
    const type = left.data instanceof Float32Array ? 'float32' : 'float64';
    if (left.dim !== right.dim) throw new RangeError(`panels of dimension ${left.dim} and ${right.dim}`);
    if (left.rows % shape.reductionRows || right.rows % shape.reductionRows)
      throw new RangeError(`panel rows must be multiples of ${shape.reductionRows}`);
    if (valid.length !== left.rows * right.rows)
      throw new RangeError(`expected ${left.rows} × ${right.rows} valid flags, got ${valid.length}`);
    const arcsineGap = shape.forces && type === 'float32' && scalars.radius <= ARCSINE_RADIUS;
    const session = await this.forceTileSessions.get({
      ...shape,
      arcsineGap,
      dim: left.dim,
      elemType: type === 'float32' ? DataType.FLOAT : DataType.DOUBLE,
      blocked: Math.max(left.rows, right.rows) > shape.reductionRows,
    });
    const values = (...v: number[]) => (type === 'float32' ? Float32Array.from(v) : Float64Array.from(v));
    const scalar = (value: number) => tensor(values(value), []);
    const feeds: Record<string, HostTensor> = {
      a: tensor(left.data, [left.rows, left.dim]),
      valid: { type: 'bool', dims: [left.rows, right.rows], data: valid },
      radius: tensor(radiusTerms(scalars.radius, arcsineGap, values), [3]),
      ict: scalar(scalars.ict),
      margin: scalar(scalars.margin),
    };
    if (!shape.diagonal) feeds.b = tensor(right.data, [right.rows, right.dim]);
    const out = await runSession(session, feeds);
    const data = (name: string) => out[name]?.data as Float32Array | Float64Array | undefined;
    return {
      pairs: out.pairs!.data as BigInt64Array,
      pairDistances: data('pairDistances'),
      rowPartials: data('rowPartials'),
      colPartials: data('colPartials'),
      rowSlopes: data('rowSlopes') as Float64Array | undefined,
      colSlopes: data('colSlopes') as Float64Array | undefined,
      rowMax: data('rowMax')!,
      rowMin: data('rowMin'),
      distances: data('distances') as Float64Array | undefined,
      aboveIct: out.aboveIct === undefined ? undefined : Number(out.aboveIct.data[0]),
    };
  }

  async release(): Promise<void> {
    await this.forceTileSessions.release();
    await this.similaritySessions.float32.release();
    await this.similaritySessions.float64.release();
    await this.weightedRowsSession.release();
    await this.transposedWeightedRowsSession.release();
  }
}

/**
 * RADIUS_GAP: the radius as the graph takes it, so that r − d carries no rounding of r. With
 * `arcsineGap`, sin r and cos r in the tile type are the sine and cosine (to within a factor
 * 1 + O(u)) of an angle r' next to r; the graph computes arcsin(sin(r' − d)) and adds r − r'. Else
 * r = r_hi + r_lo and the graph adds (r_hi − d) + r_lo.
 */
function radiusTerms(
  radius: number,
  arcsineGap: boolean,
  values: (...v: number[]) => Float32Array | Float64Array,
): Float32Array | Float64Array {
  if (!arcsineGap) {
    const high = values(radius)[0]!;
    return values(high, radius - high, 0);
  }
  const [sine, cosine] = values(Math.sin(radius), Math.cos(radius));
  return values(sine!, cosine!, radius - Math.atan2(sine!, cosine!));
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
