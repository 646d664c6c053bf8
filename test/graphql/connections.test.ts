import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/generated/prisma/enums.js';
import type * as db from '../../src/generated/prisma/client.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { seedIdentity, seedModelPack, seedRun, seedSample } from '../support/seed.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

interface Connection {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: Array<{ cursor: string; node: { id: string } }>;
}

const selection =
  'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }';

let t: TestPlatform;
let pack: db.ModelPack;
let langevin: db.Run;
let small: db.Run;
let dispersion: db.Run;

beforeAll(async () => {
  t = await startTestPlatform();
  const prisma = t.platform.database.prisma;
  pack = await seedModelPack(prisma, 'connections');
  for (let i = 0; i < 4; i++) await seedModelPack(prisma, `more-${i}`);
  langevin = await seedRun(prisma, pack);
  small = await seedRun(prisma, pack);
  dispersion = await seedRun(prisma, pack, langevin.id);
  for (let i = 0; i < 4; i++) await seedRun(prisma, pack);
  const identities = [];
  for (let index = 0; index < 9; index++) identities.push(await seedIdentity(prisma, langevin, index));
  for (let index = 0; index < 4; index++) await seedIdentity(prisma, small, index);
  for (const identity of identities.slice(0, 3)) {
    for (let variation = 0; variation < 3; variation++) await seedSample(prisma, dispersion, identity, variation);
  }
  for (let i = 0; i < 5; i++) {
    await prisma.gallery.create({
      data: {
        name: `g${i}`,
        embeddingDim: 3,
        digest: randomBytes(32).toString('hex'),
        recognizerDigest: randomBytes(32).toString('hex'),
      },
    });
  }
});
afterAll(async () => t?.stop());

type Fetch = (args: string) => Promise<Connection>;

interface Case {
  name: string;
  fetch: Fetch;
  /** Node ids in connection order, and how many rows the database holds, read straight from it. */
  expected: () => Promise<string[]>;
}

function cases(): Case[] {
  const prisma = t.platform.database.prisma;
  const ofRun =
    (runId: string, field: 'identities' | 'samples'): Fetch =>
    async (args) => {
      const response = await graphql(
        t.url,
        t.keys[Role.VIEWER],
        `query($id: ID!) { run(id: $id) { ${field}${args ? `(${args})` : ''} { ${selection} } } }`,
        {
          id: runId,
        },
      );
      expect(response.errors).toBeUndefined();
      return response.data!.run[field];
    };
  const query =
    (key: Role, field: string, filter = ''): Fetch =>
    async (args) => {
      const all = [filter, args].filter((part) => part !== '').join(', ');
      const response = await graphql(t.url, t.keys[key], `{ ${field}${all ? `(${all})` : ''} { ${selection} } }`);
      expect(response.errors).toBeUndefined();
      return response.data![field];
    };
  return [
    {
      name: 'runs (newest first, filtered)',
      fetch: query(Role.VIEWER, 'runs', `filter: { modelPackId: "${pack.id}" }`),
      expected: async () =>
        (
          await prisma.run.findMany({
            where: { modelPackId: pack.id },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          })
        ).map((r) => r.id),
    },
    {
      name: 'run.identities',
      fetch: ofRun(langevin.id, 'identities'),
      expected: async () =>
        (await prisma.identity.findMany({ where: { runId: langevin.id }, orderBy: { index: 'asc' } })).map((r) => r.id),
    },
    {
      name: 'run.samples',
      fetch: ofRun(dispersion.id, 'samples'),
      expected: async () =>
        (
          await prisma.sample.findMany({
            where: { runId: dispersion.id },
            orderBy: [{ label: 'asc' }, { variation: 'asc' }],
          })
        ).map((r) => r.id),
    },
    {
      name: 'modelPacks',
      fetch: query(Role.VIEWER, 'modelPacks'),
      expected: async () =>
        (await prisma.modelPack.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map((r) => r.id),
    },
    {
      name: 'galleries',
      fetch: query(Role.AUDITOR, 'galleries'),
      expected: async () =>
        (await prisma.gallery.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map((r) => r.id),
    },
  ];
}

function expectConsistent(page: Connection, total: number): void {
  expect(page.totalCount).toBe(total);
  expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
  expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
}

describe('every connection', () => {
  it.each([2, 3, 50])(
    'pages forward with first/after and backward with last/before, %i at a time, totals as the database counts',
    async (size) => {
      for (const c of cases()) {
        const expected = await c.expected();
        expect(expected.length, c.name).toBeGreaterThan(3);

        const forward: string[] = [];
        let after: string | null = null;
        for (let page = 0; ; page++) {
          const connection: Connection = await c.fetch(`first: ${size}${after ? `, after: "${after}"` : ''}`);
          expectConsistent(connection, expected.length);
          expect(connection.pageInfo.hasPreviousPage, `${c.name}: hasPreviousPage of forward page ${page}`).toBe(
            page > 0,
          );
          forward.push(...connection.edges.map((edge) => edge.node.id));
          if (!connection.pageInfo.hasNextPage) break;
          after = connection.pageInfo.endCursor;
        }
        expect(forward, `${c.name} forward`).toEqual(expected);

        const backward: string[][] = [];
        let before: string | null = null;
        for (let page = 0; ; page++) {
          const connection: Connection = await c.fetch(`last: ${size}${before ? `, before: "${before}"` : ''}`);
          expectConsistent(connection, expected.length);
          expect(connection.pageInfo.hasNextPage, `${c.name}: hasNextPage of backward page ${page}`).toBe(page > 0);
          backward.unshift(connection.edges.map((edge) => edge.node.id));
          if (!connection.pageInfo.hasPreviousPage) break;
          before = connection.pageInfo.startCursor;
        }
        expect(backward.flat(), `${c.name} backward`).toEqual(expected);

        // The default page is the first one; its cursors lead both ways.
        const firstPage = await c.fetch('');
        expect(firstPage.pageInfo.hasPreviousPage, c.name).toBe(false);
        const middle = await c.fetch(`first: 2, after: "${firstPage.edges[1]!.cursor}"`);
        const back = await c.fetch(`last: 2, before: "${middle.edges[0]!.cursor}"`);
        expect(
          back.edges.map((e) => e.node.id),
          c.name,
        ).toEqual(expected.slice(0, 2));
      }
    },
  );

  it('refuses first with last, a foreign cursor and an out-of-range size, naming the argument', async () => {
    const key = t.keys[Role.VIEWER];
    const both = await graphql(
      t.url,
      key,
      `
        {
          runs(first: 2, last: 2) {
            totalCount
          }
        }
      `,
    );
    expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
    const garbage = await graphql(t.url, key, '{ modelPacks(before: "zzz") { totalCount } }');
    expect(garbage.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
    const notADate = Buffer.from(JSON.stringify(['yesterday', pack.id])).toString('base64url');
    const forged = await graphql(t.url, key, `{ runs(after: "${notADate}") { totalCount } }`);
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const huge = await graphql(t.url, key, '{ modelPacks(last: 5000) { totalCount } }');
    expect(huge.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
  });
});

describe('aliased connections on one parent', () => {
  it('answer each alias with its own arguments, batched, without mixing their rows', async () => {
    const prisma = t.platform.database.prisma;
    const ids = (await prisma.identity.findMany({ where: { runId: langevin.id }, orderBy: { index: 'asc' } })).map(
      (r) => r.id,
    );
    const smallIds = (await prisma.identity.findMany({ where: { runId: small.id }, orderBy: { index: 'asc' } })).map(
      (r) => r.id,
    );
    const nodes = 'edges { node { id } } pageInfo { hasNextPage hasPreviousPage }';
    const cursorOfSecond = (
      await graphql(
        t.url,
        t.keys[Role.VIEWER],
        `
          query ($id: ID!) {
            run(id: $id) {
              identities(first: 2) {
                edges {
                  cursor
                }
              }
            }
          }
        `,
        {
          id: langevin.id,
        },
      )
    ).data!.run.identities.edges[1].cursor;
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `query($a: ID!, $b: ID!, $c: String!) {
        one: run(id: $a) {
          all: identities { ${nodes} }
          five: identities(first: 5) { ${nodes} }
          lastTwo: identities(last: 2) { ${nodes} }
          afterSecond: identities(first: 3, after: $c) { ${nodes} }
          beforeSecond: identities(last: 3, before: $c) { ${nodes} }
        }
        two: run(id: $b) { a: identities(first: 1) { ${nodes} } b: identities(last: 3) { ${nodes} } }
      }`,
      { a: langevin.id, b: small.id, c: cursorOfSecond },
    );
    expect(response.errors).toBeUndefined();
    const idsOf = (connection: { edges: Array<{ node: { id: string } }> }) =>
      connection.edges.map((edge) => edge.node.id);
    const { one, two } = response.data!;
    expect(idsOf(one.all)).toEqual(ids);
    expect(idsOf(one.five)).toEqual(ids.slice(0, 5));
    expect(one.five.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false });
    expect(idsOf(one.lastTwo)).toEqual(ids.slice(-2));
    expect(one.lastTwo.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true });
    expect(idsOf(one.afterSecond)).toEqual(ids.slice(2, 5));
    expect(idsOf(one.beforeSecond)).toEqual(ids.slice(0, 1));
    expect(one.beforeSecond.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false });
    expect(idsOf(two.a)).toEqual(smallIds.slice(0, 1));
    expect(idsOf(two.b)).toEqual(smallIds.slice(-3));
  });
});

describe('node(id:)', () => {
  it('finds a run, an identity, a sample and a model pack by id alone, and nothing for an unknown id', async () => {
    const prisma = t.platform.database.prisma;
    const identity = await prisma.identity.findFirstOrThrow({ where: { runId: langevin.id } });
    const sample = await prisma.sample.findFirstOrThrow({ where: { runId: dispersion.id } });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `
        query ($ids: [ID!]!) {
          nodes(ids: $ids) {
            __typename
            id
            ... on Run {
              kind
            }
            ... on Identity {
              index
            }
            ... on Sample {
              variation
            }
            ... on ModelPack {
              digest
            }
          }
        }
      `,
      { ids: [langevin.id, identity.id, sample.id, pack.id, unknown] },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.nodes).toEqual([
      { __typename: 'Run', id: langevin.id, kind: 'LANGEVIN' },
      { __typename: 'Identity', id: identity.id, index: identity.index },
      { __typename: 'Sample', id: sample.id, variation: sample.variation },
      { __typename: 'ModelPack', id: pack.id, digest: pack.digest },
      null,
    ]);
    const single = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `
        query ($id: ID!) {
          node(id: $id) {
            id
            ... on Run {
              status
            }
          }
        }
      `,
      { id: langevin.id },
    );
    expect(single.data!.node).toEqual({ id: langevin.id, status: 'SUCCEEDED' });
    expect(errorCode(await graphql(t.url, t.keys[Role.VIEWER], '{ node(id: "nope") { id } }'))).toBe('BAD_USER_INPUT');
    expect(errorCode(await graphql(t.url, undefined, `{ node(id: "${unknown}") { id } }`))).toBe('UNAUTHENTICATED');
  });
});

describe('node(id:) for datasets, exports, galleries, audits and keys', () => {
  it('finds each by id for the roles that may see it, null for the others, and logs gallery and audit reads', async () => {
    const prisma = t.platform.database.prisma;
    const digest = randomBytes(32).toString('hex');
    const dataset = await prisma.dataset.create({
      data: { name: 'nodes', digest, manifestKey: 'datasets/x/manifest.json', identityCount: 9, sampleCount: 0 },
    });
    const datasetExport = await prisma.datasetExport.create({
      data: { datasetId: dataset.id, format: 'IMAGE_FOLDER', options: {}, total: 9 },
    });
    const gallery = await prisma.gallery.findFirstOrThrow({ where: { name: 'g0' } });
    const audit = await prisma.leakageAudit.create({
      data: {
        galleryId: gallery.id,
        galleryName: gallery.name,
        galleryDigest: gallery.digest,
        recognizerDigest: gallery.recognizerDigest,
        scope: 'IDENTITIES',
        topK: 3,
        threshold: 0.5,
        thresholdSource: 'COSINE',
        shardSize: 100,
      },
    });
    const apiKey = await prisma.apiKey.findFirstOrThrow({ where: { role: Role.VIEWER } });
    const ids = [dataset.id, datasetExport.id, gallery.id, audit.id, apiKey.id];
    const document = `
      query ($ids: [ID!]!) {
        nodes(ids: $ids) {
          __typename
          id
          ... on Dataset { identityCount }
          ... on DatasetExport { total }
          ... on Gallery { name }
          ... on LeakageAudit { topK }
          ... on ApiKey { role }
        }
      }
    `;
    const as = async (role: Role) => {
      const response = await graphql(t.url, t.keys[role], document, { ids });
      expect(response.errors).toBeUndefined();
      return response.data!.nodes as unknown[];
    };
    const datasetNode = { __typename: 'Dataset', id: dataset.id, identityCount: 9 };
    const exportNode = { __typename: 'DatasetExport', id: datasetExport.id, total: 9 };
    const galleryNode = { __typename: 'Gallery', id: gallery.id, name: 'g0' };
    const auditNode = { __typename: 'LeakageAudit', id: audit.id, topK: 3 };
    const keyNode = { __typename: 'ApiKey', id: apiKey.id, role: 'VIEWER' };

    expect(await as(Role.VIEWER)).toEqual([datasetNode, exportNode, null, null, null]);
    expect(await as(Role.OPERATOR)).toEqual([datasetNode, exportNode, null, null, null]);
    const logged = () => prisma.auditLogEntry.count({ where: { target: { in: [gallery.id, audit.id] } } });
    const before = await logged();
    expect(await as(Role.AUDITOR)).toEqual([datasetNode, exportNode, galleryNode, auditNode, null]);
    expect(await logged()).toBeGreaterThanOrEqual(before + 2);
    expect(await as(Role.ADMIN)).toEqual([datasetNode, exportNode, galleryNode, auditNode, keyNode]);
  });
});
