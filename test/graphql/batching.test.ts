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
    // The first request of a key looks the key up; later ones find it known.
    await statementsFor(pack.id, 5);
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

describe('statements a request costs', () => {
  const metricsUrl = () => t.url.replace(/\/graphql$/, '/metrics');
  const statementsSoFar = async () =>
    Number(/^brownian_sql_statements_total (\d+)$/m.exec(await (await fetch(metricsUrl())).text())![1]);

  /** Statements of one query, less those of the scrapes around it (measured the same way without a query). */
  async function statementsOf(query: string, key: string): Promise<number> {
    const a = await statementsSoFar();
    const b = await statementsSoFar();
    const response = await graphql(t.url, key, query);
    expect(response.errors).toBeUndefined();
    const c = await statementsSoFar();
    return c - b - (b - a);
  }

  it('counts rows only for queries that ask for totalCount, and looks a known key up once', async () => {
    const prisma = t.platform.database.prisma;
    const pack = await seedModelPack(prisma, 'statements');
    for (let i = 0; i < 5; i++) {
      const run = await seedRun(prisma, pack);
      for (let index = 0; index < 3; index++) await seedIdentity(prisma, run, index);
    }
    const key = t.keys[Role.VIEWER];
    const plain = '{ runs(first: 5) { edges { node { id identities(first: 2) { edges { node { index } } } } } } }';
    const counted = '{ runs(first: 5) { totalCount edges { node { id identities(first: 2) { totalCount } } } } }';
    const inFragment = `{ runs(first: 5) { ...Counted } }
      fragment Counted on RunConnection { totalCount edges { node { id identities(first: 2) { totalCount } } } }`;
    await statementsOf(plain, key);
    // The runs page and the identities of all its runs: no count, no key lookup.
    expect(await statementsOf(plain, key)).toBe(2);
    // Plus the runs' count and the identities' counts (one batched statement).
    expect(await statementsOf(counted, key)).toBe(4);
    expect(await statementsOf(inFragment, key)).toBe(4);
    // Pages leave the vectors out; asking for them reads those of every identity of the query at once.
    const vectors =
      '{ runs(first: 5) { edges { node { identities(first: 2) { edges { node { latent embedding } } } } } } }';
    expect(await statementsOf(vectors, key)).toBe(3);
    const withVectors = await graphql(t.url, key, vectors);
    const firstIdentity = (
      withVectors.data!.runs as {
        edges: Array<{ node: { identities: { edges: Array<{ node: { latent: number[]; embedding: number[] } }> } } }>;
      }
    ).edges[0]!.node.identities.edges[0]!.node;
    expect(firstIdentity).toEqual({ latent: [0, 1, 2, 3], embedding: [1, 0, 0] });
    const counts = await graphql(t.url, key, inFragment);
    const runs = counts.data!.runs as {
      totalCount: number;
      edges: Array<{ node: { identities: { totalCount: number } } }>;
    };
    expect(runs.totalCount).toBe(await prisma.run.count());
    expect(runs.edges.map((e) => e.node.identities.totalCount)).toEqual(runs.edges.map(() => 3));
  });
});
