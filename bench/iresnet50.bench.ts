/**
 * A pack whose recognizer has insightface r50's full structure (iResNet-50: blocks 3-4-14-3, widths 64-512,
 * 112×112, 43.6 M parameters, random weights), exported from torch by tools/export/make_pack.py with the test's
 * small StyleGAN2-ADA-structured generator. In one process: differentiation with shapes from a probing run
 * (the baseline) against shapes inferred in TypeScript; the first VJP (compose, differentiate, session) and the
 * forward+VJP / forward ratio at batch 1 and 8, the forward measured just before as the baseline; the any-batch
 * gradient graph against the graph built for one batch (build and VJP run); and the RSS the gradient sessions add
 * serving batches 1, 2, 4, 8: one any-batch session against a session per batch (shared weights or own copies).
 * Needs /usr/bin/python3 with torch and onnx (Debian's python3-torch, python3-onnx).
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { differentiateAnyBatch } from '../services/worker/src/autodiff/anyBatch.js';
import { differentiate, gradientName } from '../services/worker/src/autodiff/differentiate.js';
import { loadPack, type LoadedPack } from '../services/worker/src/pack/loadPack.js';
import { composePack, PackModel } from '../services/worker/src/pack/PackModel.js';
import { asFloat32, float32 } from '../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../services/worker/src/runtime/session.js';
import { SharedWeights } from '../services/worker/src/runtime/sharedWeights.js';
import { SeededRandom } from '../services/worker/src/pack/builtin/seededRandom.js';
import { exportPack, landmarks32, makeNetworks } from '../test/tools/export/support.js';
import { packageRoot } from '../src/core/paths.js';
import type { BenchReport } from './report.js';
import type { SessionMemory, SessionVariant } from './sessionMemory.js';

const batches = [1, 8];
const sessionBatches = [1, 2, 4, 8];
const repeats = 5;
const buildRounds = 2;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** max |a − b| / max |b|: 0 when the two graphs give the same bits. */
function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let k = 0; k < b.length; k++) {
    diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
    scale = Math.max(scale, Math.abs(b[k]!));
  }
  return diff / scale;
}

/**
 * The gradient session's build (differentiate, encode, create the session) the old way, shapes from a
 * probing run and the session's own weights, against inferred shapes and shared weights; alternating,
 * fastest of `buildRounds` each.
 */
async function buildRows(pack: LoadedPack): Promise<BenchReport['rows']> {
  const { model, input, output } = composePack(pack);
  const weights = SharedWeights.of(model);
  const build = async (batch: number, before: boolean): Promise<{ differentiate: number; total: number }> => {
    const start = performance.now();
    const gradient = await differentiate(model, { wrt: [input], outputs: [output], batch, probe: before });
    const differentiated = performance.now() - start;
    const session = await createSession(before ? gradient : weights.encode(gradient), { provider: 'cpu' });
    const total = performance.now() - start;
    await session.release();
    return { differentiate: differentiated, total };
  };
  const rows: BenchReport['rows'] = [];
  for (const batch of batches) {
    const old: { differentiate: number; total: number }[] = [];
    const now: { differentiate: number; total: number }[] = [];
    for (let r = 0; r < buildRounds; r++) {
      old.push(await build(batch, true));
      now.push(await build(batch, false));
    }
    const fastest = (list: typeof old, key: 'differentiate' | 'total'): number => Math.min(...list.map((b) => b[key]));
    rows.push({
      measure: 'gradient graph build',
      batch,
      'differentiate, probed shapes ms (baseline)': round(fastest(old, 'differentiate'), 0),
      'differentiate, inferred shapes ms': round(fastest(now, 'differentiate'), 0),
      'build with session, before ms (baseline)': round(fastest(old, 'total'), 0),
      'build with session, now ms': round(fastest(now, 'total'), 0),
      speedup: round(fastest(old, 'total') / fastest(now, 'total'), 1),
    });
  }
  return rows;
}

/**
 * RSS the gradient sessions add while serving batches 1, 2, 4, 8 in turn, in a fresh process per variant
 * (sessionMemory.ts): a session per batch with its own weights or the shared ones, or one any-batch session.
 */
async function memoryRows(packDir: string): Promise<BenchReport['rows']> {
  const measure = (variant: SessionVariant): Promise<SessionMemory[]> =>
    new Promise((resolve, reject) => {
      const child = fork(join(packageRoot, 'dist', 'bench', 'sessionMemory.js'), [
        packDir,
        variant,
        sessionBatches.join(','),
      ]);
      let result: SessionMemory[] | undefined;
      child.on('message', (message) => (result = message as SessionMemory[]));
      child.on('error', reject);
      child.on('exit', (code) =>
        result ? resolve(result) : reject(new Error(`sessionMemory ${variant} exited with ${code}`)),
      );
    });
  const own = await measure('own');
  const shared = await measure('shared');
  const any = await measure('any');
  const total = (list: SessionMemory[]): number => list.reduce((sum, m) => sum + m.rssGrowthMiB, 0);
  const row = (batch: number | string, o: number, s: number, a: number): BenchReport['rows'][number] => ({
    measure: 'gradient session RSS',
    batch,
    'a session per batch, own weights MiB': o,
    'a session per batch, shared weights MiB (baseline)': s,
    'one session for every batch MiB': a,
    'one / per batch': round(a / s, 2),
  });
  return [
    ...sessionBatches.map((batch, k) =>
      row(batch, own[k]!.rssGrowthMiB, shared[k]!.rssGrowthMiB, any[k]!.rssGrowthMiB),
    ),
    row(sessionBatches.join('+'), total(own), total(shared), total(any)),
  ];
}

/**
 * The any-batch gradient graph against the graph built for one batch, in this process: the build
 * (differentiate, encode, create the session) and the median VJP run at that batch, shared weights both.
 */
async function anyBatchRows(pack: LoadedPack): Promise<BenchReport['rows']> {
  const { model, input, output } = composePack(pack);
  const weights = SharedWeights.of(model);
  const build = async (batch?: number): Promise<{ ms: number; session: Session }> => {
    const start = performance.now();
    const gradient =
      batch === undefined
        ? await differentiateAnyBatch(model, { wrt: [input], outputs: [output] })
        : await differentiate(model, { wrt: [input], outputs: [output], batch });
    const session = await createSession(weights.encode(gradient), { provider: 'cpu' });
    return { ms: performance.now() - start, session };
  };
  const anyBatch = await build();
  const rows: BenchReport['rows'] = [];
  try {
    for (const batch of batches) {
      const perBatch = await build(batch);
      const random = new SeededRandom(batch + 100);
      const feeds = {
        [input]: float32(
          [batch, pack.manifest.latentDim],
          Float32Array.from(random.normals(batch * pack.manifest.latentDim)),
        ),
        [gradientName(output)]: float32(
          [batch, pack.manifest.embeddingDim],
          Float32Array.from(random.normals(batch * pack.manifest.embeddingDim)),
        ),
      };
      const runs = { per: [] as number[], any: [] as number[] };
      const [perOut, anyOut] = [await runSession(perBatch.session, feeds), await runSession(anyBatch.session, feeds)];
      const difference = Math.max(
        ...[output, gradientName(input)].map((name) =>
          maxRelativeDifference(asFloat32(anyOut[name]!), asFloat32(perOut[name]!)),
        ),
      );
      for (let r = 0; r <= repeats; r++) {
        const per = await time(() => runSession(perBatch.session, feeds));
        const any = await time(() => runSession(anyBatch.session, feeds));
        // The first run of each session warms it up.
        if (r === 0) continue;
        runs.per.push(per);
        runs.any.push(any);
      }
      await perBatch.session.release();
      rows.push({
        measure: 'any-batch gradient graph',
        batch,
        'build with session, this batch ms (baseline)': round(perBatch.ms, 0),
        'build with session, any batch ms': round(anyBatch.ms, 0),
        "VJP run, this batch's graph ms (baseline)": round(median(runs.per), 0),
        'VJP run, any-batch graph ms': round(median(runs.any), 0),
        'any / this batch (run)': round(median(runs.any) / median(runs.per), 2),
        'max relative difference of results': difference === 0 ? 0 : Number(difference.toPrecision(2)),
      });
    }
  } finally {
    await anyBatch.session.release();
  }
  return rows;
}

export async function bench(): Promise<BenchReport> {
  const dir = await mkdtemp(join(tmpdir(), 'brownian-bench-r50-'));
  const rows: BenchReport['rows'] = [];
  const loadBefore = loadavg()[0]!;
  let weightMiB = 0;
  try {
    await makeNetworks({
      generator: join(dir, 'g.pkl'),
      recognizer: join(dir, 'r50.pt'),
      arch: 'r50',
      embedding: 512,
      seed: 3,
    });
    await exportPack(join(dir, 'pack'), join(dir, 'g.pkl'), join(dir, 'r50.pt'), 'r50', 512, [
      '--landmarks',
      landmarks32,
    ]);
    const loadStart = performance.now();
    const pack = await loadPack(join(dir, 'pack'));
    const loadMs = performance.now() - loadStart;
    weightMiB = round(SharedWeights.of(composePack(pack).model).bytes / 2 ** 20, 0);
    rows.push(...(await buildRows(pack)));
    rows.push(...(await anyBatchRows(pack)));
    for (const batch of batches) {
      const model = await PackModel.open(pack, { batchSize: batch, device: 'cpu' });
      try {
        const random = new SeededRandom(batch);
        const w = await model.mapLatents(Float32Array.from(random.normals(batch * pack.manifest.mapping.zDim)), batch);
        const upstream = Float32Array.from(random.normals(batch * model.embeddingDim));
        await model.embed(w, batch);
        const firstMs = await time(() => model.vjp(w, upstream, batch));
        const forward: number[] = [];
        const vjp: number[] = [];
        for (let r = 0; r < repeats; r++) {
          forward.push(await time(() => model.embed(w, batch)));
          vjp.push(await time(() => model.vjp(w, upstream, batch)));
        }
        const forwardMs = median(forward);
        const vjpMs = median(vjp);
        rows.push({
          measure: 'first VJP and runs',
          batch,
          'pack load + dry run ms': round(loadMs, 0),
          'first VJP ms (build + run)': round(firstMs, 0),
          'forward ms': round(forwardMs, 0),
          'forward+VJP ms': round(vjpMs, 0),
          'VJP / forward': round(vjpMs / forwardMs, 2),
        });
      } finally {
        await model.release();
      }
    }
    rows.push(...(await memoryRows(join(dir, 'pack'))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    name: 'iResNet-50 recognizer pack (CPU)',
    rows,
    notes: [
      `composite w (16) -> w+ (8 layers) -> 32×32 generator -> five-landmark warp to 112×112 -> iResNet-50 -> ` +
        `512-d embedding; recognizer.onnx 174 MB (${weightMiB} MiB of initializers shared); onnxruntime CPU with its default threads.`,
      `gradient graph build: differentiate, then encode and create the onnxruntime session; fastest of ${buildRounds} ` +
        'alternating rounds. The baseline is the code before: every shape from a forward run of the model at that batch ' +
        '(the probe) and a session holding its own weights; now shapes are inferred in TypeScript ' +
        '(autodiff/shapeInference.ts) without running the model and the session reads the shared weights.',
      `first VJP: compose, differentiate, create the session, run; then medians of ${repeats} runs. The pack's ` +
        'gradient graph is the any-batch one (autodiff/anyBatch.ts): one session for every batch size, no padding.',
      'any-batch gradient graph: the graph with a symbolic batch (built at three batches and compared, batch-dependent ' +
        'shape constants computed at run time from the batch) against the graph built for that batch, both on the shared ' +
        `weights, in this process; VJP runs alternate, medians of ${repeats} after one warm-up run each; the difference ` +
        'is the largest of max|any − this| / max|this| over the embedding and the latent gradient on the same inputs.',
      'gradient session RSS: rise of the resident set while serving one VJP at batch 1, then 2, 4 and 8 (creating the ' +
        'session for that batch, if any, and running it once), every session kept until the end, in a fresh process per ' +
        'variant (bench/sessionMemory.ts); the last row is the sum. A session per batch is the fallback for graphs the ' +
        'any-batch builder refuses; shared weights = initializers read from one in-memory external-data buffer ' +
        '(runtime/sharedWeights.ts), own = decoded from the model bytes by each session; one session = the any-batch ' +
        'graph on the shared weights.',
      `load average of the machine (1 min): ${round(loadBefore, 1)} at the start, ${round(loadavg()[0]!, 1)} at the end, on 2 cores`,
    ],
  };
}
