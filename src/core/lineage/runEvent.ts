import { RunKind, RunStatus } from '../../generated/prisma/enums.js';
import { seedFromColumn } from '../db/seeds.js';
import type { Sql } from '../runs/runStatusWriter.js';

/** The OpenLineage spec version the events follow; its schema is vendored in schema/openlineage/. */
export const openLineageSchemaVersion = '2-0-2';
export const eventSchemaUrl = `https://openlineage.io/spec/${openLineageSchemaVersion}/OpenLineage.json#/$defs/RunEvent`;
const errorFacetSchemaUrl =
  'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet';
const parentFacetSchemaUrl = 'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet';
/** Brownian's own facets; docs/provenance.md describes their fields. */
export const brownianFacetSchemaUrl = (name: string) => `https://brownian.dev/spec/facets/1-0-0/${name}.json`;

/** Jobs and datasets of this platform live in one namespace, so that lineage tools link runs to each other. */
export const lineageNamespace = 'brownian';

export enum LineageEventType {
  Start = 'START',
  Running = 'RUNNING',
  Complete = 'COMPLETE',
  Fail = 'FAIL',
  Abort = 'ABORT',
}

/** What a run's status change means to OpenLineage; QUEUED (a requeue) is not an event. */
export function lineageEventTypeOf(status: RunStatus, started: boolean): LineageEventType | undefined {
  switch (status) {
    case RunStatus.RUNNING:
      return started ? LineageEventType.Running : LineageEventType.Start;
    case RunStatus.SUCCEEDED:
      return LineageEventType.Complete;
    case RunStatus.FAILED:
      return LineageEventType.Fail;
    case RunStatus.CANCELLED:
      return LineageEventType.Abort;
    default:
      return undefined;
  }
}

export type Facet = Record<string, unknown> & { _producer: string; _schemaURL: string };

export interface LineageDataset {
  namespace: string;
  name: string;
  facets?: Record<string, Facet>;
}

/** Where events name their producer: the code version that wrote them. */
export function producerOf(codeVersion: string): string {
  return `https://brownian.dev/producer/${encodeURIComponent(codeVersion)}`;
}

export interface LineageRunEvent {
  eventType: LineageEventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, Facet> };
  job: { namespace: string; name: string; facets: Record<string, Facet> };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
}

interface RunRow {
  id: string;
  kind: RunKind;
  status: RunStatus;
  parameters: unknown;
  seed: string;
  iteration: number;
  totalIterations: number;
  error: string | null;
  codeVersion: string | null;
  workerHost: string | null;
  executionProvider: string | null;
  parentRunId: string | null;
  parentKind: RunKind | null;
  exclusionGalleryId: string | null;
  galleryDigest: string | null;
  packDigest: string;
  packName: string;
  eventTime: Date;
}

export interface CheckpointMark {
  iteration: number;
  /** The shard of a Dispersion or DisCo run that checkpointed. */
  shard?: number;
}

function jobName(kind: RunKind): string {
  return `brownian.${kind.toLowerCase()}`;
}

/** The lineage dataset a run's outputs are: what a later run or dataset names as its input. */
export function outputsOf(run: { id: string; kind: RunKind }): string {
  return `runs/${run.id}/${run.kind === RunKind.LANGEVIN ? 'identities' : 'samples'}`;
}

/**
 * The OpenLineage RunEvent of a run as it is in the caller's transaction (the status just written,
 * the transaction's time): inputs are the model pack, the exclusion gallery and the parent run's
 * identities, the output the run's identities or samples; facets carry the parameters and seed,
 * the pack digest, code version, worker and execution provider, and the error of a failed run.
 */
export async function buildRunEvent(
  sql: Sql,
  runId: string,
  eventType: LineageEventType,
  checkpoint?: CheckpointMark,
): Promise<LineageRunEvent | undefined> {
  const [run] = await sql<RunRow>(
    `SELECT r.id, r.kind, r.status, r.parameters, r.seed::text AS seed, r.iteration, r."totalIterations", r.error,
            r."codeVersion", r."workerHost", r."executionProvider", r."parentRunId", parent.kind AS "parentKind",
            r."exclusionGalleryId", g.digest AS "galleryDigest", p.digest AS "packDigest", p.name AS "packName",
            now() AS "eventTime"
     FROM "Run" r JOIN "ModelPack" p ON p.id = r."modelPackId"
     LEFT JOIN "Run" parent ON parent.id = r."parentRunId"
     LEFT JOIN "Gallery" g ON g.id = r."exclusionGalleryId"
     WHERE r.id = $1::uuid`,
    [runId],
  );
  if (!run) return undefined;
  const version = run.codeVersion ?? 'unknown';
  const producer = producerOf(version);
  const facet = (schemaURL: string, fields: Record<string, unknown>): Facet => ({
    _producer: producer,
    _schemaURL: schemaURL,
    ...fields,
  });
  const runFacets: Record<string, Facet> = {
    brownian_parameters: facet(brownianFacetSchemaUrl('BrownianParametersRunFacet'), {
      parameters: run.parameters,
      seed: seedFromColumn(BigInt(run.seed)).toString(),
      totalIterations: run.totalIterations,
    }),
    brownian_execution: facet(brownianFacetSchemaUrl('BrownianExecutionRunFacet'), {
      codeVersion: version,
      executionProvider: run.executionProvider ?? 'unknown',
      workerHost: run.workerHost ?? 'unknown',
      modelPackSha256: run.packDigest,
    }),
  };
  if (checkpoint) {
    runFacets.brownian_checkpoint = facet(brownianFacetSchemaUrl('BrownianCheckpointRunFacet'), { ...checkpoint });
  }
  if (eventType === LineageEventType.Fail) {
    runFacets.errorMessage = facet(errorFacetSchemaUrl, {
      message: run.error ?? 'failed',
      programmingLanguage: 'TypeScript',
    });
  }
  if (run.parentRunId && run.parentKind) {
    runFacets.parent = facet(parentFacetSchemaUrl, {
      run: { runId: run.parentRunId },
      job: { namespace: lineageNamespace, name: jobName(run.parentKind) },
    });
  }
  const digestFacet = (sha256: string) => ({
    brownian_digest: facet(brownianFacetSchemaUrl('BrownianDigestDatasetFacet'), { sha256 }),
  });
  const inputs: LineageDataset[] = [
    { namespace: lineageNamespace, name: `modelpacks/${run.packDigest}`, facets: digestFacet(run.packDigest) },
  ];
  if (run.exclusionGalleryId && run.galleryDigest) {
    inputs.push({
      namespace: lineageNamespace,
      name: `galleries/${run.exclusionGalleryId}`,
      facets: digestFacet(run.galleryDigest),
    });
  }
  if (run.parentRunId && run.parentKind) {
    inputs.push({ namespace: lineageNamespace, name: outputsOf({ id: run.parentRunId, kind: run.parentKind }) });
  }
  return {
    eventType,
    eventTime: run.eventTime.toISOString(),
    producer,
    schemaURL: eventSchemaUrl,
    run: { runId: run.id, facets: runFacets },
    job: {
      namespace: lineageNamespace,
      name: jobName(run.kind),
      facets: {},
    },
    inputs,
    outputs: [{ namespace: lineageNamespace, name: outputsOf(run) }],
  };
}
