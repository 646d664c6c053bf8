import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { packBuildMiniCommand } from '../../../src/cli/commands/pack-build-mini.js';
import { loadPack } from '../../../services/worker/src/pack/loadPack.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('brownian pack build-mini', () => {
  it('writes a pack that loads, and prints its digest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brownian-build-mini-'));
    try {
      let out = '';
      vi.spyOn(process.stdout, 'write').mockImplementation(
        (chunk: string | Uint8Array) => ((out += String(chunk)), true),
      );
      const target = join(dir, 'nested', 'pack');
      await packBuildMiniCommand().parseAsync([target], { from: 'user' });
      vi.restoreAllMocks();
      const pack = await loadPack(target);
      expect(out).toBe(`brownian-mini written to ${target}\npack digest ${pack.digest}\n`);
      expect((await readdir(target)).sort()).toEqual([
        'covariates',
        'generator.onnx',
        'manifest.json',
        'mapping.onnx',
        'recognizer.onnx',
        'w_avg.f32',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
