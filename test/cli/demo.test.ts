import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';

let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it(
    'generates identities on the embedded platform that spread apart, and says where everything is',
    { timeout: 300_000 },
    async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'brownian-demo-'));
      await chmod(dataDir, 0o755);
      const env: Record<string, string | undefined> = { ...process.env, BROWNIAN_DATA_DIR: dataDir, PORT: '0' };
      for (const name of ['DATABASE_URL', 'S3_ENDPOINT', 'LOG_LEVEL']) delete env[name];
      const child = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'demo', '--exit'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
      expect(code, stderr).toBe(0);

      const stats = [...stdout.matchAll(/min pairwise angle ([\d.]+) rad .*prop_ict ([\d.]+)/g)].map((m) => ({
        angle: Number(m[1]),
        propIct: Number(m[2]),
      }));
      expect(stats).toHaveLength(2);
      expect(stats[1]!.angle).toBeGreaterThan(stats[0]!.angle);
      expect(stats[1]!.propIct).toBeGreaterThan(stats[0]!.propIct);

      const imageDir = /copied as PNG files to (\S+)/.exec(stdout)![1]!;
      const images = await readdir(imageDir);
      expect(images).toHaveLength(32);
      const png = await readFile(join(imageDir, images[0]!));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(stdout).toMatch(/GraphQL: http:\/\/127\.0\.0\.1:\d+\/graphql/);
      expect(stdout).toMatch(/query \{ lineage\(id: "[0-9a-f-]{36}"\)/);
      expect(stdout).toMatch(/API key \(operator\): brn_/);
    },
  );
});
