import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModels } from '../../../services/worker/src/pack/check.js';
import { loadPack } from '../../../services/worker/src/pack/loadPack.js';
import { expectPackInferenceMatchesProbe } from '../../services/worker/autodiff/staticInfoCheck.js';
import { exportPack, landmarks32, loadReference, makeNetworks } from './support.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brownian-r50-'));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a recognizer of insightface r50 structure', () => {
  it('exports from an arcface_torch checkpoint and passes pack check against torch', async () => {
    // iResNet-50 as insightface's r50: blocks [3, 4, 14, 3] of widths 64..512, 112×112 input, 512-d embedding; random weights.
    await makeNetworks({
      generator: join(dir, 'g.pkl'),
      recognizer: join(dir, 'r50.pt'),
      arch: 'r50',
      embedding: 512,
      seed: 3,
    });
    const pack = join(dir, 'pack');
    await exportPack(pack, join(dir, 'g.pkl'), join(dir, 'r50.pt'), 'r50', 512, ['--landmarks', landmarks32]);
    // Its gradient graph is built from shapes inferred in TypeScript, which must agree with a probing run.
    await expectPackInferenceMatchesProbe(await loadPack(pack), 2);
    const report = await checkModels(
      { pack },
      { batch: 2, reference: await loadReference(pack), device: 'cpu', gradientPoints: 16 },
    );
    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    const recognizer = report.models.find((m) => m.role === 'recognizer')!;
    expect(Object.fromEntries(recognizer.ops.map((op) => [op.opType, op.count]))).toMatchObject({
      Conv: 53,
      PRelu: 25,
      Gemm: 1,
    });
    expect(report.reference.map((r) => r.name)).toContain('composite VJP');
    for (const r of report.reference) expect(r.relativeError, r.name).toBeLessThan(1e-4);
  }, 900_000);
});
