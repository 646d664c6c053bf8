import type pg from 'pg';
import type { Principal } from '../auth/apiKeys.js';
import type { KeyCache } from '../auth/keyCache.js';
import { type Permission, roleAllows } from '../auth/roles.js';
import type { Config } from '../core/config/config.js';
import type { PrismaClient } from '../core/db/client.js';
import { jsonColumn } from '../core/db/json.js';
import type { Logger } from '../core/logging/logger.js';
import type { JobQueue } from '../core/queue/jobQueue.js';
import type { EventHub } from '../core/events/eventHub.js';
import type { ObjectStore, PresignedUrl } from '../core/store/objectStore.js';
import type { ApiObjectUrls } from '../core/store/objectUrls.js';
import { forbidden } from './errors.js';
import type { Loaders } from './loaders.js';

/** Long-lived parts every request shares. */
export interface ApiServices {
  config: Config;
  prisma: PrismaClient;
  /** The pool under Prisma, for NOTIFY and statements Prisma cannot express. */
  pool: pg.Pool;
  store: ObjectStore;
  queue: JobQueue;
  log: Logger;
  /** Run and pack events, for subscriptions that need more than a topic. */
  events: EventHub;
  /** Recently authenticated keys; a revocation must remove its key here (auth/keyCache.ts). */
  keys: KeyCache;
  /** Set on the embedded default: the API signs and serves object URLs itself (server/objectRoutes.ts). */
  objectUrls?: ApiObjectUrls;
}

export interface GraphQLContext {
  principal: Principal;
  services: ApiServices;
  loaders: Loaders;
  /** `http://<Host header>` of the request when it is a well-formed host, for object URLs the API serves. */
  origin: string | undefined;
}

/** A URL for one object and one method, of the origin the client reached the API at where the API serves it. */
export function objectUrl(
  context: GraphQLContext,
  method: 'GET' | 'PUT',
  key: string,
  expirySeconds: number,
): Promise<PresignedUrl> {
  return context.services.store.presignedUrl(method, key, expirySeconds, context.origin);
}

/** Passes when the caller's role grants any one of the permissions. */
export function authorize(context: GraphQLContext, ...permissions: Permission[]): void {
  if (!permissions.some((permission) => roleAllows(context.principal.role, permission))) {
    throw forbidden(`role ${context.principal.role} may not do this (needs ${permissions.join(' or ')})`);
  }
}

/** Audit-log entry for a mutation: who did what to which object. */
export function auditEntry(context: GraphQLContext, operation: string, target: string | null, details: object) {
  return { apiKeyId: context.principal.keyId, operation, target, details: jsonColumn(details) };
}
