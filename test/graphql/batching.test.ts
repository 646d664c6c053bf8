import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/generated/prisma/enums.js';
import { graphql } from '../support/graphqlClient.js';
import { seedIdentity, seedModelPack, seedRun, seedSample } from '../support/seed.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(async () => t?.stop());

const nestedQuery = `query($pack: ID!, $first: Int!) {
  runs(first: $first, filter: { modelPackId: $pack }) {
    totalCount
    edges { node {
      id seed
      modelPack { digest }
      parent { id }
      children { id }
      iterations { iteration }
      identities(first: 2) { totalCount edges { node { index } } }
      samples(first: 2) { totalCount edges { node { label variation } } }
    } }
  }
}`;

async function statementsFor(
  packId: string,
  first: number,
): Promise<{ count: number; runs: number; samples: unknown[] }> {
  const metricsUrl = t.url.replace(/\/graphql$/, '/metrics');
  const read = async () =>
    Number(/^brownian_sql_statements_total (\d+)$/m.exec(await (await fetch(metricsUrl)).text())![1]);
  const before = await read();
  const response = await graphql(t.url, t.keys[Role.VIEWER], nestedQuery, { pack: packId, first });
  expect(response.errors).toBeUndefined();
  const after = await read();
  const edges = response.data!.runs.edges as Array<{
    node: { samples: { totalCount: number; edges: Array<{ node: { label: number; variation: number } }> } };
  }>;
  const samples = [
    ...new Set(
      edges.map((e) =>
        JSON.stringify({
          totalCount: e.node.samples.totalCount,
          labels: e.node.samples.edges.map((s) => [s.node.label, s.node.variation]),
        }),
      ),
    ),
  ];
  return { count: after - before, runs: edges.length, samples: samples.map((text) => JSON.parse(text)) };
}

describe('nested queries', () => {
  it('cost a fixed number of SQL statements however many runs they cover', async () => {
    const prisma = t.platform.database.prisma;
    const pack = await seedModelPack(prisma, 'batching');
    let parent = null;
    for (let i = 0; i < 50; i++) {
      const run = await seedRun(prisma, pack, parent?.id ?? null);
      const identity = await seedIdentity(prisma, run, 0);
      await seedIdentity(prisma, run, 1);
      await seedIdentity(prisma, run, 2);
      for (let variation = 0; variation < 3; variation++) await seedSample(prisma, run, identity, variation);
      parent = run;
    }
    const few = await statementsFor(pack.id, 5);
    const many = await statementsFor(pack.id, 50);
    expect(few.runs).toBe(5);
    expect(many.runs).toBe(50);
    expect(many.samples).toEqual([
      {
        totalCount: 3,
        labels: [
          [0, 0],
          [0, 1],
        ],
      },
    ]);
    expect(many.count).toBe(few.count);
    // one statement per relation plus the page and its count, and the metrics scrape itself
    expect(many.count).toBeLessThan(20);
  });
});
