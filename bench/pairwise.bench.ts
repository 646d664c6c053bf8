/**
 * The pairwise engine against today's float64 JavaScript kernels and against the GEMM bound
 * (onnxruntime's plain MatMuls of the same shapes, no per-pair work), side by side in one process:
 * repulsion N × N, exclusion N × gallery, top-10 search N × gallery, all at D = 512 on clustered
 * embeddings (about half the pairs within d0: the heavy end of what a run meets).
 *
 * Sizes come from the environment, so that the largest cases can be run once and the rest often:
 *   BENCH_REPULSION_N="10000,50000"  BENCH_EXCLUSION="10000x100000"  BENCH_TOPK="10000x100000"
 *   BENCH_REFERENCE_MAX_PAIRS=50000000: above this many pairs the JavaScript kernel runs on the
 *   first rows only and its time is scaled by the ratio of pairs (stated in the row).
 */
import { unitRows, type UnitRows } from '../services/worker/src/diffusion/angular.js';
import * as reference from '../services/worker/src/diffusion/repulsion.js';
import { CounterRng, RandomStream } from '../services/worker/src/diffusion/rng.js';
import { tileDots } from '../services/worker/src/diffusion/tileDots.js';
import { galleryExclusion, pairRepulsion } from '../services/worker/src/pairwise/angularRepulsion.js';
import { PairwiseEngine } from '../services/worker/src/pairwise/engine.js';
import { GraphBuilder } from '../services/worker/src/onnx/graphBuilder.js';
import { onnx } from '../services/worker/src/onnx/proto.js';
import { packPanels, type Panel } from '../services/worker/src/pairwise/panels.js';
import { DataType } from '../services/worker/src/onnx/tensor.js';
import { float32 } from '../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../services/worker/src/runtime/session.js';
import { searchTopK } from '../services/worker/src/pairwise/topK.js';
import { cpus, loadavg } from 'node:os';
import type { BenchReport } from './report.js';
import { worstRowError } from '../test/support/forceError.js';

const DIM = 512;
const RADIUS = 1.4;
const TOP = 10;
const MIB = 1024 * 1024;

function sizes(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const maxReferencePairs = Number(process.env.BENCH_REFERENCE_MAX_PAIRS ?? 5e7);

/** Rows around one shared direction; `stream` keeps identities and galleries independent. */
function clustered(count: number, iteration: number): Float32Array {
  const rng = new CounterRng(20240500n);
  const shared = new Float64Array(DIM);
  rng.normalRow({ stream: RandomStream.initialLatent, iteration: 1000, index: 0 }, shared, 0, DIM);
  const rows = new Float32Array(count * DIM);
  const row = new Float64Array(DIM);
  for (let i = 0; i < count; i++) {
    rng.normalRow({ stream: RandomStream.initialLatent, iteration, index: i }, row, 0, DIM);
    for (let d = 0; d < DIM; d++) rows[i * DIM + d] = row[d]! + 0.45 * shared[d]!;
  }
  return rows;
}

function firstRows(e: UnitRows, count: number): UnitRows {
  return { count, dim: e.dim, unit: e.unit.subarray(0, count * e.dim), norms: e.norms.subarray(0, count) };
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

interface Timed<T> {
  seconds: number;
  value: T;
  /** Growth of the process's peak RSS during the call, MiB (0 when it stayed under an earlier peak). */
  peakGrowthMiB: number;
}

async function timed<T>(run: () => Promise<T> | T): Promise<Timed<T>> {
  const before = process.resourceUsage().maxRSS;
  const start = performance.now();
  const value = await run();
  const seconds = (performance.now() - start) / 1000;
  return { seconds, value, peakGrowthMiB: (process.resourceUsage().maxRSS - before) / 1024 };
}

/**
 * Opens the engine's force-tile sessions (one per tile shape, kept for the process: a run opens
 * them once for all its iterations) on two tiles' worth of the rows, so that the timed calls do not
 * include graph optimisation.
 */
async function warmUp(engine: PairwiseEngine, e: UnitRows): Promise<void> {
  const rows = Math.min(e.count, engine.forcePlan(DIM).tileRows + 1);
  await pairRepulsion(engine, firstRows(e, rows), { coefficient: 1, radius: RADIUS }, RADIUS);
}

/** onnxruntime's plain float32 MatMul: Y = W·V, the weighted sums' shape. */
async function matMulSession(): Promise<Session> {
  const builder = GraphBuilder.empty('plain_matmul');
  builder.input('w', DataType.FLOAT, ['m', 'n']);
  builder.input('v', DataType.FLOAT, ['n', 'dim']);
  builder.node('MatMul', ['w', 'v'], { outputs: ['y'] });
  builder.output('y', DataType.FLOAT, ['m', 'dim']);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: builder.graph,
  });
  return createSession(model, { provider: 'cpu' });
}

/** W (outputs × inner, any values) times the panel `values` (inner × dim). */
async function weighted(session: Session, weights: Float32Array, outputs: Panel, values: Panel) {
  await runSession(session, {
    w: float32([outputs.rows, values.rows], weights.subarray(0, outputs.rows * values.rows)),
    v: float32([values.rows, values.dim], values.data as Float32Array),
  });
}

/**
 * The GEMM bound of `pairRepulsion`: onnxruntime's plain float32 MatMuls of the same shapes, with
 * nothing per pair: per upper-triangle tile the similarities A·Bᵀ and the weighted sums W·B and
 * (off the diagonal) Wᵀ·A.
 */
async function repulsionGemms(engine: PairwiseEngine, matMul: Session, e: UnitRows): Promise<void> {
  const { tileRows, tileType } = engine.plan(DIM, 'forces');
  const panels = packPanels(e.unit, e.count, DIM, tileRows, tileType);
  const weights = new Float32Array(panels[0]!.rows * panels[0]!.rows).fill(1e-3);
  for (const [r, rows] of panels.entries()) {
    for (let c = r; c < panels.length; c++) {
      const cols = panels[c]!;
      await engine.similarities(rows, cols);
      await weighted(matMul, weights, rows, cols);
      if (c !== r) await weighted(matMul, weights, cols, rows);
    }
  }
}

/** The upper-triangle similarity tiles alone: the plain float32 MatMul of N × D by D × N, halved. */
async function similarityGemms(engine: PairwiseEngine, e: UnitRows): Promise<void> {
  const { tileRows, tileType } = engine.plan(DIM, 'forces');
  const panels = packPanels(e.unit, e.count, DIM, tileRows, tileType);
  for (const [r, rows] of panels.entries())
    for (let c = r; c < panels.length; c++) await engine.similarities(rows, panels[c]!);
}

/** The GEMM bound of `galleryExclusion`: per tile A·Bᵀ and W·B, plain float32 MatMuls. */
async function exclusionGemms(engine: PairwiseEngine, matMul: Session, e: UnitRows, gallery: UnitRows): Promise<void> {
  const { tileRows, tileType } = engine.plan(DIM, 'forces');
  const rowPanels = packPanels(e.unit, e.count, DIM, tileRows, tileType);
  const weights = new Float32Array(rowPanels[0]!.rows * tileRows).fill(1e-3);
  for (let start = 0; start < gallery.count; start += tileRows) {
    const end = Math.min(start + tileRows, gallery.count);
    const [cols] = packPanels(gallery.unit.subarray(start * DIM, end * DIM), end - start, DIM, tileRows, tileType);
    for (const rows of rowPanels) {
      await engine.similarities(rows, cols!);
      await weighted(matMul, weights, rows, cols!);
    }
  }
}

/** float32 similarity tiles of every query against every gallery block: the top-k search's GEMMs. */
async function searchGemms(engine: PairwiseEngine, queries: UnitRows, gallery: UnitRows): Promise<void> {
  const { tileRows, tileType } = engine.plan(DIM, 'screened');
  const queryPanels = packPanels(queries.unit, queries.count, DIM, tileRows, tileType);
  for (const galleryPanel of packPanels(gallery.unit, gallery.count, DIM, tileRows, tileType)) {
    for (const panel of queryPanels) await engine.similarities(panel, galleryPanel);
  }
}

/** Today's way to get a top-k in JavaScript: float64 tiles of dot products, a sorted list per query. */
function referenceTopK(queries: UnitRows, gallery: UnitRows, k: number): Int32Array {
  const tile = 256;
  const dots = new Float64Array(tile * tile);
  const best = new Float64Array(queries.count * k).fill(-Infinity);
  const index = new Int32Array(queries.count * k).fill(-1);
  for (let r = 0; r < queries.count; r += tile) {
    const rowEnd = Math.min(r + tile, queries.count);
    for (let c = 0; c < gallery.count; c += tile) {
      const colEnd = Math.min(c + tile, gallery.count);
      tileDots(queries.unit, r, rowEnd, gallery.unit, c, colEnd, DIM, dots);
      for (let q = r; q < rowEnd; q++) {
        const base = q * k;
        for (let g = c; g < colEnd; g++) {
          const s = dots[(q - r) * (colEnd - c) + g - c]!;
          if (s <= best[base + k - 1]!) continue;
          let p = base + k - 1;
          while (p > base && best[p - 1]! < s) {
            best[p] = best[p - 1]!;
            index[p] = index[p - 1]!;
            p--;
          }
          best[p] = s;
          index[p] = g;
        }
      }
    }
  }
  return index;
}

type Row = Record<string, string | number>;

/** The JavaScript kernel on the first rows when the whole case exceeds maxReferencePairs. */
function referenceRows(count: number, pairsOf: (rows: number) => number): { rows: number; scale: number } {
  let rows = count;
  while (rows > 1 && pairsOf(rows) > maxReferencePairs) rows = Math.floor(rows / 2);
  return { rows, scale: pairsOf(count) / pairsOf(rows) };
}

function caseRows(
  name: string,
  shape: string,
  pairs: number,
  js: { seconds: number; note: string },
  engine: Timed<unknown>,
  bound: Timed<unknown>,
  similarityBound?: Timed<unknown>,
): Row[] {
  const row = (kernel: string, seconds: number): Row => ({
    case: name,
    shape,
    kernel,
    seconds: round(seconds, 2),
    nsPerPair: round((seconds * 1e9) / pairs, 2),
  });
  return [
    row(`JavaScript float64 (today)${js.note}`, js.seconds),
    {
      ...row('engine', engine.seconds),
      speedupVsJavaScript: round(js.seconds / engine.seconds, 1),
      ratioToGemmBound: round(engine.seconds / bound.seconds, 2),
      ...(similarityBound ? { ratioToSimilarityMatMul: round(engine.seconds / similarityBound.seconds, 2) } : {}),
      peakRssGrowthMiB: round(engine.peakGrowthMiB, 0),
    },
    row('GEMM bound (plain MatMuls of the same shapes, no per-pair work)', bound.seconds),
    ...(similarityBound
      ? [row('similarity MatMul alone (float32 tiles of the triangle)', similarityBound.seconds)]
      : []),
  ];
}

export async function bench(): Promise<BenchReport> {
  const loadBefore = loadavg()[0]!;
  const engine = await PairwiseEngine.open('cpu');
  const matMul = await matMulSession();
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    for (const size of sizes('BENCH_REPULSION_N', '10000')) {
      const n = Number(size);
      const e = unitRows(clustered(n, 0), n, DIM);
      const pairsOf = (m: number) => (m * (m - 1)) / 2;
      await warmUp(engine, e);
      const got = await timed(() => pairRepulsion(engine, e, { coefficient: 1, radius: RADIUS }, RADIUS));
      const bound = await timed(() => repulsionGemms(engine, matMul, e));
      const similarity = await timed(() => similarityGemms(engine, e));
      const sub = referenceRows(n, pairsOf);
      const js = await timed(() =>
        reference.pairRepulsion(firstRows(e, sub.rows), { coefficient: 1, radius: RADIUS, tileSize: 256 }, RADIUS),
      );
      const note = sub.rows === n ? '' : ` (first ${sub.rows} rows, time × ${round(sub.scale, 1)})`;
      rows.push(
        ...caseRows(
          'repulsion + pair statistics',
          `${n} × ${n}`,
          pairsOf(n),
          { seconds: js.seconds * sub.scale, note },
          got,
          bound,
          similarity,
        ),
      );
      notes.push(
        `repulsion N = ${n}: ${round(1 - got.value.stats.propIct, 3)} of pairs within d0; recomputed in float64: ` +
          `${got.value.refined.pairs} pairs (${round((100 * got.value.refined.pairs) / pairsOf(n), 2)} %) and ` +
          `${got.value.refined.rows} whole identities; N×N float64 would be ${round((n * n * 8) / MIB, 0)} MiB`,
      );
      if (sub.rows < n) {
        const head = firstRows(e, sub.rows);
        const onEngine = await pairRepulsion(engine, head, { coefficient: 1, radius: RADIUS }, RADIUS);
        notes.push(
          `repulsion N = ${n}, first ${sub.rows} rows: worst relative force error of an identity against the ` +
            `JavaScript kernel ${worstRowError(onEngine.gradient, js.value.gradient, DIM).toExponential(2)}`,
        );
      } else {
        notes.push(
          `repulsion N = ${n}: worst relative force error of an identity against the JavaScript kernel ` +
            worstRowError(got.value.gradient, js.value.gradient, DIM).toExponential(2),
        );
      }
    }
    for (const size of sizes('BENCH_EXCLUSION', '10000x100000')) {
      const [n, m] = size.split('x').map(Number) as [number, number];
      const e = unitRows(clustered(n, 0), n, DIM);
      const gallery = unitRows(clustered(m, 1), m, DIM);
      await galleryExclusion(engine, firstRows(e, 1), firstRows(gallery, 1), { coefficient: 1, radius: RADIUS });
      const got = await timed(() => galleryExclusion(engine, e, gallery, { coefficient: 1, radius: RADIUS }));
      const bound = await timed(() => exclusionGemms(engine, matMul, e, gallery));
      const sub = referenceRows(n, (r) => r * m);
      const js = await timed(() =>
        reference.galleryExclusion(firstRows(e, sub.rows), gallery, { coefficient: 1, radius: RADIUS, tileSize: 256 }),
      );
      const note = sub.rows === n ? '' : ` (first ${sub.rows} rows, time × ${round(sub.scale, 1)})`;
      rows.push(...caseRows('exclusion', `${n} × ${m}`, n * m, { seconds: js.seconds * sub.scale, note }, got, bound));
      const jsWorst = worstRowError(got.value.gradient.subarray(0, sub.rows * DIM), js.value.gradient, DIM);
      notes.push(
        `exclusion ${n} × ${m}: ${got.value.stats.identitiesWithin} identities within c0 = ${RADIUS}; recomputed in ` +
          `float64: ${got.value.refined.pairs} pairs and ${got.value.refined.rows} whole identities; worst relative ` +
          `force error against the JavaScript kernel (its ${sub.rows} rows) ${jsWorst.toExponential(2)}`,
      );
    }
    for (const size of sizes('BENCH_TOPK', '10000x100000')) {
      const [n, m] = size.split('x').map(Number) as [number, number];
      const raw = clustered(n, 2);
      const queries = unitRows(raw, n, DIM);
      const galleryRaw = clustered(m, 3);
      const gallery = unitRows(galleryRaw, m, DIM);
      const got = await timed(() =>
        searchTopK(engine, { queries: raw, queryCount: n, dim: DIM, gallery: galleryRaw, k: TOP }),
      );
      const bound = await timed(() => searchGemms(engine, queries, gallery));
      const sub = referenceRows(n, (r) => r * m);
      const js = await timed(() => referenceTopK(firstRows(queries, sub.rows), gallery, TOP));
      const note = sub.rows === n ? '' : ` (first ${sub.rows} queries, time × ${round(sub.scale, 1)})`;
      rows.push(
        ...caseRows(`top-${TOP} search`, `${n} × ${m}`, n * m, { seconds: js.seconds * sub.scale, note }, got, bound),
      );
      let agree = 0;
      for (let k = 0; k < sub.rows * TOP; k++) if (js.value[k] === got.value.indices[k]) agree++;
      notes.push(
        `top-${TOP} ${n} × ${m}: engine and JavaScript agree on ${agree} of ${sub.rows * TOP} indices of the queries both ran`,
      );
    }
  } finally {
    await engine.release();
    await matMul.release();
  }
  return {
    name: 'pairwise engine (D = 512, CPU)',
    rows,
    notes: [
      ...notes,
      `load average of the machine (1 min): ${round(loadBefore, 1)} at the start, ${round(loadavg()[0]!, 1)} at the ` +
        `end, on ${cpus().length} cores`,
      'engine: onnxruntime CPU (MLAS, default threads); float32 tiles of 1024 rows; repulsion and exclusion run ' +
        'each tile as one graph (similarities, angle, hinge, weights, flags, counts, extremes, distance sums and ' +
        'the weighted sums as MatMuls) and redo in float64 the pairs it flags; top-k recomputes in float64 within ' +
        'the error bound',
      "GEMM bound: onnxruntime's plain float32 MatMuls of the same shapes with nothing per pair (per tile A·Bᵀ, " +
        'and for forces W·B and, off the diagonal, Wᵀ·A, each a tile × tile by tile × D MatMul), timed alone; ' +
        'similarity MatMul alone: the plain ' +
        'N × D by D × N float32 product over the upper triangle',
      'the engine opens one onnxruntime session per tile shape on first use and keeps it (a run opens them once for ' +
        'all its iterations): each case is timed after a warm-up call on a few rows',
      'peak RSS growth: rise of the process high-water mark during the engine call (0 when below an earlier peak); ' +
        'the inputs were resident before',
    ],
  };
}
