import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelPackId } from '../../src/core/ids/ids.js';
import { JobName } from '../../src/core/queue/jobQueue.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { healthReuseMs } from '../../src/server/health.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { seedIdentity, seedModelPack, seedRun } from '../support/seed.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform(
    { api: true, worker: false },
    { BROWNIAN_MAX_QUERY_DEPTH: '8', BROWNIAN_MAX_BODY_BYTES: '20000' },
  );
});
afterAll(async () => t?.stop());

describe('authentication and roles', () => {
  it('refuses a missing or wrong key with UNAUTHENTICATED', async () => {
    const missing = await graphql(t.url, undefined, '{ modelPacks { totalCount } }');
    expect(missing.status).toBe(401);
    expect(errorCode(missing)).toBe('UNAUTHENTICATED');
    const wrong = await graphql(t.url, 'brn_nothing_here', '{ modelPacks { totalCount } }');
    expect(errorCode(wrong)).toBe('UNAUTHENTICATED');
  });

  it('refuses a role without the permission with FORBIDDEN, and changes nothing', async () => {
    const before = await t.platform.database.prisma.apiKey.count();
    const response = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation { createApiKey(name: "x", role: VIEWER) { secret } }',
    );
    expect(errorCode(response)).toBe('FORBIDDEN');
    expect(await t.platform.database.prisma.apiKey.count()).toBe(before);
  });

  it('issues keys that work at once and stop working when revoked, with an audit trail', async () => {
    const created = await graphql(
      t.url,
      t.keys[Role.ADMIN],
      'mutation { createApiKey(name: "dashboard", role: VIEWER) { secret apiKey { id role } } }',
    );
    const { secret, apiKey } = created.data!.createApiKey;
    expect(apiKey.role).toBe('VIEWER');
    const stored = await t.platform.database.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(stored.keyHash).not.toContain(secret);
    expect((await graphql(t.url, secret, '{ modelPacks { totalCount } }')).errors).toBeUndefined();
    const revoked = await graphql(
      t.url,
      t.keys[Role.ADMIN],
      'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
      { id: apiKey.id },
    );
    expect(revoked.data!.revokeApiKey.revokedAt).toBeTruthy();
    expect(errorCode(await graphql(t.url, secret, '{ modelPacks { totalCount } }'))).toBe('UNAUTHENTICATED');
    const again = await graphql(t.url, t.keys[Role.ADMIN], 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', {
      id: apiKey.id,
    });
    expect(errorCode(again)).toBe('CONFLICT');
    const audit = await t.platform.database.prisma.auditLogEntry.findMany({ where: { target: apiKey.id } });
    expect(audit.map((a) => a.operation).sort()).toEqual(['createApiKey', 'revokeApiKey']);
  });
});

describe('bad input', () => {
  it('names the argument of a malformed id', async () => {
    const response = await graphql(t.url, t.keys[Role.VIEWER], '{ run(id: "not-a-uuid") { id } }');
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe('id');
  });

  it('answers NOT_FOUND for a well-formed id that does not exist', async () => {
    const response = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation { cancelRun(id: "00000000-0000-4000-8000-000000000000") { id } }',
    );
    expect(errorCode(response)).toBe('NOT_FOUND');
  });

  it('refuses queries deeper than the limit', async () => {
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      '{ runs { edges { node { parent { parent { parent { parent { parent { parent { id } } } } } } } } } }',
    );
    expect(errorCode(response)).toBe('QUERY_TOO_COMPLEX');
    expect(response.errors![0]!.message).toMatch(/depth \d+ exceeds the limit of 8/);
  });

  it('refuses queries whose estimated cost is too high', async () => {
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      '{ runs(first: 200) { edges { node { identities(first: 200) { edges { node { id latent embedding } } } } } } }',
    );
    expect(errorCode(response)).toBe('QUERY_TOO_COMPLEX');
    expect(response.errors![0]!.message).toMatch(/cost \d+ exceeds/);
  });

  it('refuses an oversized request body with a clear error', async () => {
    const response = await graphql(t.url, t.keys[Role.VIEWER], `{ modelPacks { totalCount } } # ${'x'.repeat(30000)}`);
    expect(response.status).toBe(413);
    expect(response.errors![0]!.message).toMatch(/request body exceeds 20000 bytes/);
  });

  it('refuses an out-of-range page size', async () => {
    const response = await graphql(t.url, t.keys[Role.VIEWER], '{ runs(first: 500) { totalCount } }');
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe('first');
  });
});

describe('reading runs and lineage', () => {
  it('pages through runs newest first with cursors', async () => {
    const prisma = t.platform.database.prisma;
    const pack = await seedModelPack(prisma, 'paging');
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await seedRun(prisma, pack));
    const query =
      'query($after: String) { runs(first: 2, after: $after, filter: { modelPackId: "' +
      pack.id +
      '" }) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }';
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await graphql(t.url, t.keys[Role.VIEWER], query, { after })).data!.runs;
      expect(page.totalCount).toBe(5);
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(created.map((r) => r.id).reverse());
    const garbage = await graphql(t.url, t.keys[Role.VIEWER], '{ runs(after: "zzz") { totalCount } }');
    expect(errorCode(garbage)).toBe('BAD_USER_INPUT');
  });

  it('traces an identity to its run, parent runs and model pack, also as PROV-JSON', async () => {
    const prisma = t.platform.database.prisma;
    const pack = await seedModelPack(prisma, 'lineage-pack');
    const parent = await seedRun(prisma, pack);
    const child = await seedRun(prisma, pack, parent.id);
    const identity = await seedIdentity(prisma, child, 3);
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `
        query ($id: ID!) {
          lineage(id: $id) {
            identity {
              index
              latent
            }
            run {
              id
              seed
              parameters
              provenance {
                codeVersion
                workerHost
                executionProvider
              }
              children {
                id
              }
              parent {
                id
              }
            }
            ancestors {
              id
            }
            modelPack {
              digest
            }
            prov
          }
        }
      `,
      { id: identity.id },
    );
    expect(response.errors).toBeUndefined();
    const lineage = response.data!.lineage;
    expect(lineage.identity).toEqual({ index: 3, latent: [3, 1, 2, 3] });
    expect(lineage.run).toMatchObject({
      id: child.id,
      seed: '7',
      parent: { id: parent.id },
      provenance: { workerHost: 'test-host', executionProvider: 'cpu' },
    });
    expect(lineage.ancestors).toEqual([{ id: parent.id }]);
    expect(lineage.modelPack.digest).toBe(pack.digest);
    // The child run was informed by its parent: exactly that record, not merely some record.
    const informedBy = Object.values(lineage.prov.wasInformedBy) as Array<Record<string, string>>;
    expect(informedBy.filter((r) => r['prov:informant'] === `brn:${parent.id}`)).toEqual([
      expect.objectContaining({ 'prov:informed': `brn:${child.id}`, 'prov:informant': `brn:${parent.id}` }),
    ]);
    expect(Object.keys(lineage.prov.activity)).toEqual(expect.arrayContaining([`brn:${child.id}`, `brn:${parent.id}`]));
  });
});

describe('uploads', () => {
  it('hands out presigned PUT URLs that a plain HTTP client can use', async () => {
    const response = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation { createUploadUrl(fileName: "latents.f32") { key url } }',
    );
    const { key, url } = response.data!.createUploadUrl;
    const put = await fetch(url, { method: 'PUT', body: new Uint8Array(16) });
    expect(put.status).toBe(200);
    expect(await t.platform.store.exists(key)).toBe(true);
    const bad = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation { createUploadUrl(fileName: "../etc/passwd") { key } }',
    );
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(
      errorCode(await graphql(t.url, t.keys[Role.VIEWER], 'mutation { createUploadUrl(fileName: "a.bin") { key } }')),
    ).toBe('FORBIDDEN');
  });
});

describe('operations endpoints', () => {
  it('answers a burst of /healthz from one probe and probes again once the report is older than its reuse time', async () => {
    const healthUrl = t.url.replace(/\/graphql$/, '/healthz');
    const checkedAt = async () => ((await (await fetch(healthUrl)).json()) as { checkedAt: string }).checkedAt;
    const burst = await Promise.all(Array.from({ length: 20 }, checkedAt));
    expect(new Set(burst).size).toBe(1);
    const first = Date.parse(burst[0]!);
    const later = await waitFor(
      async () => {
        const at = Date.parse(await checkedAt());
        return at !== first ? at : undefined;
      },
      60_000,
      'a new health report',
    );
    expect(later - first).toBeGreaterThanOrEqual(healthReuseMs - 10);
  });

  it('reports health and Prometheus metrics', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const health = await (await fetch(`${base}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', database: 'ok', objectStore: 'ok', workers: [] });
    // Counts the metrics must report exactly: runs as the database holds them, one queued job.
    const prisma = t.platform.database.prisma;
    const pack = await seedModelPack(prisma, 'metrics');
    await seedRun(prisma, pack);
    const succeeded = await prisma.run.count({ where: { status: 'SUCCEEDED' } });
    await t.platform.queue.enqueue(JobName.packCheck, { packId: pack.id as ModelPackId }, `metrics-${pack.id}`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^brownian_runs\\{status="SUCCEEDED"\\} ${succeeded}$`, 'm'));
    expect(metrics).not.toMatch(/^brownian_runs\{status="(QUEUED|RUNNING|FAILED|CANCELLED)"\} [1-9]/m);
    expect(metrics).toMatch(/^brownian_queue_depth\{queue="run-langevin"\} 0$/m);
    expect(metrics).toMatch(/^brownian_queue_depth\{queue="check-pack"\} 1$/m);
    expect(metrics).toMatch(/^brownian_sql_statements_total \d+$/m);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(metrics).toMatch(new RegExp(`^${name} [\\d.e+-]+$`, 'm'));
    }
  });
});
