/**
 * Forward and forward+VJP of the built-in pack's composite e = R(align(G(w))) on the CPU at batch
 * 1, 8 and 32: median times, the VJP/forward ratio (the forward measured just before, in the same
 * process, is the baseline) and the process's peak resident memory.
 */
import { miniPackFiles } from '../services/worker/src/pack/builtin/index.js';
import { loadPack } from '../services/worker/src/pack/loadPack.js';
import { PackModel } from '../services/worker/src/pack/PackModel.js';
import { memorySource } from '../src/core/packs/packSource.js';
import { SeededRandom } from '../services/worker/src/pack/builtin/seededRandom.js';
import type { BenchReport } from './report.js';

const batches = [1, 8, 32];
const repeats = 30;

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

export async function bench(): Promise<BenchReport> {
  const pack = await loadPack(memorySource(miniPackFiles().files));
  const rows: BenchReport['rows'] = [];
  for (const batch of batches) {
    const model = await PackModel.open(pack, { batchSize: batch, device: 'cpu' });
    try {
      const random = new SeededRandom(batch);
      const w = await model.mapLatents(
        Float32Array.from(random.normals(batch * model.pack.manifest.mapping.zDim)),
        batch,
      );
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
        batch,
        'forward ms': round(forwardMs, 2),
        'forward+VJP ms': round(vjpMs, 2),
        'VJP / forward': round(vjpMs / forwardMs, 2),
        'forward+VJP ms per latent': round(vjpMs / batch, 3),
        'gradient graph build ms': round(buildMs, 0),
        'peak RSS MiB': round(process.resourceUsage().maxRSS / 1024, 0),
      });
    } finally {
      await model.release();
    }
  }
  return {
    name: 'VJP of the built-in pack (CPU)',
    rows,
    notes: [
      `Medians of ${repeats} runs after a warm-up; generator 32×32 RGB, W = 32, recognizer input 24×24, embedding 32; ` +
        `onnxruntime CPU with its default threads.`,
      'Peak RSS is the process high-water mark after each batch size (it only grows), so it bounds the memory of that ' +
        'batch and all before it.',
    ],
  };
}
