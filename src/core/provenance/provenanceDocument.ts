import type { PrismaClient } from '../db/client.js';
import { findProvenanceSubject, ProvenanceGraph, type ProvenanceSubject } from './provenanceGraph.js';
import { collectProvJson, type ProvJsonDocument } from './provJson.js';

/**
 * Statements a document built in memory may hold: an identity's or sample's chain is a few hundred;
 * a run or dataset of thousands of outputs goes through the provenance export job instead.
 */
export const maxInlineStatements = 20_000;

export class ProvenanceSubjectNotFoundError extends Error {
  override readonly name = 'ProvenanceSubjectNotFoundError';
  constructor(readonly id: string) {
    super(`no sample, identity, run, audit, export or dataset has id ${id}`);
  }
}

export async function resolveProvenanceSubject(prisma: PrismaClient, id: string): Promise<ProvenanceSubject> {
  const subject = await findProvenanceSubject(prisma, id);
  if (!subject) throw new ProvenanceSubjectNotFoundError(id);
  return subject;
}

/** The PROV-JSON document of a sample, identity, run, audit, export or dataset, built in memory. */
export async function provenanceDocument(
  prisma: PrismaClient,
  subject: ProvenanceSubject,
  limit = maxInlineStatements,
): Promise<ProvJsonDocument> {
  return collectProvJson(new ProvenanceGraph(prisma).statements(subject), limit);
}
