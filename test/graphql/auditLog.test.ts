import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(async () => t?.stop());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const entrySelection = 'id operation target argumentsDigest outcome apiKey { name role } createdAt';

describe('auditLog', () => {
  it('records every mutation with its key, arguments digest and outcome, for admins only', async () => {
    const admin = t.keys[Role.ADMIN];
    expect(
      (
        await graphql(t.url, admin, 'mutation($n: String!) { createApiKey(name: $n, role: VIEWER) { secret } }', {
          n: 'lab',
        })
      ).errors,
    ).toBeUndefined();
    const unknownRun = '00000000-0000-4000-8000-000000000000';
    expect(
      errorCode(await graphql(t.url, t.keys[Role.OPERATOR], `mutation { cancelRun(id: "${unknownRun}") { id } }`)),
    ).toBe('NOT_FOUND');
    expect(
      errorCode(
        await graphql(t.url, t.keys[Role.VIEWER], 'mutation { createApiKey(name: "x", role: ADMIN) { secret } }'),
      ),
    ).toBe('FORBIDDEN');

    const log = await graphql(
      t.url,
      admin,
      `{ auditLog(first: 3) { totalCount edges { node { ${entrySelection} } } } }`,
    );
    expect(log.errors).toBeUndefined();
    const nodes = log.data!.auditLog.edges.map((edge: { node: unknown }) => edge.node);
    // Newest first; arguments canonical (keys sorted), hashed.
    expect(nodes[0]).toMatchObject({
      operation: 'createApiKey',
      outcome: 'FORBIDDEN',
      argumentsDigest: sha256('{"name":"x","role":"ADMIN"}'),
      apiKey: { role: 'VIEWER' },
    });
    expect(nodes[1]).toMatchObject({
      operation: 'cancelRun',
      outcome: 'NOT_FOUND',
      argumentsDigest: sha256(`{"id":"${unknownRun}"}`),
      apiKey: { role: 'OPERATOR' },
    });
    expect(nodes[2]).toMatchObject({
      operation: 'createApiKey',
      outcome: 'OK',
      argumentsDigest: sha256('{"name":"lab","role":"VIEWER"}'),
    });
    expect(log.data!.auditLog.totalCount).toBe(await t.platform.database.prisma.auditLogEntry.count());

    expect(errorCode(await graphql(t.url, t.keys[Role.AUDITOR], '{ auditLog { totalCount } }'))).toBe('FORBIDDEN');
    expect(errorCode(await graphql(t.url, admin, '{ auditLog(after: "WzEuNV0") { totalCount } }'))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('pages forward and backward over what the database holds, and filters by operation', async () => {
    const admin = t.keys[Role.ADMIN];
    for (let i = 0; i < 3; i++)
      await graphql(t.url, admin, `mutation { createApiKey(name: "k${i}", role: VIEWER) { secret } }`);
    const expected = (await t.platform.database.prisma.auditLogEntry.findMany({ orderBy: { id: 'desc' } })).map((row) =>
      row.id.toString(),
    );
    type Page = {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
      edges: Array<{ node: { id: string } }>;
    };
    const fetchPage = async (args: string): Promise<Page> =>
      (
        await graphql(
          t.url,
          admin,
          `{ auditLog(${args}) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } } } }`,
        )
      ).data!.auditLog;
    const forward: string[] = [];
    for (let after: string | null = null, page = 0; ; page++) {
      const p: Page = await fetchPage(`first: 2${after ? `, after: "${after}"` : ''}`);
      expect(p.totalCount).toBe(expected.length);
      expect(p.pageInfo.hasPreviousPage).toBe(page > 0);
      forward.push(...p.edges.map((e) => e.node.id));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(forward).toEqual(expected);
    const backward: string[][] = [];
    for (let before: string | null = null; ;) {
      const p: Page = await fetchPage(`last: 2${before ? `, before: "${before}"` : ''}`);
      backward.unshift(p.edges.map((e) => e.node.id));
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    expect(backward.flat()).toEqual(expected);
    const created = await graphql(
      t.url,
      admin,
      '{ auditLog(operation: "createApiKey", first: 200) { totalCount edges { node { operation } } } }',
    );
    expect(
      created.data!.auditLog.edges.every((e: { node: { operation: string } }) => e.node.operation === 'createApiKey'),
    ).toBe(true);
    expect(created.data!.auditLog.totalCount).toBe(
      await t.platform.database.prisma.auditLogEntry.count({ where: { operation: 'createApiKey' } }),
    );
  });
});
