import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/generated/prisma/enums.js';
import { encodeCursor } from '../../src/graphql/connections.js';
import { mulberry32 } from '../support/mulberry32.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Hostile requests, generated from a fixed seed, against the real server this test starts on
 * 127.0.0.1: none may crash it, answer 5xx, report INTERNAL_SERVER_ERROR, change a row, or keep
 * /healthz from answering within a second.
 */
const requestCount = 1200;
const concurrency = 8;

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: false }, { BROWNIAN_MAX_BODY_BYTES: '200000' });
});
afterAll(async () => t?.stop());

interface HostileRequest {
  kind: string;
  method: string;
  contentType?: string;
  key?: string;
  body?: string;
  path?: string;
}

const random = mulberry32(20261128);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (n: number) => Math.floor(random() * n);

const nasty = [
  '',
  'x\ud800y',
  '\udc00',
  'a\u0000b',
  '\u0000',
  '😀'.repeat(50),
  'x'.repeat(100_000),
  '../../etc/passwd',
  'uploads/../runs/x/checkpoint.bin',
  'uploads/..%2F..%2Fx',
  '\'; DROP TABLE "Run"; --',
  '<script>alert(1)</script>',
  '\u202e\u200b',
  '%00',
  ' ',
];
const badIds = [
  '',
  'x',
  '1',
  '00000000-0000-0000-0000-00000000000',
  'not-a-uuid',
  '0'.repeat(5000),
  'a\u0000b',
  '\ud800',
];
const badNumbers = [
  '1.5',
  '1e300',
  '-1',
  '2147483648',
  '9223372036854775808',
  '99999999999999999999999',
  'NaN',
  '-0',
  '0x10',
];
const badCursors = [
  ...['not a date', '2026-13-45', ''].map((d) => encodeCursor([d, '00000000-0000-4000-8000-000000000000'])),
  encodeCursor(['2026-01-01T00:00:00.000Z', 'x']),
  encodeCursor([1.5]),
  encodeCursor([1e300]),
  encodeCursor([2 ** 31]),
  encodeCursor([-1]),
  '!!!',
  'x'.repeat(5000),
  Buffer.from('{"a":1}').toString('base64url'),
];

function gql(query: string, variables?: unknown, key?: string): HostileRequest {
  return {
    kind: 'graphql',
    method: 'POST',
    contentType: 'application/json',
    key,
    body: JSON.stringify({ query, variables }),
  };
}

function fragmentBomb(levels: number): string {
  const fragments = Array.from(
    { length: levels },
    (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
  ).join(' ');
  return `{ ...F0 } ${fragments} fragment F${levels} on Query { __typename }`;
}

const generators: Array<(admin: string) => HostileRequest> = [
  (admin) => ({
    kind: 'malformed JSON',
    method: 'POST',
    contentType: 'application/json',
    key: admin,
    body: JSON.stringify({ query: '{ runs { totalCount } }' }).slice(0, int(30)),
  }),
  (admin) => ({
    kind: 'random bytes',
    method: 'POST',
    contentType: 'application/json',
    key: admin,
    body: String.fromCharCode(...Array.from({ length: int(200) }, () => int(256))),
  }),
  (admin) => ({
    kind: 'content type',
    method: 'POST',
    contentType: pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/graphql',
      'application/json; charset=latin1',
    ]),
    key: admin,
    body: '{"query":"{__typename}"}',
  }),
  (admin) => ({
    kind: 'method',
    method: pick(['PUT', 'DELETE', 'PATCH', 'GET']),
    key: admin,
    path: pick(['/graphql', '/graphql?query={__typename}', '/nothing', '/healthz/x']),
  }),
  (admin) => ({
    kind: 'json shape',
    method: 'POST',
    contentType: 'application/json',
    key: admin,
    body: pick([
      '[]',
      '[{"query":"{__typename}"}]',
      '"x"',
      '1',
      'null',
      '{"query":1}',
      '{"query":"{__typename}","variables":[]}',
      '{"query":"{__typename}","operationName":5}',
    ]),
  }),
  () =>
    gql(
      '{ runs { totalCount } }',
      {},
      pick([undefined, '', 'brn_nothing', 'Bearer', 'x'.repeat(10_000), 'a b', 'brn_\u00e9']),
    ),
  (admin) =>
    gql(
      `{ ${'runs(first: 1) { edges { node { parent { '.repeat(1 + int(30))}id${' } } } }'.repeat(0)} }`.replace(
        'id',
        'id' + ' }'.repeat(0),
      ),
      {},
      admin,
    ),
  (admin) => {
    const depth = 20 + int(3000);
    return gql(`{ ${nest(depth)} }`, {}, admin);
  },
  (admin) =>
    gql(
      `{ ${Array.from({ length: 1 + int(5000) }, (_, i) => `a${i}: runs(first: 200) { totalCount }`).join(' ')} }`,
      {},
      admin,
    ),
  (admin) => gql(fragmentBomb(5 + int(60)), {}, admin),
  (admin) => gql('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }', {}, admin),
  (admin) => gql(`{ runs(first: ${pick(badNumbers)}) { totalCount } }`, {}, admin),
  (admin) =>
    gql(
      'query($first: Int) { runs(first: $first) { totalCount } }',
      { first: pick([1.5, 1e300, -1, 2 ** 31, '5', null, [], {}]) },
      admin,
    ),
  (admin) => gql('query($after: String) { runs(after: $after) { totalCount } }', { after: pick(badCursors) }, admin),
  (admin) =>
    gql(
      'query($before: String) { runs(last: 5, before: $before) { totalCount } }',
      { before: pick(badCursors) },
      admin,
    ),
  (admin) =>
    gql(
      `query($id: ID!) { ${pick(['run', 'identity', 'sample', 'modelPack', 'gallery', 'lineage'])}(id: $id) { id } }`,
      { id: pick(badIds) },
      admin,
    ),
  (admin) =>
    gql(
      'mutation($name: String!) { createApiKey(name: $name, role: VIEWER) { secret } }',
      { name: pick(['', '   ', 'x\ud800y', '\udc00', 'a\u0000b', 'x'.repeat(100_000)]) },
      admin,
    ),
  (admin) => gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: pick(badIds) }, admin),
  (admin) => gql('mutation($id: ID!) { cancelRun(id: $id) { id } }', { id: pick(badIds) }, admin),
  (admin) =>
    gql(
      'mutation($f: String!) { createUploadUrl(fileName: $f) { key } }',
      { f: pick(['', '.x', 'a/b', '../x', 'a\u0000b', 'x'.repeat(300), 'a b', '\ud800']) },
      admin,
    ),
  (admin) =>
    gql(
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }',
      { input: { name: pick(nasty), embeddingDim: 4, count: 1, embeddingsKey: pick(nasty) } },
      admin,
    ),
  (admin) =>
    gql(
      'mutation($input: ModelPackInput!) { registerModelPack(input: $input) { id } }',
      { input: { manifestKey: pick(nasty), files: [{ file: pick(nasty), key: pick(nasty) }] } },
      admin,
    ),
  (admin) =>
    gql(
      'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
      {
        input: {
          modelPackId: pick([...badIds, '00000000-0000-4000-8000-000000000000']),
          numIdentities: pick([0, 1, -5, 1e9, 2 ** 31 - 1]),
          iterations: pick([-1, 0, 1e9]),
          seed: pick(['-1', '18446744073709551616', 'x', '1e3', '', '\u0000']),
          initialLatents: pick(nasty),
        },
      },
      admin,
    ),
  (admin) => gql(`{ runs(filter: { status: ${pick(['NOPE', '"QUEUED"', '1', 'null'])} }) { totalCount } }`, {}, admin),
  (admin) =>
    gql(
      `mutation { createApiKey(name: "${pick(['\\u0000', '\\ud800', 'x\\u0000y'])}", role: ADMIN) { secret } }`,
      {},
      admin,
    ),
  (admin) => gql(`{ runs { totalCount } } ${'#'.repeat(int(150_000))}`, {}, admin),
  (admin) => gql('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }', {}, admin),
  (admin) =>
    gql(`subscription { runProgress(runId: "${pick(badIds).replace(/[\0"\\]/g, '')}") { status } }`, {}, admin),
];

function nest(depth: number): string {
  return `${'runs { edges { node { parent { '.repeat(1)}${'parent { '.repeat(depth)}id${' }'.repeat(depth)} } } } }`;
}

async function send(request: HostileRequest): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (request.contentType) headers['content-type'] = request.contentType;
  if (request.key !== undefined) headers.authorization = `Bearer ${request.key}`;
  const base = t.url.replace(/\/graphql$/, '');
  const response = await fetch(`${base}${request.path ?? '/graphql'}`, {
    method: request.method,
    headers: { accept: 'application/json', ...headers },
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
  });
  return { status: response.status, text: await response.text() };
}

/** Rows refused requests must not leave; audit entries recording a refusal (outcome other than OK) are expected. */
async function rowCounts(): Promise<number[]> {
  const { prisma } = t.platform.database;
  const [{ changes }] = await prisma.$queryRaw<Array<{ changes: number }>>`
    SELECT count(*)::int AS changes FROM "AuditLogEntry" WHERE coalesce(details->>'outcome', 'OK') = 'OK'`;
  return [
    await prisma.apiKey.count(),
    changes!,
    await prisma.run.count(),
    await prisma.gallery.count(),
    await prisma.modelPack.count(),
  ];
}

describe(`${requestCount} generated hostile requests`, () => {
  it('crash nothing, answer no 5xx and no INTERNAL_SERVER_ERROR, change no rows, and never hold up /healthz', async () => {
    const admin = t.keys[Role.ADMIN];
    const before = await rowCounts();
    const requests = Array.from({ length: requestCount }, () => pick(generators)(admin));
    const healthTimes: number[] = [];
    let fuzzing = true;
    const healthLoop = (async () => {
      while (fuzzing) {
        const started = performance.now();
        const response = await fetch(t.url.replace(/\/graphql$/, '/healthz'));
        await response.text();
        healthTimes.push(performance.now() - started);
        expect(response.status).toBe(200);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length) {
          const request = requests[next++]!;
          const { status, text } = await send(request);
          if (status >= 500) failures.push(`${request.kind}: HTTP ${status} ${text.slice(0, 200)}`);
          if (text.includes('INTERNAL_SERVER_ERROR')) failures.push(`${request.kind}: ${text.slice(0, 300)}`);
          if (!text.startsWith('{')) failures.push(`${request.kind}: not JSON: ${text.slice(0, 120)}`);
        }
      }),
    );
    fuzzing = false;
    await healthLoop;

    expect(failures).toEqual([]);
    expect(await rowCounts()).toEqual(before);
    expect(healthTimes.length).toBeGreaterThan(0);
    // Concurrent /healthz requests share one probe and reuse its report for a second
    // (src/server/health.ts), so what this bounds is how long the hostile requests hold the event loop.
    expect(Math.max(...healthTimes), `slowest /healthz of ${healthTimes.length}`).toBeLessThan(1000);
  }, 300_000);
});
