import type { RunKind } from '../../generated/prisma/enums.js';
import type { Sql } from '../runs/runStatusWriter.js';
import {
  brownianFacetSchemaUrl,
  eventSchemaUrl,
  LineageEventType,
  lineageNamespace,
  outputsOf,
  producerOf,
  type Facet,
  type LineageRunEvent,
} from './runEvent.js';

/** The job that freezes runs into a dataset; each dataset is one run of it, with the dataset's id as run id. */
export const createDatasetJobName = 'brownian.create_dataset';

/** The lineage dataset a platform dataset is: what its exports and audits read. */
export function datasetLineageName(datasetId: string): string {
  return `datasets/${datasetId}`;
}

interface DatasetRow {
  id: string;
  name: string;
  digest: string;
  identityCount: number;
  sampleCount: number;
  eventTime: Date;
}

/**
 * The COMPLETE event of a dataset's creation, read inside the caller's transaction: inputs are the
 * outputs of the runs it froze and of their parents, whose identities a Dispersion run brings (the
 * names the runs' own events gave them, so lineage tools join the graph), the output is the dataset
 * with its manifest digest. A dataset is made in one transaction, so there is no START or RUNNING
 * to report.
 */
export async function buildDatasetEvent(
  sql: Sql,
  datasetId: string,
  codeVersion: string,
): Promise<LineageRunEvent | undefined> {
  const [dataset] = await sql<DatasetRow>(
    `SELECT id, name, digest, "identityCount", "sampleCount", now() AS "eventTime" FROM "Dataset" WHERE id = $1::uuid`,
    [datasetId],
  );
  if (!dataset) return undefined;
  const runs = await sql<{ id: string; kind: RunKind; parentId: string | null; parentKind: RunKind | null }>(
    `SELECT r.id, r.kind, p.id AS "parentId", p.kind AS "parentKind"
     FROM "DatasetRun" d JOIN "Run" r ON r.id = d."runId" LEFT JOIN "Run" p ON p.id = r."parentRunId"
     WHERE d."datasetId" = $1::uuid ORDER BY r.id`,
    [datasetId],
  );
  // A Dispersion or DisCo run brings its samples and their identities, which its parent made.
  const inputs = new Set<string>();
  for (const run of runs) {
    inputs.add(outputsOf(run));
    if (run.parentId && run.parentKind) inputs.add(outputsOf({ id: run.parentId, kind: run.parentKind }));
  }
  const producer = producerOf(codeVersion);
  const facet = (name: string, fields: Record<string, unknown>): Facet => ({
    _producer: producer,
    _schemaURL: brownianFacetSchemaUrl(name),
    ...fields,
  });
  return {
    eventType: LineageEventType.Complete,
    eventTime: dataset.eventTime.toISOString(),
    producer,
    schemaURL: eventSchemaUrl,
    run: {
      runId: dataset.id,
      facets: {
        brownian_dataset: facet('BrownianDatasetRunFacet', {
          name: dataset.name,
          identityCount: dataset.identityCount,
          sampleCount: dataset.sampleCount,
          codeVersion,
        }),
      },
    },
    job: { namespace: lineageNamespace, name: createDatasetJobName, facets: {} },
    inputs: [...inputs].map((name) => ({ namespace: lineageNamespace, name })),
    outputs: [
      {
        namespace: lineageNamespace,
        name: datasetLineageName(dataset.id),
        facets: { brownian_digest: facet('BrownianDigestDatasetFacet', { sha256: dataset.digest }) },
      },
    ],
  };
}
