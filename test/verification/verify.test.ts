import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32, float32ToBytes } from '../../src/core/db/floats.js';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;
let langevinId: string;
let datasetId: string;

interface Check {
  subjectId: string;
  object: string;
  location: string;
  matches: boolean;
  problem: string | null;
}
interface VerificationState {
  status: string;
  checked: number;
  mismatches: number;
  verified: boolean | null;
  results: Check[];
  error: string | null;
}

const operate = (query: string, variables: Record<string, unknown> = {}) =>
  graphql(t.url, t.keys[Role.OPERATOR], query, variables);
const runStatus = async (id: string) =>
  (await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } })).status;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  const pack = await registerMiniPack(t.url, t.keys[Role.OPERATOR]);
  const langevin = await operate('mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }', {
    input: { modelPackId: pack.id, numIdentities: 4, iterations: 2, seed: '8', batchSize: 8 },
  });
  langevinId = langevin.data!.startLangevinRun.id;
  await waitFor(async () => (await runStatus(langevinId)) === RunStatus.SUCCEEDED, 180_000, 'the Langevin run');
  const dispersion = await operate(
    'mutation($input: DispersionRunInput!) { startDispersionRun(input: $input) { id } }',
    {
      input: { parentRunId: langevinId, numVariations: 3, iterations: 1, seed: '9', shardSize: 3, batchSize: 8 },
    },
  );
  const dispersionId: string = dispersion.data!.startDispersionRun.id;
  await waitFor(async () => (await runStatus(dispersionId)) === RunStatus.SUCCEEDED, 180_000, 'the Dispersion run');
  const created = await operate('mutation($r: [ID!]!) { createDataset(name: "verified", runIds: $r) { id } }', {
    r: [dispersionId, langevinId],
  });
  expect(created.errors).toBeUndefined();
  datasetId = created.data!.createDataset.id;
}, 400_000);
afterAll(async () => t?.stop());

const fields = 'id status checked mismatches verified error results { subjectId object location matches problem }';

async function finished(started: {
  data?: Record<string, { id: string }> | null;
  errors?: unknown;
}): Promise<VerificationState> {
  expect(started.errors).toBeUndefined();
  const id = Object.values(started.data!)[0]!.id;
  return waitFor(
    async () => {
      const response = await graphql(
        t.url,
        t.keys[Role.VIEWER],
        `query($id: ID!) { verification(id: $id) { ${fields} } }`,
        {
          id,
        },
      );
      const state = response.data!.verification as VerificationState;
      if (state.status === 'FAILED') throw new Error(`verification failed: ${state.error}`);
      return state.status === 'SUCCEEDED' ? state : undefined;
    },
    180_000,
    'the verification',
  );
}

const verifyDataset = (sampleCount: number) =>
  operate(`mutation($id: ID!, $n: Int!) { verifyDataset(id: $id, sampleCount: $n) { id } }`, {
    id: datasetId,
    n: sampleCount,
  });
const verifySample = (id: string) => operate(`mutation($id: ID!) { verifySample(id: $id) { id } }`, { id });

describe('verifySample and verifyDataset', () => {
  it('re-derive untouched data bit for bit, then name the image and the latent that were changed', async () => {
    const prisma = t.platform.database.prisma;
    const members = await prisma.datasetMember.count({ where: { datasetId } });
    const clean = await finished(await verifyDataset(1000));
    expect(clean.checked).toBe(members);
    expect(clean.results).toHaveLength(members * 3);
    expect(clean.results.filter((c) => !c.matches)).toEqual([]);
    expect(clean.verified).toBe(true);

    const samples = await prisma.sample.findMany({ orderBy: [{ label: 'asc' }, { variation: 'asc' }] });
    const imageTampered = samples[1]!;
    const latentTampered = samples[4]!;
    // One byte of one image in the object store.
    const png = Buffer.from(await t.platform.store.getBytes(imageTampered.imageKey));
    png[png.length - 20] ^= 0x01;
    await t.platform.store.putBytes(imageTampered.imageKey, png);
    // One latent in the database.
    const latent = bytesToFloat32(latentTampered.latent);
    latent[0] = latent[0]! + 0.75;
    await prisma.sample.update({ where: { id: latentTampered.id }, data: { latent: float32ToBytes(latent) } });

    const tampered = await finished(await verifyDataset(1000));
    expect(tampered.verified).toBe(false);
    const failing = tampered.results.filter((c) => !c.matches);
    expect(failing.map((c) => [c.subjectId, c.object])).toEqual(
      expect.arrayContaining([
        [imageTampered.id, 'IMAGE'],
        [latentTampered.id, 'LATENT'],
      ]),
    );
    // Nothing else is blamed: the untouched samples and the identities still verify.
    expect(new Set(failing.map((c) => c.subjectId))).toEqual(new Set([imageTampered.id, latentTampered.id]));
    const imageCheck = failing.find((c) => c.subjectId === imageTampered.id)!;
    expect(imageCheck.location).toBe(imageTampered.imageKey);
    expect(imageCheck.problem).toContain(imageTampered.imageKey);
    expect(failing.find((c) => c.object === 'LATENT')!.problem).toContain(latentTampered.id);

    const one = await finished(await verifySample(latentTampered.id));
    expect(one.verified).toBe(false);
    expect(one.results.map((c) => [c.object, c.matches])).toEqual([
      ['IMAGE', true],
      ['LATENT', false],
      ['EMBEDDING', false],
    ]);
    const untouched = await finished(await verifySample(samples[0]!.id));
    expect(untouched.verified).toBe(true);
  }, 400_000);

  it('refuses what it cannot verify, naming the field', async () => {
    const missing = await verifySample('00000000-0000-4000-8000-000000000000');
    expect(errorCode(missing)).toBe('BAD_USER_INPUT');
    expect(missing.errors![0]!.extensions!.field).toBe('id');
    const zero = await verifyDataset(0);
    expect(zero.errors![0]!.extensions!.field).toBe('sampleCount');
    const viewer = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `
        mutation ($id: ID!) {
          verifySample(id: $id) {
            id
          }
        }
      `,
      {
        id: langevinId,
      },
    );
    expect(errorCode(viewer)).toBe('FORBIDDEN');
  });
});
