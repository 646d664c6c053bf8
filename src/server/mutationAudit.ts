import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { getArgumentValues, Kind, OperationTypeNode, type GraphQLSchema } from 'graphql';
import type { GraphQLContext } from '../graphql/context.js';

/** JSON with sorted keys, so that equal arguments always give the same digest. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Every mutation a key sends lands in the audit log, whether it succeeded or not: the field, the
 * sha256 of its arguments (canonical JSON; the arguments themselves may hold secrets or be large)
 * and its outcome, `OK` or the error code. The use cases add their own entries with the target.
 */
export function mutationAuditPlugin(schema: GraphQLSchema): ApolloServerPlugin<GraphQLContext> {
  const mutationFields = schema.getMutationType()?.getFields() ?? {};
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, contextValue, request, response }) {
          if (operation?.operation !== OperationTypeNode.MUTATION || !contextValue.principal) return;
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const entries = [];
          for (const selection of operation.selectionSet.selections) {
            if (selection.kind !== Kind.FIELD) continue;
            const field = mutationFields[selection.name.value];
            if (!field) continue;
            const alias = selection.alias?.value ?? selection.name.value;
            let digest: string;
            try {
              digest = createHash('sha256')
                .update(canonical(getArgumentValues(field, selection, request.variables ?? {})))
                .digest('hex');
            } catch {
              digest = createHash('sha256')
                .update(canonical({ invalidArguments: request.variables ?? {} }))
                .digest('hex');
            }
            const error = errors.find((e) => e.path?.[0] === alias);
            const code = error?.extensions?.code;
            const outcome = error ? (typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR') : 'OK';
            entries.push({
              apiKeyId: contextValue.principal.keyId,
              operation: selection.name.value,
              target: null,
              details: { argumentsDigest: digest, outcome },
            });
          }
          if (entries.length > 0) await contextValue.services.prisma.auditLogEntry.createMany({ data: entries });
        },
      };
    },
  };
}
