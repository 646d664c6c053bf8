/**
 * Every statement that reads or writes pg-boss's own tables, in one place. They rely on pg-boss
 * 10's schema (the `job` table's columns, the `job_state` values, how `output` holds a failure's
 * message), which pg-boss does not promise to keep across majors: `PG_BOSS_MAJOR` names the major
 * they were written for, and test/core/queue/pgBossStatements.test.ts fails when the installed
 * pg-boss or the live schema differs. Upgrading pg-boss means re-reading its `plans.js` against
 * this file (docs/operations.md, "Upgrading").
 */
export const PG_BOSS_MAJOR = 10;

/** The schema pg-boss creates its tables in. */
export const pgBossSchema = 'pgboss';

/** `job_state` values, in the order pg-boss 10 declares them. */
export const jobStates = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;

/**
 * States of a job that has not finished. Named rather than written `state < 'completed'`, which
 * holds only while pg-boss declares its enum in this order.
 */
const unfinished = `('created', 'retry', 'active')`;

/** A failure's message: pg-boss 10 stores `fail(…, { message })` as the output itself or under `value`. */
const failureMessage = `coalesce(j.output->>'message', j.output->'value'->>'message', 'job failed')`;

const job = `${pgBossSchema}.job`;

/** No unfinished job shares the failed job's singleton key: nothing is left to retry it. */
const noRetryPending = `NOT EXISTS (SELECT 1 FROM ${job} k WHERE k.singleton_key = j.singleton_key AND k.state IN ${unfinished})`;

/** Unfinished jobs of a run and of its shards (their singleton keys start with the run id). */
export const unfinishedRunJobs = `SELECT name, id FROM ${job} j WHERE split_part(singleton_key, ':', 1) = $1 AND state IN ${unfinished}`;

/**
 * pg-boss 10 has no job heartbeat: a job expires `expireInSeconds` after it started. Moving the
 * start forward renews a live worker's lease; $1 name, $2 id.
 */
export const renewLease = `UPDATE ${job} SET started_on = now() WHERE name = $1 AND id = $2 AND state = 'active'`;

/** Hands an active job back as new, without spending a retry; $1 name, $2 id. */
export const releaseJob = `UPDATE ${job} SET state = 'created', started_on = NULL, start_after = now()
  WHERE name = $1 AND id = $2 AND state = 'active'`;

/** Runs still QUEUED or RUNNING whose job (or a shard's) failed with no retry pending. */
export const abandonedRuns = `SELECT r.id AS "runId", j.data->>'shardId' AS "shardId", ${failureMessage} AS message
  FROM "Run" r JOIN ${job} j ON split_part(j.singleton_key, ':', 1) = r.id::text AND j.state = 'failed'
  WHERE r.status IN ('QUEUED', 'RUNNING') AND ${noRetryPending}`;

/** Exports still QUEUED or RUNNING whose job failed with no retry pending. */
export const abandonedExports = `SELECT e.id AS "exportId", ${failureMessage} AS message
  FROM "DatasetExport" e JOIN ${job} j ON j.singleton_key = e.id::text AND j.state = 'failed'
  WHERE e.status IN ('QUEUED', 'RUNNING') AND ${noRetryPending}`;

/** Provenance exports still QUEUED or RUNNING whose job failed with no retry pending; $1 that queue's name. */
export const abandonedProvenanceExports = `SELECT e.id AS "exportId", ${failureMessage} AS message
  FROM "ProvenanceExport" e JOIN ${job} j ON j.name = $1 AND j.singleton_key = e.id::text AND j.state = 'failed'
  WHERE e.status IN ('QUEUED', 'RUNNING') AND ${noRetryPending}`;

/** PENDING galleries whose embedding job failed with no retry pending; $1 that queue's name. */
export const abandonedGalleries = `SELECT g.id AS "galleryId", ${failureMessage} AS message
  FROM "Gallery" g JOIN ${job} j ON j.name = $1 AND j.singleton_key = g.id::text AND j.state = 'failed'
  WHERE g.status = 'PENDING' AND ${noRetryPending}`;

/** Verifications still QUEUED or RUNNING whose job failed with no retry pending; $1 the verification queues' names. */
export const abandonedVerifications = `SELECT v.id AS "verificationId", ${failureMessage} AS message
  FROM "Verification" v JOIN ${job} j ON j.name = ANY($1::text[]) AND j.singleton_key = v.id::text AND j.state = 'failed'
  WHERE v.status IN ('QUEUED', 'RUNNING') AND ${noRetryPending}`;

/** PENDING packs whose dry run failed with no retry pending; $1 the pack-check queue's name. */
export const abandonedPacks = `SELECT p.id AS "packId", ${failureMessage} AS message
  FROM "ModelPack" p JOIN ${job} j ON j.name = $1 AND j.singleton_key = p.id::text AND j.state = 'failed'
  WHERE p.status = 'PENDING' AND ${noRetryPending}`;

/** Audits still QUEUED or RUNNING with a failed plan or shard job; $1 the names of those queues. */
export const abandonedAudits = `SELECT DISTINCT ON (a.id) a.id AS "auditId", ${failureMessage} AS message
  FROM "LeakageAudit" a JOIN ${job} j ON j.name = ANY($1::text[]) AND j.data->>'auditId' = a.id::text AND j.state = 'failed'
  WHERE a.status IN ('QUEUED', 'RUNNING')`;

/** Jobs pg-boss put back after a failure or an expired lease. */
export const retriedJobCount = `SELECT count(*)::int AS n FROM ${job} WHERE retry_count > 0`;

/** The `job_state` values of the live schema, in declaration order (for the test that pins them). */
export const liveJobStates = `SELECT unnest(enum_range(NULL::${pgBossSchema}.job_state))::text AS state`;
