import { GraphQLDateTime } from 'graphql-scalars';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { issueApiKey } from '../../auth/apiKeys.js';
import { announceRevocation } from '../../auth/revocations.js';
import { Permission } from '../../auth/roles.js';
import type { ApiKeyId } from '../../core/ids/ids.js';
import { parseId } from '../args.js';
import { auditEntry, authorize, type GraphQLContext } from '../context.js';
import { badUserInput, conflict, notFound } from '../errors.js';
import { toApiKey } from '../mappers.js';
import { ApiKey, CreatedApiKey } from '../types/ApiKey.js';
import { Role } from '../types/enums.js';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey])
  async apiKeys(@Ctx() context: GraphQLContext): Promise<ApiKey[]> {
    authorize(context, Permission.Admin);
    const rows = await context.services.prisma.apiKey.findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map(toApiKey);
  }

  @Query(() => ApiKey, { description: 'The key this request is made with: its name and role' })
  async me(@Ctx() context: GraphQLContext): Promise<ApiKey> {
    authorize(context, Permission.Read);
    const row = await context.services.prisma.apiKey.findUnique({ where: { id: context.principal.keyId } });
    if (!row) throw notFound('API key', context.principal.keyId);
    return toApiKey(row);
  }

  @Mutation(() => CreatedApiKey, { description: 'The secret is returned once; only its hash is stored' })
  async createApiKey(
    @Ctx() context: GraphQLContext,
    @Arg('name', () => String) name: string,
    @Arg('role', () => Role) role: Role,
    @Arg('expiresAt', () => GraphQLDateTime, {
      nullable: true,
      description: 'When the key stops working, closing its open WebSockets; in the future. Omitted: never',
    })
    expiresAt?: Date | null,
  ): Promise<CreatedApiKey> {
    authorize(context, Permission.Admin);
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 200) {
      throw badUserInput([{ field: 'name', message: 'must be 1 to 200 characters' }]);
    }
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw badUserInput([{ field: 'expiresAt', message: 'must be in the future' }]);
    }
    return context.services.prisma.$transaction(async (tx) => {
      const issued = await issueApiKey(tx, trimmed, role, expiresAt ?? null);
      await tx.auditLogEntry.create({
        data: auditEntry(context, 'createApiKey', issued.id, {
          name: trimmed,
          role,
          expiresAt: expiresAt?.toISOString() ?? null,
        }),
      });
      return { apiKey: toApiKey(issued.row), secret: issued.secret };
    });
  }

  @Mutation(() => ApiKey)
  async revokeApiKey(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ApiKey> {
    authorize(context, Permission.Admin);
    const keyId = parseId<ApiKeyId>(id, 'id');
    const { prisma } = context.services;
    const revoked = await prisma.$transaction(async (tx) => {
      const row = await tx.apiKey.findUnique({ where: { id: keyId } });
      if (!row) throw notFound('API key', keyId);
      if (row.revokedAt) throw conflict(`API key ${keyId} is already revoked`);
      const updated = await tx.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
      await tx.auditLogEntry.create({ data: auditEntry(context, 'revokeApiKey', keyId, {}) });
      await announceRevocation(tx, keyId);
      return toApiKey(updated);
    });
    // Other API processes learn it from the notification; this one must not serve the key even for the moment that takes.
    context.services.keys.forget(keyId);
    return revoked;
  }
}
