/**
 * A pack whose recognizer has insightface r50's full structure (iResNet-50: blocks 3-4-14-3, widths 64-512,
 * 112×112, 43.6 M parameters, random weights), exported from torch by tools/export/make_pack.py with the test's
 * small StyleGAN2-ADA-structured generator: the gradient graph's build time (composition, differentiation,
 * session) and the forward+VJP / forward ratio at batch 1 and 8, the forward measured just before in the same
 * process as the baseline. Needs /usr/bin/python3 with torch and onnx (Debian's python3-torch, python3-onnx).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPack } from '../services/worker/src/pack/loadPack.js';
import { PackModel } from '../services/worker/src/pack/PackModel.js';
import { SeededRandom } from '../services/worker/src/pack/builtin/seededRandom.js';
import { exportPack, landmarks32, makeNetworks } from '../test/tools/export/support.js';
import type { BenchReport } from './report.js';

const batches = [1, 8];
const repeats = 5;

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

export async function bench(): Promise<BenchReport> {
  const dir = await mkdtemp(join(tmpdir(), 'brownian-bench-r50-'));
  const rows: BenchReport['rows'] = [];
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
    for (const batch of batches) {
      const model = await PackModel.open(pack, { batchSize: batch, device: 'cpu' });
      try {
        const random = new SeededRandom(batch);
        const w = await model.mapLatents(Float32Array.from(random.normals(batch * pack.manifest.mapping.zDim)), batch);
        const upstream = Float32Array.from(random.normals(batch * model.embeddingDim));
        await model.embed(w, batch);
        const rssBefore = rssMiB();
        const buildMs = await time(() => model.vjp(w, upstream, batch));
        const rssAfter = rssMiB();
        const forward: number[] = [];
        const vjp: number[] = [];
        for (let r = 0; r < repeats; r++) {
          forward.push(await time(() => model.embed(w, batch)));
          vjp.push(await time(() => model.vjp(w, upstream, batch)));
        }
        const forwardMs = median(forward);
        const vjpMs = median(vjp);
        rows.push({
          batch,
          'pack load + dry run ms': round(loadMs, 0),
          'gradient graph build ms (first VJP)': round(buildMs, 0),
          'forward ms': round(forwardMs, 0),
          'forward+VJP ms': round(vjpMs, 0),
          'VJP / forward': round(vjpMs / forwardMs, 2),
          'RSS growth of the gradient session MiB': rssAfter - rssBefore,
        });
      } finally {
        await model.release();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    name: 'iResNet-50 recognizer pack (CPU)',
    rows,
    notes: [
      `Medians of ${repeats} runs after a warm-up; composite w (16) -> w+ (8 layers) -> 32×32 generator -> ` +
        `five-landmark warp to 112×112 -> iResNet-50 -> 512-d embedding; recognizer.onnx 174 MB; onnxruntime CPU with its default threads.`,
      'The build is the first VJP at that batch: compose, differentiate (a probing forward run at that batch fixes ' +
        'every shape), create the session. Packs over 64 MiB of weights build one gradient graph, at the full batch, ' +
        'instead of one per power of two.',
    ],
  };
}
