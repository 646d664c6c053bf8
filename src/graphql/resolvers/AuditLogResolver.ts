import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import type { ApiKeyId } from '../../core/ids/ids.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { parseId } from '../args.js';
import { pageOf, pageRequest } from '../connections.js';
import { authorize, type GraphQLContext } from '../context.js';
import { badUserInput } from '../errors.js';
import { AuditLogEntry } from '../types/AuditLogEntry.js';
import { ConnectionArguments } from '../types/ConnectionArgs.js';
import { AuditLogConnection } from '../types/Connections.js';

function stringOf(details: Prisma.JsonValue, name: string): string | null {
  const value = details !== null && typeof details === 'object' && !Array.isArray(details) ? details[name] : undefined;
  return typeof value === 'string' ? value : null;
}

@Resolver(() => AuditLogEntry)
export class AuditLogResolver {
  @Query(() => AuditLogConnection, { description: 'The audit log, newest first (admins only)' })
  async auditLog(
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
    @Arg('operation', () => String, { nullable: true, description: 'Only entries of this operation' })
    operation?: string | null,
    @Arg('apiKeyId', () => ID, { nullable: true, description: 'Only entries of this key' }) apiKeyId?: string | null,
  ): Promise<AuditLogConnection> {
    authorize(context, Permission.Admin);
    const request = pageRequest(page, ['finite']);
    const where: Prisma.AuditLogEntryWhereInput = {
      operation: operation ?? undefined,
      apiKeyId: apiKeyId ? parseId<ApiKeyId>(apiKeyId, 'apiKeyId') : undefined,
    };
    // Newest first is descending ids; a backward page reads ascending from its cursor.
    const forward = request.direction === 'forward';
    const cursorId = request.cursor?.[0] as number | undefined;
    if (cursorId !== undefined && !(Number.isSafeInteger(cursorId) && cursorId >= 0)) {
      throw badUserInput([{ field: forward ? 'after' : 'before', message: 'not a cursor returned by this API' }]);
    }
    const cursor = cursorId === undefined ? undefined : BigInt(cursorId);
    const pageWhere: Prisma.AuditLogEntryWhereInput =
      cursor === undefined ? where : { AND: [where, { id: forward ? { lt: cursor } : { gt: cursor } }] };
    const { prisma } = context.services;
    const rows = await prisma.auditLogEntry.findMany({
      where: pageWhere,
      orderBy: { id: forward ? 'desc' : 'asc' },
      take: request.limit,
      include: { apiKey: true },
    });
    const entries: AuditLogEntry[] = rows.map((row) => ({
      id: row.id.toString(),
      createdAt: row.createdAt,
      operation: row.operation,
      target: row.target,
      apiKey: row.apiKey,
      argumentsDigest: stringOf(row.details, 'argumentsDigest'),
      outcome: stringOf(row.details, 'outcome'),
      details: (row.details ?? {}) as object,
    }));
    return pageOf(
      entries,
      request,
      () => prisma.auditLogEntry.count({ where }),
      (entry) => [Number(entry.id)],
    );
  }
}
