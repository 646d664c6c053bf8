import { randomUUID } from 'node:crypto';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { auditEntry, authorize, objectUrl, type GraphQLContext } from '../context.js';
import { isUploadFileName, uploadKey } from '../../core/store/keys.js';
import { badUserInput } from '../errors.js';
import { UploadUrl } from '../types/UploadUrl.js';

const uploadExpirySeconds = 3600;

@Resolver()
export class UploadResolver {
  @Mutation(() => UploadUrl, { description: 'A presigned PUT URL for a pack file, gallery or latent file' })
  async createUploadUrl(
    @Ctx() context: GraphQLContext,
    @Arg('fileName', () => String) fileName: string,
  ): Promise<UploadUrl> {
    authorize(context, Permission.Operate, Permission.Audit);
    if (!isUploadFileName(fileName)) {
      throw badUserInput([{ field: 'fileName', message: 'use 1 to 200 letters, digits, dots, dashes or underscores' }]);
    }
    const key = uploadKey(randomUUID(), fileName);
    const { url, expiresAt } = await objectUrl(context, 'PUT', key, uploadExpirySeconds);
    await context.services.prisma.auditLogEntry.create({ data: auditEntry(context, 'createUploadUrl', key, {}) });
    return { key, url, expiresAt };
  }
}
