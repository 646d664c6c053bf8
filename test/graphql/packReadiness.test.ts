import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackStatus, Role } from '../../src/generated/prisma/enums.js';
import type * as db from '../../src/generated/prisma/client.js';
import { graphql } from '../support/graphqlClient.js';
import { seedIdentity, seedModelPack, seedRun } from '../support/seed.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Every kind of run starts only on a READY pack (docs/model-packs.md). Langevin names the pack it
 * runs on; Dispersion and DisCo run on their parent's, so a refusal names the parent.
 */
let t: TestPlatform;
let pack: db.ModelPack;
let parent: db.Run;

const prisma = () => t.platform.database.prisma;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: false });
  pack = await seedModelPack(prisma(), 'readiness');
  parent = await seedRun(prisma(), pack);
  for (let index = 0; index < 2; index++) await seedIdentity(prisma(), parent, index);
}, 120_000);
afterAll(async () => t?.stop());

async function withPackStatus(status: PackStatus, error: string | null): Promise<void> {
  await prisma().modelPack.update({ where: { id: pack.id }, data: { status, error } });
}

function start(mutation: 'startLangevinRun' | 'startDispersionRun' | 'startDiscoRun') {
  const input =
    mutation === 'startLangevinRun'
      ? { modelPackId: pack.id, numIdentities: 4, iterations: 1 }
      : { parentRunId: parent.id, numVariations: 2, iterations: 1, covariates: 'PRINCIPAL_DIRECTIONS' };
  const type = mutation === 'startLangevinRun' ? 'LangevinRunInput' : 'DispersionRunInput';
  return graphql(t.url, t.keys[Role.OPERATOR], `mutation($input: ${type}!) { ${mutation}(input: $input) { id } }`, {
    input,
  });
}

const cases = [
  { status: PackStatus.PENDING, error: null, says: /is PENDING/ },
  {
    status: PackStatus.REJECTED,
    error: 'recognizer.file: is not an ONNX model',
    says: /is REJECTED \(recognizer\.file/,
  },
];
const mutations = [
  { mutation: 'startLangevinRun', field: 'input.modelPackId' },
  { mutation: 'startDispersionRun', field: 'input.parentRunId' },
  { mutation: 'startDiscoRun', field: 'input.parentRunId' },
] as const;

describe('a run on a pack that is not READY', () => {
  for (const { status, error, says } of cases) {
    for (const { mutation, field } of mutations) {
      it(`${mutation} on a ${status} pack is refused naming ${field}, and no run is created`, async () => {
        await withPackStatus(status, error);
        const runsBefore = await prisma().run.count();
        const response = await start(mutation);
        expect(response.data).toBeNull();
        const extensions = response.errors![0]!.extensions!;
        expect(extensions.code).toBe('BAD_USER_INPUT');
        const problems = extensions.problems as Array<{ field: string; message: string }>;
        expect(problems).toContainEqual({ field, message: expect.stringMatching(says) });
        expect(await prisma().run.count()).toBe(runsBefore);
      });
    }
  }

  it('starts once the pack is READY', async () => {
    await withPackStatus(PackStatus.READY, null);
    for (const { mutation } of mutations) {
      const response = await start(mutation);
      expect(response.errors).toBeUndefined();
    }
  });
});
