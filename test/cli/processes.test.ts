import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { graphql } from '../support/graphqlClient.js';
import { postmasterOf, processesNaming, spawnPlatform } from '../support/platformProcess.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) {
    // A failed test must not leave a server behind either.
    for (const pid of await processesNaming(dir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

async function dataFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brownian-processes-'));
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolveAccepts(true);
    });
    socket.once('error', () => resolveAccepts(false));
  });
}

async function expectNothingLeft(dataDir: string, postgresPort: number): Promise<void> {
  expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  expect(await processesNaming(dataDir)).toEqual([]);
  expect(await accepts(postgresPort)).toBe(false);
}

describe('stopping and restarting brownian start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the node process alone stops the embedded servers and exits 0`, { timeout: 180_000 }, async () => {
      const dataDir = await dataFolder();
      const platform = spawnPlatform(dataDir);
      await platform.ready;
      const postgres = await postmasterOf(dataDir);
      expect(await accepts(postgres.port)).toBe(true);
      platform.child.kill(signal);
      expect(await platform.exited, platform.output()).toBe(0);
      await expectNothingLeft(dataDir, postgres.port);
    });
  }

  it('after node was killed, stops the PostgreSQL it left running and starts again', { timeout: 240_000 }, async () => {
    const dataDir = await dataFolder();
    const first = spawnPlatform(dataDir);
    await first.ready;
    const adminKey = /Admin API key \(shown once, keep it\): (\S+)/.exec(first.output())![1]!;
    const orphan = await postmasterOf(dataDir);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await accepts(orphan.port)).toBe(true);

    const second = spawnPlatform(dataDir);
    const url = await second.ready;
    expect((await graphql(url, adminKey, '{ apiKeys { name } }')).data!.apiKeys).toEqual([{ name: 'initial admin' }]);
    expect(await accepts(orphan.port)).toBe(false);
    const postgres = await postmasterOf(dataDir);
    expect(postgres.pid).not.toBe(orphan.pid);
    second.child.kill('SIGTERM');
    expect(await second.exited, second.output()).toBe(0);
    await expectNothingLeft(dataDir, postgres.port);
  });

  it(
    'removes a lock file whose process is gone, or whose PID now belongs to another program, and starts',
    { timeout: 240_000 },
    async () => {
      const dataDir = await dataFolder();
      const first = spawnPlatform(dataDir);
      await first.ready;
      const left = await postmasterOf(dataDir);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      // The PID of a server that has exited, then a PID reused by a live process that is not PostgreSQL.
      for (const pid of [left.pid, process.pid]) {
        await writeFile(left.lockFile, left.text.replace(/^\d+/, String(pid)));
        const next = spawnPlatform(dataDir);
        await next.ready;
        const postgres = await postmasterOf(dataDir);
        expect(postgres.pid).not.toBe(pid);
        next.child.kill('SIGINT');
        expect(await next.exited, next.output()).toBe(0);
        await expectNothingLeft(dataDir, postgres.port);
      }
    },
  );

  it(
    'exits non-zero with one line naming a port in use and how to change it, leaving nothing running',
    { timeout: 180_000 },
    async () => {
      const dataDir = await dataFolder();
      const blocker: Server = createServer();
      await new Promise<void>((resolveListen) => blocker.listen(0, '127.0.0.1', resolveListen));
      const port = (blocker.address() as { port: number }).port;
      try {
        const platform = spawnPlatform(dataDir, { PORT: String(port) });
        const code = await platform.exited;
        expect(code).not.toBe(0);
        expect(typeof code).toBe('number');
        // Warnings a busy machine may log while the embedded servers stop are JSON log records; the
        // message for the person at the terminal is the one plain line.
        const output = platform.output();
        const lines = output
          .trim()
          .split('\n')
          .filter((line) => !line.startsWith('{"level":'));
        expect(lines, output).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(`^error: PORT_IN_USE: port ${port} on 127\\.0\\.0\\.1 is already in use: .*PORT or --port`),
        );
        expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
        expect(await processesNaming(dataDir)).toEqual([]);
      } finally {
        await new Promise((resolveClose) => blocker.close(resolveClose));
      }
    },
  );

  it.skipIf(process.getuid?.() !== 0)('names a data folder the postgres user cannot enter, and the fix', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'brownian-private-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    await mkdir(dataDir);
    const platform = spawnPlatform(dataDir);
    expect(await platform.exited).toBe(1);
    const lines = platform.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`DATA_DIR_NOT_ACCESSIBLE: `);
    expect(lines[0]).toContain(`cannot enter ${parent} (mode 0700): run \`chmod o+x ${parent}\``);
    expect(await processesNaming(parent)).toEqual([]);
  });
});
