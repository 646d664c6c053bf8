import { createHash } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;
let runId: string;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  const pack = await registerMiniPack(t.url, t.keys[Role.OPERATOR]);
  const { data } = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($i: LangevinRunInput!) { startLangevinRun(input: $i) { id } }',
    {
      i: { modelPackId: pack.id, numIdentities: 7, iterations: 3, seed: '5', batchSize: 4 },
    },
  );
  runId = data!.startLangevinRun.id;
  await waitFor(
    async () =>
      (await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).status === RunStatus.SUCCEEDED,
    120_000,
    'the run to succeed',
  );
}, 180_000);
afterAll(async () => t?.stop());

interface IdentityNode {
  id: string;
  index: number;
  embedding: number[];
  imageUrl: { url: string };
  imageSha256: string;
  nearestIdentities: { angle: number; identity: { id: string } }[];
}

describe('fields the dashboard reads', () => {
  it('me: the name and role of the key the request is made with', async () => {
    for (const role of Object.values(Role)) {
      const { data } = await graphql(t.url, t.keys[role], '{ me { name role } }');
      expect(data!.me).toEqual({ name: `test ${role}`, role });
    }
  });

  it('imageUrl: a presigned URL that serves the identity PNG without an API key', async () => {
    const { data } = await graphql<{ identity: IdentityNode }>(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!) { identity(id: $id) { imageUrl { url } imageSha256 } }',
      {
        id: (await t.platform.database.prisma.identity.findFirstOrThrow({ where: { runId } })).id,
      },
    );
    const response = await fetch(data!.identity.imageUrl.url);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(data!.identity.imageSha256);
  });

  it('nearestIdentities: the other identities of the run by embedding angle, as a brute force over the API finds them', async () => {
    const { data } = await graphql<{ run: { identities: { edges: { node: IdentityNode }[] } } }>(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!) { run(id: $id) { identities(first: 10) { edges { node { id index embedding ' +
        'nearestIdentities(first: 3) { angle identity { id } } } } } } }',
      { id: runId },
    );
    const nodes = data!.run.identities.edges.map((e) => e.node);
    expect(nodes).toHaveLength(7);
    const angle = (a: number[], b: number[]) => {
      const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
      return Math.acos(Math.min(1, dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b))));
    };
    for (const node of nodes) {
      const want = nodes
        .filter((other) => other.id !== node.id)
        .map((other) => ({ id: other.id, angle: angle(node.embedding, other.embedding) }))
        .sort((a, b) => a.angle - b.angle)
        .slice(0, 3);
      expect(node.nearestIdentities.map((n) => n.identity.id)).toEqual(want.map((n) => n.id));
      node.nearestIdentities.forEach((n, i) => expect(n.angle).toBeCloseTo(want[i]!.angle, 6));
    }
  });

  it('nearestIdentities refuses a count outside 1..100, naming the argument', async () => {
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!) { identity(id: $id) { nearestIdentities(first: 0) { angle } } }',
      {
        id: (await t.platform.database.prisma.identity.findFirstOrThrow({ where: { runId } })).id,
      },
    );
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe('first');
  });

  it("GraphiQL's full introspection query passes the depth and cost limits; data queries are still limited", async () => {
    const introspection = await graphql(t.url, t.keys[Role.VIEWER], getIntrospectionQuery());
    expect(introspection.errors).toBeUndefined();
    expect(introspection.data!.__schema.types.length).toBeGreaterThan(10);
    const deep = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `{ runs { edges { node { ${'parent { '.repeat(12)}id${' }'.repeat(12)} } } } }`,
    );
    expect(errorCode(deep)).toBe('QUERY_TOO_COMPLEX');
  });
});
