import type * as db from '../generated/prisma/client.js';
import { seedFromColumn } from '../core/db/seeds.js';

export interface LineageRecords {
  sample: db.Sample | null;
  identity: db.Identity;
  /** The producing run first, then its ancestors, nearest first. */
  runs: db.Run[];
  packs: db.ModelPack[];
}

type ProvRecord = Record<string, string | number | boolean | object>;

/** W3C PROV-JSON for a lineage chain: entities are content-addressed outputs and packs, activities are runs. */
export function lineageToProvJson(records: LineageRecords): object {
  const entity: Record<string, ProvRecord> = {};
  const activity: Record<string, ProvRecord> = {};
  const agent: Record<string, ProvRecord> = {};
  const wasGeneratedBy: Record<string, ProvRecord> = {};
  const used: Record<string, ProvRecord> = {};
  const wasInformedBy: Record<string, ProvRecord> = {};
  const wasAssociatedWith: Record<string, ProvRecord> = {};
  const wasDerivedFrom: Record<string, ProvRecord> = {};
  let n = 0;
  const id = (prefix: string) => `_:${prefix}${++n}`;

  for (const pack of records.packs) {
    entity[`brownian:pack/${pack.id}`] = {
      'prov:type': 'brownian:ModelPack',
      'prov:label': pack.name,
      'brownian:digest': pack.digest,
    };
  }
  for (const run of records.runs) {
    const runKey = `brownian:run/${run.id}`;
    activity[runKey] = {
      'prov:type': `brownian:${run.kind}`,
      'brownian:parameters': run.parameters as object,
      'brownian:seed': seedFromColumn(run.seed).toString(),
      'brownian:codeVersion': run.codeVersion ?? 'unknown',
      'brownian:executionProvider': run.executionProvider ?? 'unknown',
      ...(run.startedAt ? { 'prov:startTime': run.startedAt.toISOString() } : {}),
      ...(run.finishedAt ? { 'prov:endTime': run.finishedAt.toISOString() } : {}),
    };
    used[id('u')] = { 'prov:activity': runKey, 'prov:entity': `brownian:pack/${run.modelPackId}` };
    if (run.parentRunId)
      wasInformedBy[id('i')] = { 'prov:informed': runKey, 'prov:informant': `brownian:run/${run.parentRunId}` };
    if (run.workerHost) {
      const agentKey = `brownian:worker/${run.workerHost}`;
      agent[agentKey] = { 'prov:type': 'prov:SoftwareAgent', 'brownian:host': run.workerHost };
      wasAssociatedWith[id('a')] = { 'prov:activity': runKey, 'prov:agent': agentKey };
    }
  }
  const identityKey = `brownian:identity/${records.identity.id}`;
  entity[identityKey] = {
    'prov:type': 'brownian:Identity',
    'brownian:index': records.identity.index,
    'brownian:imageSha256': records.identity.imageSha256,
  };
  wasGeneratedBy[id('g')] = { 'prov:entity': identityKey, 'prov:activity': `brownian:run/${records.identity.runId}` };
  if (records.sample) {
    const sampleKey = `brownian:sample/${records.sample.id}`;
    entity[sampleKey] = {
      'prov:type': 'brownian:Sample',
      'brownian:label': records.sample.label,
      'brownian:variation': records.sample.variation,
      'brownian:imageSha256': records.sample.imageSha256,
    };
    wasGeneratedBy[id('g')] = { 'prov:entity': sampleKey, 'prov:activity': `brownian:run/${records.sample.runId}` };
    wasDerivedFrom[id('d')] = { 'prov:generatedEntity': sampleKey, 'prov:usedEntity': identityKey };
  }
  return {
    prefix: { brownian: 'https://brownian.dev/ns#' },
    entity,
    activity,
    agent,
    wasGeneratedBy,
    used,
    wasInformedBy,
    wasAssociatedWith,
    wasDerivedFrom,
  };
}
