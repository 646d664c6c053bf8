import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';

const composeFile = join(packageRoot, 'docker', 'compose.yaml');
// .ci/run installs Debian's docker-compose; without it (a bare developer machine) there is nothing to parse with.
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

describe('docker/compose.yaml', () => {
  it.skipIf(!hasCompose)('parses, and its services build from Dockerfiles that exist', () => {
    const services = execFileSync('docker-compose', ['-f', composeFile, 'config', '--services'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    expect(services).toEqual(['api', 'minio', 'postgres', 'worker']);
    const resolved = execFileSync('docker-compose', ['-f', composeFile, 'config'], { encoding: 'utf8' });
    for (const dockerfile of resolved.matchAll(/dockerfile: (\S+)/g)) {
      expect(existsSync(join(packageRoot, dockerfile[1]!))).toBe(true);
    }
    expect(resolved).toMatch(/capabilities:\s*\n\s*- gpu/);
  });

  it('builds the GPU worker with the CUDA 12 onnxruntime and copies only paths that exist', () => {
    const worker = readFileSync(join(packageRoot, 'docker', 'worker.Dockerfile'), 'utf8');
    expect(worker).toMatch(/FROM nvidia\/cuda:12/);
    expect(worker).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    for (const file of ['api.Dockerfile', 'worker.Dockerfile']) {
      const text = readFileSync(join(packageRoot, 'docker', file), 'utf8');
      for (const copy of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const source of copy[1]!.split(/\s+/)) expect(existsSync(join(packageRoot, source)), `${file}: ${source}`).toBe(true);
      }
    }
  });
});
