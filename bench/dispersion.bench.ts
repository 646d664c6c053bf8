/**
 * Dispersion through the whole platform: samples per second for 64 identities × 16 variations on
 * the built-in pack with one worker process, then with two sharing the shards; and export
 * throughput in images per second. Embedded Postgres and S3 in a scratch folder, the API in this
 * process, workers as separate `brownian worker` processes, as on extra hosts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../src/cli/apiClient.js';
import { pushPack } from '../src/cli/packPush.js';
import { loadConfig } from '../src/core/config/config.js';
import { createLogger } from '../src/core/logging/logger.js';
import { packageRoot } from '../src/core/paths.js';
import { startPlatform } from '../src/platform/platform.js';
import { buildMiniPack } from '../services/worker/src/pack/builtin/index.js';
import type { BenchReport } from './report.js';
import { round, startBenchServers, until } from './support.js';

const IDENTITIES = 64;
const VARIATIONS = 16;
const ITERATIONS = 5;
const SHARD_SIZE = 8;

export async function bench(): Promise<BenchReport> {
  const loadBefore = loadavg()[0]!;
  const log = createLogger('warn');
  const servers = await startBenchServers('brownian-bench-', log, { BROWNIAN_HEARTBEAT_SECONDS: '1' });
  const { env } = servers;
  const platform = await startPlatform(loadConfig(env), log, { api: true, worker: false });
  const workers: ChildProcess[] = [];
  const startWorkers = async (count: number) => {
    for (let k = 0; k < count; k++) {
      const child = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'worker'], {
        env: { ...process.env, ...env, BROWNIAN_DEVICE: 'cpu', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      workers.push(child);
      await until(async () => (/worker started/.test(output) ? true : undefined), 'a worker to start');
    }
  };
  const stopWorkers = async () => {
    for (const child of workers.splice(0)) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  const client = new ApiClient(platform.apiUrl!, platform.initialAdminKey!);
  try {
    // A pack is READY once a worker has dry-run it: the first worker starts before the pack is pushed.
    await startWorkers(1);
    const packDir = join(servers.dataDir, 'mini-pack');
    await buildMiniPack(packDir);
    const pack = await pushPack(client, packDir);
    const prisma = platform.database.prisma;
    const finished = (id: string) =>
      until(async () => {
        const run = await prisma.run.findUniqueOrThrow({ where: { id } });
        if (run.status === 'FAILED' || run.status === 'CANCELLED')
          throw new Error(`run ${id} ${run.status}: ${run.error}`);
        return run.status === 'SUCCEEDED' ? run : undefined;
      }, `run ${id}`);

    const langevin = await client.request<{ startLangevinRun: { id: string } }>(
      'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
      { input: { modelPackId: pack.id, numIdentities: IDENTITIES, iterations: 2, seed: '1' } },
    );
    await finished(langevin.startLangevinRun.id);

    const dispersion = async (): Promise<{ seconds: number; runId: string }> => {
      const started = performance.now();
      const { startDispersionRun } = await client.request<{ startDispersionRun: { id: string } }>(
        'mutation($input: DispersionRunInput!) { startDispersionRun(input: $input) { id } }',
        {
          input: {
            parentRunId: langevin.startLangevinRun.id,
            numVariations: VARIATIONS,
            iterations: ITERATIONS,
            shardSize: SHARD_SIZE,
            seed: '2',
          },
        },
      );
      await finished(startDispersionRun.id);
      return { seconds: (performance.now() - started) / 1000, runId: startDispersionRun.id };
    };
    // Warm-up: each worker loads and checks the pack once.
    const one = await dispersion();
    const oneAgain = await dispersion();
    await startWorkers(1);
    const two = await dispersion();
    const samples = IDENTITIES * VARIATIONS;
    const baseline = Math.min(one.seconds, oneAgain.seconds);
    const rows: Array<Record<string, string | number>> = [
      {
        setup: 'one worker process (baseline)',
        samples,
        seconds: round(baseline, 2),
        samplesPerSecond: round(samples / baseline, 1),
        speedup: 1,
      },
      {
        setup: 'two worker processes',
        samples,
        seconds: round(two.seconds, 2),
        samplesPerSecond: round(samples / two.seconds, 1),
        speedup: round(baseline / two.seconds, 2),
      },
    ];

    const { createDataset } = await client.request<{ createDataset: { id: string } }>(
      'mutation($r: [ID!]!) { createDataset(name: "bench", runIds: $r) { id } }',
      { r: [two.runId] },
    );
    for (const [format, crop] of [
      ['IMAGE_FOLDER', 'FULL'],
      ['IMAGE_FOLDER', 'ALIGNED'],
      ['INSIGHTFACE_REC', 'ALIGNED'],
      ['WEBDATASET', 'ALIGNED'],
    ] as const) {
      const { exportDataset } = await client.request<{ exportDataset: { id: string } }>(
        'mutation($d: ID!, $f: ExportFormat!, $o: ExportOptionsInput) { exportDataset(datasetId: $d, format: $f, options: $o) { id } }',
        { d: createDataset.id, f: format, o: { crop, content: 'SAMPLES' } },
      );
      const row = await until(async () => {
        const r = await prisma.datasetExport.findUniqueOrThrow({ where: { id: exportDataset.id } });
        if (r.status === 'FAILED') throw new Error(`export failed: ${r.error}`);
        return r.status === 'SUCCEEDED' ? r : undefined;
      }, 'the export');
      const seconds = (row.finishedAt!.getTime() - row.startedAt!.getTime()) / 1000;
      rows.push({
        setup: `export ${format}, ${crop.toLowerCase()} crops`,
        samples: row.total,
        seconds: round(seconds, 2),
        imagesPerSecond: round(row.total / seconds, 1),
      });
    }
    return {
      name: 'dispersion and exports',
      rows,
      notes: [
        `${IDENTITIES} identities × ${VARIATIONS} variations, ${ITERATIONS} iterations, shards of ${SHARD_SIZE} ` +
          `identities, built-in pack on the CPU provider; seconds from startDispersionRun to SUCCEEDED (images and sample rows included).`,
        'The one-worker figure is the faster of two runs after the worker had loaded the pack; the two-worker run ' +
          "follows in the same process. Workers share this machine's cores, so the speedup bounds what a second host would add.",
        'Exports: one worker, seconds from the job starting to the tar stored; samples only.',
        `Load average ${round(loadBefore, 1)} before and ${round(loadavg()[0]!, 1)} after, on ${cpus().length} cores ` +
          `shared with other work: figures taken on a busy machine measure the contention as much as the code.`,
      ],
    };
  } finally {
    await client.close();
    await stopWorkers();
    await platform.stop();
    await servers.stop();
  }
}
