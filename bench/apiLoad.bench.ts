/**
 * The API under load while a run iterates: 200 concurrent `runs { identities }` queries with 50
 * graphql-ws subscribers streaming the run's progress. Latencies are compared with the same query
 * sent one at a time by the same client process before the load (the baseline); the clients run in a
 * process of their own (bench/loadClient.ts), and so do PostgreSQL and S3, as in a deployment. Three
 * set-ups: the worker as a separate process (shared servers), in a thread of the API's process
 * (`npm start`), and on the API's own thread.
 * Embedded Postgres and S3 in a scratch folder. BENCH_LOAD_QUERIES / BENCH_LOAD_SUBSCRIBERS scale it.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../src/cli/apiClient.js';
import { pushPack } from '../src/cli/packPush.js';
import { loadConfig } from '../src/core/config/config.js';
import { createLogger } from '../src/core/logging/logger.js';
import { packageRoot } from '../src/core/paths.js';
import { startPlatform } from '../src/platform/platform.js';
import { buildMiniPack } from '../services/worker/src/pack/builtin/index.js';
import type { LoadFigures, LoadPlan } from './loadClient.js';
import type { BenchReport } from './report.js';
import { round, startBenchServers, until } from './support.js';

const QUERIES = Number(process.env.BENCH_LOAD_QUERIES ?? 200);
const SUBSCRIBERS = Number(process.env.BENCH_LOAD_SUBSCRIBERS ?? 50);
const BASELINE_QUERIES = 20;

/** CPU time in ms of a process and of its children that exited (PostgreSQL backends), from /proc; 0 once it is gone. */
async function cpuMsOf(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (
      ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / clockTicksPerSecond
    );
  } catch {
    return 0;
  }
}
const clockTicksPerSecond = 100;

/** PostgreSQL's processes: those named postgres among this process's descendants. */
async function postgresPids(): Promise<number[]> {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (open < 0 || close < 0) continue;
    names.set(Number(entry), stat.slice(open + 1, close));
    parents.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
  }
  const descends = (pid: number) => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name.startsWith('postgres') && descends(pid)).map(([pid]) => pid);
}

async function postgresCpuMs(): Promise<number> {
  let total = 0;
  for (const pid of await postgresPids()) total += await cpuMsOf(pid);
  return total;
}

interface Measured extends LoadFigures {
  apiCpuMsPerQuery: number;
  postgresCpuMsPerQuery: number;
}

/**
 * Runs the clients in their own process (bench/loadClient.ts) and reads this process's and
 * PostgreSQL's CPU time around the burst: CPU per query stays comparable on a busy machine.
 */
async function measure(plan: LoadPlan): Promise<Measured> {
  const client = fork(join(packageRoot, 'dist', 'bench', 'loadClient.js'), [JSON.stringify(plan)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => client.once('exit', resolve));
  let before: { api: number; postgres: number } | undefined;
  const figures = await new Promise<LoadFigures>((resolve, reject) => {
    client.on('message', (message: { burst?: 'start'; figures?: LoadFigures }) => {
      if (message.burst === 'start') {
        void (async () => {
          before = { api: cpuMs(), postgres: await postgresCpuMs() };
          client.send('go');
        })();
      } else if (message.figures) {
        resolve(message.figures);
      }
    });
    void exited.then((code) => reject(new Error(`the load client exited with ${code} before its figures`)));
  });
  const after = { api: cpuMs(), postgres: await postgresCpuMs() };
  await exited;
  return {
    ...figures,
    apiCpuMsPerQuery: (after.api - before!.api) / plan.queries,
    postgresCpuMsPerQuery: (after.postgres - before!.postgres) / plan.queries,
  };
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export async function bench(): Promise<BenchReport> {
  const loadBefore = loadavg()[0]!;
  const log = createLogger('warn');
  const servers = await startBenchServers('brownian-bench-load-', log, { HOST: '127.0.0.1' }, { s3Process: true });
  const { env } = servers;
  const rows: Array<Record<string, string | number>> = [];
  let worker: ChildProcess | undefined;
  let adminKey: string | undefined;
  try {
    // Each worker runs at the default nice value (BROWNIAN_WORKER_NICE) but for the baseline of that setting.
    const setups = [
      { setup: 'worker in its own process', worker: false, workerThread: false, nice: '10' },
      {
        setup: 'worker in its own process at nice 0 (as before BROWNIAN_WORKER_NICE)',
        worker: false,
        workerThread: false,
        nice: '0',
      },
      { setup: 'worker in a thread of the API process (npm start)', worker: true, workerThread: true, nice: '10' },
      { setup: 'worker on the API thread (npm start before the thread)', worker: true, workerThread: false, nice: '0' },
    ];
    for (const { setup, worker: inProcess, workerThread, nice } of setups) {
      const platformEnv = { ...env, BROWNIAN_WORKER_NICE: nice };
      const platform = await startPlatform(loadConfig(platformEnv), log, {
        api: true,
        worker: inProcess,
        workerThread,
      });
      if (!inProcess) {
        worker = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'worker'], {
          env: { ...process.env, ...platformEnv, BROWNIAN_DEVICE: 'cpu' },
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
        const figures = await measure({
          url: platform.apiUrl!,
          key,
          runId,
          queries: QUERIES,
          subscribers: SUBSCRIBERS,
          baselineQueries: BASELINE_QUERIES,
        });
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
          'API process CPU ms per query': round(figures.apiCpuMsPerQuery, 2),
          'PostgreSQL CPU ms per query': round(figures.postgresCpuMsPerQuery, 2),
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
        `worker; the baseline is the same query sent one at a time by the same client process just before. The ` +
        `clients, PostgreSQL and S3 run in processes of their own; CPU per query is this process's (the API, and the worker in the ` +
        `last two set-ups, all threads) and PostgreSQL's (all its backends, the worker's too) over the burst, divided by the queries.`,
      `load average of the machine (1 min): ${round(loadBefore, 1)} at the start, ${round(loadavg()[0]!, 1)} at the end, on 2 cores`,
    ],
  };
}
