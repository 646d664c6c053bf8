import { expect } from 'vitest';
import { float32ToBytes } from '../../src/core/db/floats.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { graphql } from '../support/graphqlClient.js';
import type { TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

export async function upload(
  t: TestPlatform,
  bytes: Uint8Array,
  fileName: string,
  key = t.keys[Role.AUDITOR],
): Promise<string> {
  const { data, errors } = await graphql(
    t.url,
    key,
    'mutation($f: String!) { createUploadUrl(fileName: $f) { key url } }',
    { f: fileName },
  );
  expect(errors).toBeUndefined();
  const put = await fetch(data!.createUploadUrl.url, { method: 'PUT', body: bytes });
  expect(put.status).toBe(200);
  return data!.createUploadUrl.key;
}

export async function createGallery(
  t: TestPlatform,
  values: Float32Array,
  dim: number,
  extra: Record<string, unknown>,
  key = t.keys[Role.AUDITOR],
): Promise<string> {
  const embeddingsKey = await upload(t, float32ToBytes(values), 'gallery.f32');
  const response = await graphql(
    t.url,
    key,
    'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }',
    {
      input: { name: 'gallery', embeddingDim: dim, count: values.length / dim, embeddingsKey, ...extra },
    },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.createGallery.id;
}

export const auditFields = `id status error threshold thresholdAngle falseMatchRate targetFalseMatchRate shardCount shardsDone queryCount
  galleryId runIds followsAuditId summary { identitiesAudited samplesAudited flaggedIdentities flaggedSamples leakageRate maxSimilarity
  histogram { binStarts identityMaxSimilarity galleryImpostors } }`;

export async function startAudit(t: TestPlatform, input: Record<string, unknown>, key = t.keys[Role.AUDITOR]) {
  return graphql(
    t.url,
    key,
    `mutation($input: LeakageAuditInput!) { startLeakageAudit(input: $input) { ${auditFields} } }`,
    { input },
  );
}

export async function finishedAudit(t: TestPlatform, id: string, timeoutMs = 180_000): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      const row = await t.platform.database.prisma.leakageAudit.findUniqueOrThrow({ where: { id } });
      if (row.status !== 'SUCCEEDED' && row.status !== 'FAILED') return undefined;
      const response = await graphql(
        t.url,
        t.keys[Role.AUDITOR],
        `query($id: ID!) { leakageAudit(id: $id) { ${auditFields} } }`,
        { id },
      );
      return response.data!.leakageAudit as Record<string, any>;
    },
    timeoutMs,
    `audit ${id} to finish`,
  );
}

export async function finishedRun(t: TestPlatform, id: string): Promise<string> {
  return waitFor(
    async () => {
      const row = await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } });
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(row.status) ? row.status : undefined;
    },
    180_000,
    `run ${id} to finish`,
  );
}
