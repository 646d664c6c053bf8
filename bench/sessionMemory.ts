/**
 * Child process of iresnet50.bench.ts: the RSS each gradient session of a pack adds as it is created
 * (batches given), its weights shared or its own copy. A fresh process per variant, because memory one
 * variant's sessions freed would be reused by the other's and flatter whichever came second.
 * Usage: node dist/bench/sessionMemory.js <pack folder> shared|own <batch>,<batch>…
 */
import { differentiate } from '../services/worker/src/autodiff/differentiate.js';
import { loadPack } from '../services/worker/src/pack/loadPack.js';
import { composePack } from '../services/worker/src/pack/PackModel.js';
import { createSession, type Session } from '../services/worker/src/runtime/session.js';
import { SharedWeights } from '../services/worker/src/runtime/sharedWeights.js';

export interface SessionMemory {
  batch: number;
  rssGrowthMiB: number;
}

const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;

async function main(): Promise<void> {
  const [dir, variant, list] = process.argv.slice(2);
  if (!dir || (variant !== 'shared' && variant !== 'own') || !list)
    throw new Error('usage: <pack> shared|own <batches>');
  const { model, input, output } = composePack(await loadPack(dir));
  const weights = variant === 'shared' ? SharedWeights.of(model) : undefined;
  const sessions: Session[] = [];
  const results: SessionMemory[] = [];
  for (const batch of list.split(',').map(Number)) {
    const gradient = await differentiate(model, { wrt: [input], outputs: [output], batch });
    const encoded = weights ? weights.encode(gradient) : gradient;
    const before = rssMiB();
    sessions.push(await createSession(encoded, { provider: 'cpu' }));
    results.push({ batch, rssGrowthMiB: Math.round(rssMiB() - before) });
  }
  process.send!(results);
  await Promise.all(sessions.map((s) => s.release()));
}

await main();
