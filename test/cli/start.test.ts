import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { graphql } from '../support/graphqlClient.js';
import { threadNiceValues } from '../support/threadNice.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Started {
  url: string;
  pid: number;
  adminKey: string | undefined;
  stop(): Promise<number | string>;
  output(): string;
}

/** `brownian start` exactly as `npm start` runs it, with nothing configured but a data folder. */
async function start(dataDir: string): Promise<Started> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    BROWNIAN_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
  };
  for (const name of [
    'DATABASE_URL',
    'S3_ENDPOINT',
    'S3_ACCESS_KEY',
    'S3_SECRET_KEY',
    'S3_BUCKET',
    'BROWNIAN_WORKER_NICE',
  ]) {
    delete env[name];
  }
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? -1)),
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /GraphQL API: (http:\/\/\S+)/.exec(output);
      if (match && output.includes('Worker running')) resolveUrl(match[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`brownian start exited (${code}) before serving:\n${output}`)));
  });
  return {
    url,
    pid: child.pid!,
    adminKey: /Admin API key \(shown once, keep it\): (\S+)/.exec(output)?.[1],
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
    output: () => output,
  };
}

describe('brownian start', () => {
  it(
    'runs on the embedded default, prints an admin key once, and keeps its data across restarts',
    { timeout: 240_000 },
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'brownian-start-'));
      await chmod(dataDir, 0o755);
      dirs.push(dataDir);

      const first = await start(dataDir);
      expect(first.adminKey).toMatch(/^brn_/);
      // The worker's thread yields the cores to the API's (BROWNIAN_WORKER_NICE's default).
      const nice = await threadNiceValues(first.pid);
      expect(nice.get(first.pid)).toBe(0);
      expect([...nice.values()]).toContain(10);
      const created = await graphql(
        first.url,
        first.adminKey,
        'mutation { createApiKey(name: "lab", role: VIEWER) { secret } }',
      );
      const viewerKey: string = created.data!.createApiKey.secret;
      const health = await (await fetch(first.url.replace(/\/graphql$/, '/healthz'))).json();
      expect(health).toMatchObject({ status: 'ok', database: 'ok', objectStore: 'ok' });
      expect(await first.stop()).toBe(0);

      const second = await start(dataDir);
      expect(second.adminKey).toBeUndefined();
      const keys = await graphql(second.url, first.adminKey, '{ apiKeys { name role } }');
      expect(keys.data!.apiKeys).toEqual([
        { name: 'initial admin', role: 'ADMIN' },
        { name: 'lab', role: 'VIEWER' },
      ]);
      expect((await graphql(second.url, viewerKey, '{ runs { totalCount } }')).data!.runs.totalCount).toBe(0);
      expect(await second.stop()).toBe(0);
    },
  );

  it('stops with a message naming a bad setting', async () => {
    const child = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'start'], {
      env: { ...process.env, BROWNIAN_DEVICE: 'tpu', PORT: 'http' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
    expect(code).toBe(2);
    expect(stderr).toMatch(/PORT: "http" is not an integer/);
    expect(stderr).toMatch(/BROWNIAN_DEVICE: "tpu" is not one of auto, cuda, cpu/);
  });
});
