import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { provenanceDocument, ProvenanceSubjectNotFoundError } from '../../core/provenance/provenanceDocument.js';
import { ProvenanceTooLargeError } from '../../core/provenance/provJson.js';
import { parseId } from '../args.js';
import { authorize, type GraphQLContext } from '../context.js';
import { notFound, tooLarge } from '../errors.js';

/** The API's errors for the provenance use case's: the id that names nothing, a document too large to inline. */
export async function provenanceOf(context: GraphQLContext, id: string): Promise<object> {
  try {
    return await provenanceDocument(context.services.prisma, id);
  } catch (error) {
    if (error instanceof ProvenanceSubjectNotFoundError)
      throw notFound('sample, identity, run, audit, export or dataset', id);
    if (error instanceof ProvenanceTooLargeError) {
      throw tooLarge(`the provenance of ${id} ${error.message}; request it as a file with requestProvenanceExport`);
    }
    throw error;
  }
}

@Resolver()
export class ProvenanceResolver {
  @Query(() => GraphQLJSONObject, {
    description:
      'W3C PROV-JSON of a sample, identity, run, audit, dataset export or dataset (docs/provenance.md): entities with ' +
      'sha256 digests, the activities that made them and their agents. `brn:<id>` names resolve with node(id:).',
  })
  async provenance(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<object> {
    authorize(context, Permission.Read);
    return provenanceOf(context, parseId<string>(id, 'id'));
  }
}
