/**
 * A pack whose recognizer has insightface r50's full structure (iResNet-50: blocks 3-4-14-3, widths 64-512,
 * 112×112, 43.6 M parameters, random weights), exported from torch by tools/export/make_pack.py with the test's
 * small StyleGAN2-ADA-structured generator. In one process: differentiation with shapes from a probing run
 * (the baseline) against shapes inferred in TypeScript; the first VJP (compose, differentiate, session) and the
 * forward+VJP / forward ratio at batch 1 and 8, the forward measured just before as the baseline; and the RSS
 * each gradient session adds (batches 1, 2, 4, 8) when it reads shared weights against its own copy.
 * Needs /usr/bin/python3 with torch and onnx (Debian's python3-torch, python3-onnx).
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { differentiate } from '../services/worker/src/autodiff/differentiate.js';
import { loadPack, type LoadedPack } from '../services/worker/src/pack/loadPack.js';
import { composePack, PackModel } from '../services/worker/src/pack/PackModel.js';
import { createSession } from '../services/worker/src/runtime/session.js';
import { SharedWeights } from '../services/worker/src/runtime/sharedWeights.js';
import { SeededRandom } from '../services/worker/src/pack/builtin/seededRandom.js';
import { exportPack, landmarks32, makeNetworks } from '../test/tools/export/support.js';
import { packageRoot } from '../src/core/paths.js';
import type { BenchReport } from './report.js';
import type { SessionMemory } from './sessionMemory.js';

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

/** RSS each gradient session adds, batches 1, 2, 4, 8, in a fresh process per variant (sessionMemory.ts). */
async function memoryRows(packDir: string): Promise<BenchReport['rows']> {
  const measure = (variant: 'shared' | 'own'): Promise<SessionMemory[]> =>
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
  return sessionBatches.map((batch, k) => ({
    measure: 'gradient session RSS',
    batch,
    'own weight copy MiB (baseline)': own[k]!.rssGrowthMiB,
    'shared weights MiB': shared[k]!.rssGrowthMiB,
    'shared / own': round(shared[k]!.rssGrowthMiB / own[k]!.rssGrowthMiB, 2),
  }));
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
      `first VJP: compose, differentiate, create the session, run; then medians of ${repeats} runs. Packs over 64 MiB ` +
        'of weights build one gradient graph, at the full batch, instead of one per power of two.',
      'gradient session RSS: rise of the resident set while each session is created, the sessions of batches 1, 2, 4 ' +
        'and 8 kept until all exist, in a fresh process per variant (bench/sessionMemory.ts); shared weights = ' +
        'initializers read from one in-memory external-data buffer (runtime/sharedWeights.ts), own = decoded from ' +
        'the model bytes by each session.',
      `load average of the machine (1 min): ${round(loadBefore, 1)} at the start, ${round(loadavg()[0]!, 1)} at the end, on 2 cores`,
    ],
  };
}
