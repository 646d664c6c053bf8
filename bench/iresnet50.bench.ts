/**
 * A pack whose recognizer has insightface r50's full structure (iResNet-50: blocks 3-4-14-3, widths 64-512,
 * 112×112, 43.6 M parameters, random weights), exported from torch by tools/export/make_pack.py with the test's
 * small StyleGAN2-ADA-structured generator. In one process: differentiation with shapes from a probing run
 * (the baseline) against shapes inferred in TypeScript; the first VJP (compose, differentiate, session) and the
 * forward+VJP / forward ratio at batch 1 and 8, the forward measured just before as the baseline; and the RSS
 * each gradient session adds (batches 1, 2, 4, 8) when it reads shared weights against its own copy.
 * Needs /usr/bin/python3 with torch and onnx (Debian's python3-torch, python3-onnx).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { differentiate } from '../services/worker/src/autodiff/differentiate.js';
import { loadPack, type LoadedPack } from '../services/worker/src/pack/loadPack.js';
import type { ModelProto } from '../services/worker/src/onnx/proto.js';
import { composePack, PackModel } from '../services/worker/src/pack/PackModel.js';
import { createSession, type Session } from '../services/worker/src/runtime/session.js';
import { SharedWeights } from '../services/worker/src/runtime/sharedWeights.js';
import { SeededRandom } from '../services/worker/src/pack/builtin/seededRandom.js';
import { exportPack, landmarks32, makeNetworks } from '../test/tools/export/support.js';
import type { BenchReport } from './report.js';

const batches = [1, 8];
const sessionBatches = [1, 2, 4, 8];
const repeats = 5;
const buildRounds = 3;

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
const rssMiB = (): number => round(process.memoryUsage().rss / 2 ** 20, 0);

/** Differentiation alone, probe against inference, alternating, fastest of `rounds` each. */
async function buildRows(pack: LoadedPack): Promise<BenchReport['rows']> {
  const { model, input, output } = composePack(pack);
  const rows: BenchReport['rows'] = [];
  for (const batch of batches) {
    const probed: number[] = [];
    const inferred: number[] = [];
    for (let r = 0; r < buildRounds; r++) {
      probed.push(await time(() => differentiate(model, { wrt: [input], outputs: [output], batch, probe: true })));
      inferred.push(await time(() => differentiate(model, { wrt: [input], outputs: [output], batch })));
    }
    const [probe, infer] = [Math.min(...probed), Math.min(...inferred)];
    rows.push({
      measure: 'differentiate',
      batch,
      'shapes from a probing run ms (baseline)': round(probe, 0),
      'shapes inferred ms': round(infer, 0),
      speedup: round(probe / infer, 1),
    });
  }
  return rows;
}

/** RSS each gradient session adds as it is created, batch 1, 2, 4, 8: shared weights first, then own copies. */
async function memoryRows(pack: LoadedPack): Promise<BenchReport['rows']> {
  const { model, input, output } = composePack(pack);
  const gradients: ModelProto[] = [];
  for (const batch of sessionBatches) {
    gradients.push(await differentiate(model, { wrt: [input], outputs: [output], batch }));
  }
  const weights = SharedWeights.of(model);
  const growth = async (share: boolean): Promise<number[]> => {
    const sessions: Session[] = [];
    const added: number[] = [];
    try {
      for (const gradient of gradients) {
        const encoded = share ? weights.encode(gradient) : gradient;
        const before = rssMiB();
        sessions.push(await createSession(encoded, { provider: 'cpu' }));
        added.push(rssMiB() - before);
      }
    } finally {
      await Promise.all(sessions.map((s) => s.release()));
    }
    return added;
  };
  // Shared first: memory the copies free later could only flatter the shared figures if they came second.
  const shared = await growth(true);
  const own = await growth(false);
  return sessionBatches.map((batch, k) => ({
    measure: 'gradient session RSS',
    batch,
    'own weight copy MiB (baseline)': own[k]!,
    'shared weights MiB': shared[k]!,
    'shared / own': round(shared[k]! / own[k]!, 2),
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
        const buildMs = await time(() => model.vjp(w, upstream, batch));
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
          'gradient graph build ms (first VJP)': round(buildMs, 0),
          'forward ms': round(forwardMs, 0),
          'forward+VJP ms': round(vjpMs, 0),
          'VJP / forward': round(vjpMs / forwardMs, 2),
        });
      } finally {
        await model.release();
      }
    }
    rows.push(...(await memoryRows(pack)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    name: 'iResNet-50 recognizer pack (CPU)',
    rows,
    notes: [
      `composite w (16) -> w+ (8 layers) -> 32×32 generator -> five-landmark warp to 112×112 -> iResNet-50 -> ` +
        `512-d embedding; recognizer.onnx 174 MB (${weightMiB} MiB of initializers shared); onnxruntime CPU with its default threads.`,
      `differentiate: the whole gradient graph build but the session, fastest of ${buildRounds} alternating rounds; the ` +
        'baseline takes every shape from a forward run of the model at that batch (as before), the other infers them ' +
        'in TypeScript (autodiff/shapeInference.ts) without running it.',
      `first VJP: compose, differentiate, create the session, run; then medians of ${repeats} runs. Packs over 64 MiB ` +
        'of weights build one gradient graph, at the full batch, instead of one per power of two.',
      'gradient session RSS: rise of the resident set while each session is created, sessions kept until all four ' +
        'exist; shared weights = initializers read from one in-memory external-data buffer (runtime/sharedWeights.ts).',
      `load average of the machine (1 min): ${round(loadBefore, 1)} at the start, ${round(loadavg()[0]!, 1)} at the end, on 2 cores`,
    ],
  };
}
