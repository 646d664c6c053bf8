import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { issueApiKey } from '../../auth/apiKeys.js';
import { loadConfig, type Config } from '../../core/config/config.js';
import { Role } from '../../generated/prisma/enums.js';
import { createLogger } from '../../core/logging/logger.js';
import { startPlatform, type Platform } from '../../platform/platform.js';
import { buildMiniPack } from '../../../services/worker/src/pack/builtin/index.js';
import { ApiClient } from '../apiClient.js';
import { pushPack } from '../packPush.js';
import { iterationBar } from '../progressBar.js';
import { watchTermination } from '../termination.js';

interface DemoFlags {
  identities: string;
  iterations: string;
  seed: string;
  exit?: boolean;
}

interface Spread {
  min: number;
  avg: number;
  max: number;
}
interface Stats {
  embeddingDistance: Spread;
  propIct: number;
  latentDistance: Spread;
}

const statsFields = 'embeddingDistance { min avg max } propIct latentDistance { min avg max }';

function describeStats(label: string, stats: Stats): string {
  const e = stats.embeddingDistance;
  return (
    `${label}: min pairwise angle ${e.min.toFixed(4)} rad (avg ${e.avg.toFixed(4)}, max ${e.max.toFixed(4)}), ` +
    `prop_ict ${stats.propIct.toFixed(4)}, min latent distance ${stats.latentDistance.min.toFixed(3)}`
  );
}

/** The project's main job in one command: embedded platform, built-in pack, a Langevin run, watched live. */
async function runDemo(flags: DemoFlags): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn');
  const termination = watchTermination(() =>
    process.stderr.write('Still shutting down; the embedded servers stop last…\n'),
  );
  try {
    const platform = await startPlatform(config, log, { api: true, worker: true });
    try {
      const work = demonstrate(platform, config, flags);
      // Ctrl-C during the run stops the platform at once; the run's late errors are of no interest then.
      work.catch(() => undefined);
      const interrupted = await Promise.race([work.then(() => false), termination.requested.then(() => true)]);
      if (!interrupted && !flags.exit) {
        process.stdout.write('\nThe API keeps running; Ctrl-C stops it.\n');
        await termination.requested;
      }
    } finally {
      await platform.stop();
    }
  } finally {
    termination.dispose();
  }
}

async function demonstrate(platform: Platform, config: Config, flags: DemoFlags): Promise<void> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const key = (await issueApiKey(platform.database.prisma, 'demo', Role.OPERATOR)).secret;
  const client = new ApiClient(platform.apiUrl!, key);
  const packDir = join(config.dataDir, 'mini-pack');
  await buildMiniPack(packDir);
  const pack = await pushPack(client, packDir);
  out(`Built-in model pack ${pack.name} (digest ${pack.digest}) registered as ${pack.id}`);

  const { startLangevinRun: run } = await client.request<{ startLangevinRun: { id: string; totalIterations: number } }>(
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id totalIterations } }',
    {
      input: {
        modelPackId: pack.id,
        numIdentities: Number(flags.identities),
        iterations: Number(flags.iterations),
        seed: flags.seed,
      },
    },
  );
  out(`Langevin run ${run.id}: ${flags.identities} identities, ${run.totalIterations} iterations`);
  const bar = iterationBar(run.totalIterations);
  // Written by the subscription's callback; an object, so the checks after it are not narrowed to the initial values.
  const ending: { status: string; error: string | null } = { status: 'QUEUED', error: null };
  await client.subscribe<{
    runProgress: { status: string; iteration: number; error: string | null; stats: Stats | null };
  }>(
    `subscription($runId: ID!) { runProgress(runId: $runId) { status iteration error stats { ${statsFields} } } }`,
    { runId: run.id },
    ({ runProgress: event }) => {
      ending.status = event.status;
      ending.error = event.error;
      if (event.stats) {
        bar.update(Math.min(event.iteration + 1, run.totalIterations), {
          minAngle: event.stats.embeddingDistance.min.toFixed(3),
          propIct: event.stats.propIct.toFixed(3),
        });
      }
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(ending.status);
    },
  );
  bar.stop();
  if (ending.status !== 'SUCCEEDED')
    throw new Error(`run ended ${ending.status}${ending.error ? `: ${ending.error}` : ''}`);

  const { run: done } = await client.request<{
    run: {
      iterations: Array<{ iteration: number; stats: Stats }>;
      identities: { totalCount: number; edges: Array<{ node: { id: string; imageKey: string } }> };
    };
  }>(
    `query($id: ID!) { run(id: $id) { iterations { iteration stats { ${statsFields} } } identities(first: 1) { ` +
      `totalCount edges { node { id imageKey } } } } }`,
    { id: run.id },
  );
  const first = done.iterations[0]!;
  const last = done.iterations.at(-1)!;
  out();
  out(describeStats(`iteration ${first.iteration}`, first.stats));
  out(describeStats(`after ${last.iteration}`, last.stats));
  out();
  const imageDir = join(config.dataDir, 'demo', run.id);
  await mkdir(imageDir, { recursive: true });
  const all = await platform.database.prisma.identity.findMany({ where: { runId: run.id }, orderBy: { index: 'asc' } });
  for (const identity of all) {
    await writeFile(
      join(imageDir, `identity-${String(identity.index).padStart(4, '0')}.png`),
      await platform.store.getBytes(identity.imageKey),
    );
  }
  out(
    `${done.identities.totalCount} identity images: stored content-addressed in bucket "${config.bucket}" (e.g. ` +
      `${done.identities.edges[0]!.node.imageKey}),`,
  );
  out(`  copied as PNG files to ${imageDir}`);
  const identityId = done.identities.edges[0]!.node.id;
  out();
  out(`GraphQL: ${platform.apiUrl}   (header  Authorization: Bearer ${key})`);
  out('Lineage of one identity, ready to paste:');
  out(
    `  query { lineage(id: "${identityId}") { identity { index imageSha256 } run { id kind seed parameters provenance ` +
      `{ codeVersion workerHost executionProvider } } ancestors { id } modelPack { name digest } } }`,
  );
  out(`API key (operator): ${key}`);
  if (platform.initialAdminKey) out(`Admin API key (first start, shown once): ${platform.initialAdminKey}`);
  await client.close();
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'start the embedded platform, register the built-in pack, run Langevin with a progress bar, print the results',
    )
    .option('--identities <n>', 'identities to generate', '32')
    .option('--iterations <n>', 'Langevin iterations', '30')
    .option('--seed <seed>', 'random seed', '1')
    .option('--exit', 'stop the platform when the run is done instead of serving on')
    .action((flags: DemoFlags) => runDemo(flags));
}
