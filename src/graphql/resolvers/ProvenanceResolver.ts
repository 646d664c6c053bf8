import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import type { ProvenanceExportId } from '../../core/ids/ids.js';
import {
  provenanceDocument,
  ProvenanceSubjectNotFoundError,
  resolveProvenanceSubject,
} from '../../core/provenance/provenanceDocument.js';
import type { ProvenanceSubject } from '../../core/provenance/provenanceGraph.js';
import { ProvenanceTooLargeError } from '../../core/provenance/provJson.js';
import { requestProvenanceExport } from '../../core/provenance/requestProvenanceExport.js';
import { parseId } from '../args.js';
import { authorize, type GraphQLContext } from '../context.js';
import { defaultDownloadSeconds, downloadUrl } from '../downloads.js';
import { notFound, tooLarge } from '../errors.js';
import { toProvenanceExport } from '../mappers.js';
import { DownloadUrl } from '../types/DownloadUrl.js';
import { ExportStatus, ProvenanceFormat, ProvenanceSubjectKind } from '../types/enums.js';
import { ProvenanceExport } from '../types/ProvenanceExport.js';

/** The subject an id names; audits are readable by auditors only, as everywhere else in the API. */
async function subjectOf(context: GraphQLContext, id: string): Promise<ProvenanceSubject> {
  try {
    const subject = await resolveProvenanceSubject(context.services.prisma, id);
    if (subject.kind === ProvenanceSubjectKind.AUDIT) authorize(context, Permission.Audit);
    return subject;
  } catch (error) {
    if (error instanceof ProvenanceSubjectNotFoundError)
      throw notFound('sample, identity, run, audit, export or dataset', id);
    throw error;
  }
}

/** The PROV-JSON of a subject small enough to build in one request. */
export async function provenanceOf(context: GraphQLContext, id: string): Promise<object> {
  const subject = await subjectOf(context, id);
  try {
    return await provenanceDocument(context.services.prisma, subject);
  } catch (error) {
    if (error instanceof ProvenanceTooLargeError) {
      throw tooLarge(`the provenance of ${id} ${error.message}; request it as a file with requestProvenanceExport`);
    }
    throw error;
  }
}

@Resolver(() => ProvenanceExport)
export class ProvenanceResolver {
  @Query(() => GraphQLJSONObject, {
    description:
      'W3C PROV-JSON of a sample, identity, run, audit, dataset export or dataset (docs/provenance.md): entities with ' +
      'sha256 digests, the activities that made them and their agents. `brn:<id>` names resolve with node(id:). ' +
      'Subjects of more than 20,000 statements answer TOO_LARGE: use requestProvenanceExport.',
  })
  async provenance(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<object> {
    authorize(context, Permission.Read);
    return provenanceOf(context, parseId<string>(id, 'id'));
  }

  @Mutation(() => ProvenanceExport, {
    description:
      'Queues a worker job that streams the provenance of any subject, however large, to a file; follow it with ' +
      'provenanceExport(id) until SUCCEEDED, then fetch downloadUrl',
  })
  async requestProvenanceExport(
    @Ctx() context: GraphQLContext,
    @Arg('id', () => ID, { description: 'A sample, identity, run, audit, dataset export or dataset' }) id: string,
    @Arg('format', () => ProvenanceFormat, { defaultValue: ProvenanceFormat.PROV_JSON }) format: ProvenanceFormat,
  ): Promise<ProvenanceExport> {
    authorize(context, Permission.Read);
    const subject = await subjectOf(context, parseId<string>(id, 'id'));
    const row = await requestProvenanceExport(context.services, { id: subject.id, format }, context.principal.keyId);
    return toProvenanceExport(row);
  }

  @Query(() => ProvenanceExport, { nullable: true })
  async provenanceExport(
    @Ctx() context: GraphQLContext,
    @Arg('id', () => ID) id: string,
  ): Promise<ProvenanceExport | null> {
    authorize(context, Permission.Read);
    const row = await context.services.prisma.provenanceExport.findUnique({
      where: { id: parseId<ProvenanceExportId>(id, 'id') },
    });
    if (row?.subjectKind === ProvenanceSubjectKind.AUDIT) authorize(context, Permission.Audit);
    return row ? toProvenanceExport(row) : null;
  }

  @FieldResolver(() => DownloadUrl, {
    nullable: true,
    description: 'Presigned GET URL of the document, once SUCCEEDED',
  })
  async downloadUrl(
    @Root() row: ProvenanceExport,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: defaultDownloadSeconds, description: 'seconds the URL stays valid' })
    expiresIn: number,
  ): Promise<DownloadUrl | null> {
    if (row.status !== ExportStatus.SUCCEEDED || !row.objectKey) return null;
    return downloadUrl(context, row.objectKey, expiresIn);
  }
}
