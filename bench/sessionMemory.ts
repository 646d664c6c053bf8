/**
 * Child process of iresnet50.bench.ts: the RSS a pack's gradient sessions add while they serve VJPs at the
 * batches given, in order: a session per batch reading its own weight copy ('own') or the shared weights
 * ('shared'), or one session of the any-batch graph for all of them ('any', shared weights). A fresh process
 * per variant, because memory one variant's sessions freed would be reused by the other's and flatter
 * whichever came second.
 * Usage: node dist/bench/sessionMemory.js <pack folder> own|shared|any <batch>,<batch>…
 */
import { differentiateAnyBatch } from '../services/worker/src/autodiff/anyBatch.js';
import { differentiate, gradientName } from '../services/worker/src/autodiff/differentiate.js';
import { loadPack } from '../services/worker/src/pack/loadPack.js';
import { composePack } from '../services/worker/src/pack/PackModel.js';
import { float32 } from '../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../services/worker/src/runtime/session.js';
import { SharedWeights } from '../services/worker/src/runtime/sharedWeights.js';

export type SessionVariant = 'own' | 'shared' | 'any';

export interface SessionMemory {
  batch: number;
  /** RSS growth while the session for this batch was created (none for 'any' after the first) and ran once at it. */
  rssGrowthMiB: number;
}

const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;

async function main(): Promise<void> {
  const [dir, variant, list] = process.argv.slice(2);
  if (!dir || !['own', 'shared', 'any'].includes(variant ?? '') || !list)
    throw new Error('usage: <pack> own|shared|any <batches>');
  const pack = await loadPack(dir);
  const { model, input, output } = composePack(pack);
  const weights = variant === 'own' ? undefined : SharedWeights.of(model);
  const anyBatch =
    variant === 'any' ? await differentiateAnyBatch(model, { wrt: [input], outputs: [output] }) : undefined;
  const sessions: Session[] = [];
  const results: SessionMemory[] = [];
  for (const batch of list.split(',').map(Number)) {
    const create = !anyBatch || sessions.length === 0;
    const gradient = create
      ? (anyBatch ?? (await differentiate(model, { wrt: [input], outputs: [output], batch })))
      : undefined;
    const encoded = gradient && weights ? weights.encode(gradient) : gradient;
    const before = rssMiB();
    if (encoded) sessions.push(await createSession(encoded, { provider: 'cpu' }));
    await runSession(sessions.at(-1)!, {
      [input]: float32([batch, pack.manifest.latentDim], new Float32Array(batch * pack.manifest.latentDim).fill(0.1)),
      [gradientName(output)]: float32(
        [batch, pack.manifest.embeddingDim],
        new Float32Array(batch * pack.manifest.embeddingDim).fill(0.01),
      ),
    });
    results.push({ batch, rssGrowthMiB: Math.round(rssMiB() - before) });
  }
  process.send!(results);
  await Promise.all(sessions.map((s) => s.release()));
}

await main();
