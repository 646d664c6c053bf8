import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/embedded/freePort.js';
import { packageRoot } from '../../src/core/paths.js';
import { buildMiniPack } from '../../services/worker/src/pack/builtin/index.js';

let packDir: string;
let closedPort: number;
beforeAll(async () => {
  closedPort = await freePort();
  packDir = await mkdtemp(join(tmpdir(), 'brownian-cli-pack-'));
  await buildMiniPack(packDir);
});
afterAll(() => rm(packDir, { recursive: true, force: true }));

function brownian(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the command line', () => {
  it('prints a local failure as one line', () => {
    const result = brownian(['pack', 'push', join(packDir, 'missing'), '--key', 'brn_x']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `error: ENOENT: no such file or directory, open '${join(packDir, 'missing', 'manifest.json')}'`,
    ]);
  });

  it('prints a failed network call as one line with its code and the URL tried; the stack only with --verbose', () => {
    // A port that was free a moment ago: nothing listens, the connection is refused.
    const url = `http://127.0.0.1:${closedPort}/graphql`;
    const plain = brownian(['pack', 'push', packDir, '--url', url, '--key', 'brn_x'], {});
    expect(plain.code).toBe(1);
    expect(plain.stderr.trim().split('\n')).toEqual([`error: NETWORK_ERROR: cannot reach ${url}: ECONNREFUSED`]);

    const verbose = brownian(['pack', 'push', packDir, '--url', url, '--key', 'brn_x', '--verbose'], {});
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/ApiError: cannot reach .*\n\s+at /);
  });

  it('lists only what applies to a worker in `worker --help`', () => {
    const help = brownian(['worker', '--help']).stdout;
    expect(help).toMatch(/DATABASE_URL/);
    expect(help).toMatch(/BROWNIAN_DEVICE/);
    for (const apiOnly of ['--port', '--host', 'PORT,', 'HOST', '--data-dir', 'BROWNIAN_DATA_DIR'])
      expect(help).not.toContain(apiOnly);
    const start = brownian(['start', '--help']).stdout;
    for (const option of ['--port', '--data-dir', 'BROWNIAN_DEVICE']) expect(start).toContain(option);
  });

  it('refuses a worker without the shared servers, naming what is missing', () => {
    const env = { DATABASE_URL: '', S3_ENDPOINT: '' };
    const result = brownian(['worker'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/a worker alone needs DATABASE_URL and S3_ENDPOINT/);
  });
});
