import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, RunKind, RunStatus } from '../../src/generated/prisma/enums.js';
import type * as db from '../../src/generated/prisma/client.js';
import { graphql } from '../support/graphqlClient.js';
import { seedIdentity, seedModelPack, seedRun } from '../support/seed.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** The runs table's orders, checked against the same order computed here from the rows the database holds. */
interface Page {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: Array<{ cursor: string; node: { id: string } }>;
}

const selection =
  'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }';
const fields = [
  'CREATED_AT',
  'STARTED_AT',
  'KIND',
  'STATUS',
  'MODEL_PACK',
  'IDENTITIES',
  'ITERATIONS',
  'PROGRESS',
  'DURATION',
] as const;
type Field = (typeof fields)[number];

let t: TestPlatform;
const identityCounts = new Map<string, number>();

beforeAll(async () => {
  t = await startTestPlatform();
  const prisma = t.platform.database.prisma;
  // Pack names of lower-case letters sort the same under any collation the database may have.
  const packs = [await seedModelPack(prisma, 'beta'), await seedModelPack(prisma, 'alpha')];
  const base = Date.parse('2026-01-01T00:00:00Z');
  const statuses = [RunStatus.SUCCEEDED, RunStatus.RUNNING, RunStatus.QUEUED, RunStatus.FAILED, RunStatus.CANCELLED];
  for (let i = 0; i < 11; i++) {
    const seeded = await seedRun(prisma, packs[i % 2]!);
    const status = statuses[i % statuses.length]!;
    // Several runs share each key, so ties (broken by id) fall across page boundaries.
    const started = status === RunStatus.QUEUED ? null : new Date(base + (i % 4) * 60_000);
    const finished =
      started && status !== RunStatus.RUNNING ? new Date(started.getTime() + ((i * 7) % 3) * 1000) : null;
    await prisma.run.update({
      where: { id: seeded.id },
      data: {
        kind: i % 3 === 0 ? RunKind.DISPERSION : RunKind.LANGEVIN,
        status,
        totalIterations: 10 * (1 + (i % 3)),
        iteration: i % 4 === 0 ? 0 : 5 + (i % 2) * 5,
        startedAt: started,
        finishedAt: finished,
        // Two runs at the very same instant: the id decides.
        ...(i >= 9 ? { createdAt: new Date(base) } : {}),
      },
    });
    const count = i % 3;
    for (let index = 0; index < count; index++) await seedIdentity(prisma, seeded, index);
    identityCounts.set(seeded.id, count);
  }
});
afterAll(async () => t?.stop());

const notYet = Number.POSITIVE_INFINITY;
const keyOf: Record<Field, (run: db.Run & { modelPack: db.ModelPack }) => number | string> = {
  CREATED_AT: (r) => r.createdAt.getTime(),
  STARTED_AT: (r) => r.startedAt?.getTime() ?? notYet,
  KIND: (r) => r.kind,
  STATUS: (r) => r.status,
  MODEL_PACK: (r) => r.modelPack.name,
  IDENTITIES: (r) => identityCounts.get(r.id)!,
  ITERATIONS: (r) => r.totalIterations,
  PROGRESS: (r) => (r.totalIterations > 0 ? r.iteration / r.totalIterations : 0),
  DURATION: (r) => (r.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : notYet),
};

async function expectedOrder(field: Field, direction: 'ASC' | 'DESC'): Promise<string[]> {
  const runs = await t.platform.database.prisma.run.findMany({ include: { modelPack: true } });
  const sign = direction === 'ASC' ? 1 : -1;
  const compare = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0);
  return runs
    .sort((a, b) => sign * (compare(keyOf[field](a), keyOf[field](b)) || compare(a.id, b.id)))
    .map((run) => run.id);
}

async function runs(args: string): Promise<Page> {
  const response = await graphql(t.url, t.keys[Role.VIEWER], `{ runs(${args}) { ${selection} } }`);
  expect(response.errors, args).toBeUndefined();
  return response.data!.runs as Page;
}

describe('runs(orderBy:)', () => {
  it('pages every column in both directions, forward and backward, in the order computed from the rows', async () => {
    for (const field of fields) {
      for (const direction of ['ASC', 'DESC'] as const) {
        const expected = await expectedOrder(field, direction);
        const orderBy = `orderBy: { field: ${field}, direction: ${direction} }`;
        const forward: string[] = [];
        for (let after: string | null = null, page = 0; ; page++) {
          const connection: Page = await runs(`${orderBy}, first: 3${after ? `, after: "${after}"` : ''}`);
          expect(connection.totalCount).toBe(expected.length);
          expect(connection.pageInfo.hasPreviousPage).toBe(page > 0);
          forward.push(...connection.edges.map((edge) => edge.node.id));
          if (!connection.pageInfo.hasNextPage) break;
          after = connection.pageInfo.endCursor;
        }
        expect(forward, `${field} ${direction} forward`).toEqual(expected);
        const backward: string[][] = [];
        for (let before: string | null = null; ;) {
          const connection: Page = await runs(`${orderBy}, last: 4${before ? `, before: "${before}"` : ''}`);
          backward.unshift(connection.edges.map((edge) => edge.node.id));
          if (!connection.pageInfo.hasPreviousPage) break;
          before = connection.pageInfo.startCursor;
        }
        expect(backward.flat(), `${field} ${direction} backward`).toEqual(expected);
      }
    }
  });

  it('filters and orders together; newest first by default, as before', async () => {
    const running = await runs('filter: { status: RUNNING }, orderBy: { field: PROGRESS, direction: ASC }, first: 50');
    const expected = (await expectedOrder('PROGRESS', 'ASC')).filter((id) =>
      running.edges.some((edge) => edge.node.id === id),
    );
    expect(running.totalCount).toBe(
      await t.platform.database.prisma.run.count({ where: { status: RunStatus.RUNNING } }),
    );
    expect(running.edges.map((edge) => edge.node.id)).toEqual(expected);
    const plain = await runs('first: 50');
    expect(plain.edges.map((edge) => edge.node.id)).toEqual(await expectedOrder('CREATED_AT', 'DESC'));
  });

  it('refuses a cursor taken under another order, naming the argument', async () => {
    const byKind = await runs('orderBy: { field: KIND }, first: 2');
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `{ runs(orderBy: { field: STATUS }, after: "${byKind.pageInfo.endCursor}") { totalCount } }`,
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const numberForText = Buffer.from(JSON.stringify(['KIND', 3, byKind.edges[0]!.node.id])).toString('base64url');
    const forged = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `{ runs(orderBy: { field: KIND }, before: "${numberForText}") { totalCount } }`,
    );
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
  });
});
