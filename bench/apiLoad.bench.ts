/**
 * The API under load while a run iterates: 200 concurrent `runs { identities }` queries with 50
 * graphql-ws subscribers streaming the run's progress. Latencies are compared with the same query
 * sent one at a time in the same process before the load (the baseline). Two set-ups: the worker
 * as a separate process (shared servers) and the worker inside the API's process (`npm start`).
 * Embedded Postgres and S3 in a scratch folder. BENCH_LOAD_QUERIES / BENCH_LOAD_SUBSCRIBERS scale it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ApiClient } from '../src/cli/apiClient.js';
import { pushPack } from '../src/cli/packPush.js';
import { loadConfig } from '../src/core/config/config.js';
import { createLogger } from '../src/core/logging/logger.js';
import { packageRoot } from '../src/core/paths.js';
import { startPlatform, type Platform } from '../src/platform/platform.js';
import { buildMiniPack } from '../services/worker/src/pack/builtin/index.js';
import type { BenchReport } from './report.js';
import { round, startBenchServers, until } from './support.js';

const QUERIES = Number(process.env.BENCH_LOAD_QUERIES ?? 200);
const SUBSCRIBERS = Number(process.env.BENCH_LOAD_SUBSCRIBERS ?? 50);
const BASELINE_QUERIES = 20;
const runsQuery = `{
  runs(first: 10) {
    edges { node { id status iteration identities(first: 20) { edges { node { id index imageSha256 } } } } }
  }
}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timedQuery(url: string, key: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: runsQuery }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  if (!response.ok || body.errors) throw new Error(`query failed: HTTP ${response.status} ${JSON.stringify(body)}`);
  return performance.now() - started;
}

interface LoadFigures {
  baselineMs: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  events: number;
  healthMaxMs: number;
}

/** Baseline one at a time, then the subscribers connect and the queries go all at once. */
async function measure(platform: Platform, key: string, runId: string): Promise<LoadFigures> {
  const url = platform.apiUrl!;
  for (let i = 0; i < 3; i++) await timedQuery(url, key);
  const sequential: number[] = [];
  for (let i = 0; i < BASELINE_QUERIES; i++) sequential.push(await timedQuery(url, key));
  sequential.sort((a, b) => a - b);

  const clients: Client[] = [];
  let events = 0;
  const acknowledged: Array<Promise<void>> = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    let ack!: () => void;
    acknowledged.push(new Promise<void>((r) => (ack = r)));
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${key}` },
      on: { connected: () => ack() },
    });
    clients.push(client);
    client.subscribe(
      { query: 'subscription($id: ID!) { runProgress(runId: $id) { status iteration } }', variables: { id: runId } },
      { next: () => void events++, error: () => undefined, complete: () => undefined },
    );
  }
  await Promise.all(acknowledged);
  const eventsBefore = events;
  const healthUrl = url.replace(/\/graphql$/, '/healthz');
  const healthTimes: number[] = [];
  let loading = true;
  const healthLoop = (async () => {
    while (loading) {
      const sent = performance.now();
      await (await fetch(healthUrl)).text();
      healthTimes.push(performance.now() - sent);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const started = performance.now();
  const latencies = await Promise.all(Array.from({ length: QUERIES }, () => timedQuery(url, key)));
  const seconds = (performance.now() - started) / 1000;
  loading = false;
  await healthLoop;
  const eventsDuring = events - eventsBefore;
  for (const client of clients) await client.dispose();
  latencies.sort((a, b) => a - b);
  return {
    baselineMs: percentile(sequential, 50),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1)!,
    perSecond: QUERIES / seconds,
    events: eventsDuring,
    healthMaxMs: Math.max(...healthTimes),
  };
}

export async function bench(): Promise<BenchReport> {
  const loadBefore = loadavg()[0]!;
  const log = createLogger('warn');
  const servers = await startBenchServers('brownian-bench-load-', log, { HOST: '127.0.0.1' });
  const { env } = servers;
  const rows: Array<Record<string, string | number>> = [];
  let worker: ChildProcess | undefined;
  let adminKey: string | undefined;
  try {
    for (const setup of ['worker in its own process', 'worker in the API process (npm start)'] as const) {
      const inProcess = setup !== 'worker in its own process';
      const platform = await startPlatform(loadConfig(env), log, { api: true, worker: inProcess });
      if (!inProcess) {
        worker = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'worker'], {
          env: { ...process.env, ...env, BROWNIAN_DEVICE: 'cpu' },
          stdio: 'ignore',
        });
      }
      // The first start of the database prints the admin key; the second start reuses it.
      adminKey ??= platform.initialAdminKey;
      const key = adminKey!;
      const client = new ApiClient(platform.apiUrl!, key);
      try {
        const packDir = join(servers.dataDir, 'mini-pack');
        await buildMiniPack(packDir);
        const pack = await pushPack(client, packDir);
        const { startLangevinRun } = await client.request<{ startLangevinRun: { id: string } }>(
          'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
          { input: { modelPackId: pack.id, numIdentities: 64, iterations: 100_000, seed: '1', checkpointEvery: 50 } },
        );
        const runId = startLangevinRun.id;
        const prisma = platform.database.prisma;
        await until(
          async () => ((await prisma.runIteration.count({ where: { runId } })) >= 3 ? true : undefined),
          'iterations',
        );
        const figures = await measure(platform, key, runId);
        await client.request('mutation($id: ID!) { cancelRun(id: $id) { id } }', { id: runId });
        rows.push({
          setup,
          'sequential p50 ms (baseline)': round(figures.baselineMs, 1),
          'p50 ms': round(figures.p50, 1),
          'p99 ms': round(figures.p99, 1),
          'max ms': round(figures.max, 1),
          'p50 / baseline': round(figures.p50 / figures.baselineMs, 1),
          'queries/s': round(figures.perSecond, 1),
          'progress events received during the load': figures.events,
          'slowest /healthz during the load ms': round(figures.healthMaxMs, 1),
        });
      } finally {
        await client.close();
        if (worker) {
          const exited = new Promise((r) => worker!.once('exit', r));
          worker.kill('SIGTERM');
          await exited;
          worker = undefined;
        }
        await platform.stop();
      }
    }
  } finally {
    await servers.stop();
  }
  return {
    name: 'API under load',
    rows,
    notes: [
      `${QUERIES} concurrent \`runs(first: 10) { identities(first: 20) }\` queries over HTTP while ${SUBSCRIBERS} ` +
        `graphql-ws clients subscribe to a Langevin run (64 identities, built-in pack) that iterates on one CPU ` +
        `worker; the baseline is the same query sent one at a time in the same process just before.`,
      `load average of the machine (1 min): ${round(loadBefore, 1)} at the start, ${round(loadavg()[0]!, 1)} at the end, on 2 cores`,
    ],
  };
}
