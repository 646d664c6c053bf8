import { createHash } from 'node:crypto';

/**
 * Identifiers of the platform's PROV documents (docs/provenance.md):
 * - `brn:<id>` is anything `node(id:)` of the GraphQL API resolves: runs, identities, samples, model
 *   packs, datasets, exports, audits, galleries and API keys, by their UUID;
 * - `part:<id>.<name>` is a part of such a node: its latent, image or embedding, a run's shards and
 *   checkpoints, an audit's report, a pack's validation; the node is the id before the first dot;
 * - `sha256:<hex>` is content that exists only as bytes: pack files, export archives;
 * - `agent:worker-<hash>` is a worker: one host running one software version on one execution provider.
 */
export const provPrefixes: Record<string, string> = {
  brownian: 'https://brownian.dev/ns#',
  brn: 'urn:brownian:node:',
  part: 'urn:brownian:part:',
  sha256: 'urn:brownian:sha256:',
  agent: 'urn:brownian:agent:',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};

export function nodeRef(id: string): string {
  return `brn:${id}`;
}

export type PartName = 'latent' | 'image' | 'embedding' | 'report' | 'check' | 'latents' | 'embeddings' | 'checkpoint';

/** `part` is a PartName, or any other part a caller names. */
export function partRef(id: string, part: string): string {
  return `part:${id}.${part}`;
}

export function contentRef(sha256: string): string {
  return `sha256:${sha256}`;
}

export interface WorkerAgent {
  host: string;
  softwareVersion: string;
  executionProvider: string;
}

/** One agent per (host, version, provider): a worker upgraded or moved to another device acts as another agent. */
export function workerRef(worker: WorkerAgent): string {
  const key = `${worker.host}\0${worker.softwareVersion}\0${worker.executionProvider}`;
  return `agent:worker-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** The node id a `brn:` or `part:` reference names, for `node(id:)`; undefined for other references. */
export function nodeIdOf(reference: string): string | undefined {
  if (reference.startsWith('brn:')) return reference.slice(4);
  if (reference.startsWith('part:')) return reference.slice(5).split('.')[0];
  return undefined;
}
