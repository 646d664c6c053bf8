import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32, float32ToBytes } from '../../src/core/db/floats.js';
import { packageRoot } from '../../src/core/paths.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(async () => t?.stop());

const cli = (key: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'gallery', 'push', ...args], {
    env: { ...process.env, BROWNIAN_URL: t.url, BROWNIAN_API_KEY: key },
  });

describe('brownian gallery push', () => {
  it('uploads a raw float32 file with a labels file and registers the gallery; an operator key is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brownian-gallery-'));
    const values = Float32Array.from({ length: 5 * 8 }, (_, i) => Math.cos(i));
    await writeFile(join(dir, 'faces.f32'), float32ToBytes(values));
    await writeFile(join(dir, 'labels.txt'), 'a\nb\nb\nc\nd\n');
    const recognizer = 'c'.repeat(64);
    const args = [
      join(dir, 'faces.f32'),
      '--name',
      'from the cli',
      '--dim',
      '8',
      '--count',
      '5',
      '--labels',
      join(dir, 'labels.txt'),
      '--recognizer',
      recognizer,
    ];
    const { stdout } = await cli(t.keys[Role.AUDITOR], ...args);
    const [, id] = /gallery from the cli registered: id (\S+), 5 embeddings of dimension 8, recognizer c{64}/.exec(
      stdout,
    )!;
    const subjects = await t.platform.database.prisma.gallerySubject.findMany({
      where: { galleryId: id },
      orderBy: { row: 'asc' },
    });
    expect(subjects.map((s) => s.label)).toEqual(['a', 'b', 'b', 'c', 'd']);
    expect(Array.from(bytesToFloat32(subjects[4]!.embedding))).toEqual(Array.from(values.subarray(32, 40)));

    const refused = await cli(t.keys[Role.OPERATOR], ...args).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toMatch(/FORBIDDEN|may not/);
  }, 120_000);
});
