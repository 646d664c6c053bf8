import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  Float,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import type { AuditProgressEvent } from '../../core/events/auditEvents.js';
import { auditReads, type MatchRow } from '../../audits/auditReads.js';
import { auditProgressStream } from '../../audits/auditProgressStream.js';
import { toAudit } from '../mappers.js';
import { readLeakageAudit } from '../protectedReads.js';
import { rerunWithExclusion } from '../../audits/rerunWithExclusion.js';
import { startLeakageAudit } from '../../audits/startAudit.js';
import { Permission } from '../../auth/roles.js';
import type { AuditId, IdentityId, RunId } from '../../core/ids/ids.js';
import { parseId, parseIdArgument } from '../args.js';
import { pageOf, pageRequest, pageSize } from '../connections.js';
import { ConnectionArguments } from '../types/ConnectionArgs.js';
import { auditEntry, authorize, type GraphQLContext } from '../context.js';
import { LeakageAuditInput } from '../inputs/LeakageAuditInput.js';
import {
  AuditProgress,
  ExclusionRerun,
  LeakageAudit,
  LeakageAuditConnection,
  LeakageMatch,
  LeakageMatchConnection,
} from '../types/LeakageAudit.js';
import { Lineage } from '../types/Lineage.js';
import { lineageOf } from './IdentityResolver.js';
import { downloadUrl } from '../downloads.js';
import { DownloadUrl } from '../types/DownloadUrl.js';

/** Review URLs show faces: they expire after 15 minutes unless asked otherwise. */
const imageUrlSeconds = 900;

function toMatch(row: MatchRow): LeakageMatch {
  return {
    ...row,
    subject: row.subject
      ? { id: row.subject.id, row: row.subject.row, label: row.subject.label, imageKey: row.subject.imageKey }
      : null,
    syntheticImageKey: row.sample?.imageKey ?? row.identity.imageKey,
  };
}

/** Audits show gallery subjects: like galleries, AUDITOR and ADMIN only, and reads are logged. */
@Resolver(() => LeakageAudit)
export class LeakageAuditResolver {
  @Query(() => LeakageAudit, { nullable: true })
  async leakageAudit(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<LeakageAudit | null> {
    authorize(context, Permission.Audit);
    return readLeakageAudit(context, parseId<AuditId>(id, 'id'));
  }

  @Query(() => LeakageAuditConnection, { description: 'Audits, newest first; of one run when runId is given' })
  async leakageAudits(
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
    @Arg('runId', () => ID, { nullable: true }) runId?: string,
  ): Promise<LeakageAuditConnection> {
    authorize(context, Permission.Audit);
    const request = pageRequest(page, ['timestamp', 'id']);
    const { prisma } = context.services;
    const auditedRunId = runId ? parseId<RunId>(runId, 'runId') : undefined;
    const rows = await auditReads.auditPage(prisma, auditedRunId, request);
    const count = () => auditReads.auditCount(prisma, auditedRunId);
    const audits = pageOf(rows.map(toAudit), request, count, (audit) => [audit.createdAt.toISOString(), audit.id]);
    await log(context, 'readLeakageAudits', runId ?? null, { audits: audits.edges.map((edge) => edge.node.id) });
    return audits;
  }

  @Mutation(() => LeakageAudit, {
    description: 'Checks the request, records the audit and queues it; nothing is queued when a field is invalid',
  })
  async startLeakageAudit(
    @Ctx() context: GraphQLContext,
    @Arg('input', () => LeakageAuditInput) input: LeakageAuditInput,
  ): Promise<LeakageAudit> {
    authorize(context, Permission.Audit);
    const audit = await startLeakageAudit(context, input);
    return toAudit((await auditReads.audit(context.services.prisma, audit.id as AuditId))!);
  }

  @Mutation(() => ExclusionRerun, {
    description:
      'Reruns the audited Langevin run with the gallery excluded, and audits the new run at the same threshold',
  })
  async rerunWithExclusion(
    @Ctx() context: GraphQLContext,
    @Arg('auditId', () => ID) auditId: string,
    @Arg('exclusionDistance', () => Float, { description: 'c0, radians' }) exclusionDistance: number,
  ): Promise<ExclusionRerun> {
    authorize(context, Permission.Audit);
    const { run, audit } = await rerunWithExclusion(context, parseId<AuditId>(auditId, 'auditId'), exclusionDistance);
    return { runId: run.id, audit: toAudit({ ...audit, runs: [{ runId: run.id }] }) };
  }

  @Subscription(() => AuditProgress, {
    description:
      'The audit as it is now, then its status changes and each shard it finishes, in order; completes after the ' +
      'final status (at once for a finished audit). An unknown audit is a NOT_FOUND error',
    subscribe: ({ args, context }) =>
      auditProgressStream(context as GraphQLContext, parseIdArgument<AuditId>(args, 'auditId')),
  })
  auditProgress(@Root() event: AuditProgressEvent, @Arg('auditId', () => ID) _auditId: string): AuditProgress {
    return event;
  }

  @FieldResolver(() => LeakageMatchConnection, {
    description: 'Matches by similarity, best first; above the threshold only unless told',
  })
  async matches(
    @Root() audit: LeakageAudit,
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) args: ConnectionArguments,
    @Arg('aboveThresholdOnly', () => Boolean, { defaultValue: true }) aboveThresholdOnly = true,
    @Arg('identityId', () => ID, { nullable: true }) identityId?: string,
  ): Promise<LeakageMatchConnection> {
    const request = pageRequest(args, ['finite', 'id']);
    const filter = {
      aboveThresholdOnly,
      identityId: identityId ? parseId<IdentityId>(identityId, 'identityId') : undefined,
    };
    const { prisma } = context.services;
    const rows = await auditReads.matchPage(prisma, audit.id, filter, request);
    await log(context, 'readLeakageMatches', audit.id, {
      ...filter,
      rows: Math.min(rows.length, request.size),
      after: args.after ?? null,
      before: args.before ?? null,
    });
    return pageOf(
      rows.map(toMatch),
      request,
      () => auditReads.matchCount(prisma, audit.id, filter),
      (match) => [match.similarity, match.id],
    );
  }

  @FieldResolver(() => [LeakageMatch], { description: 'The most similar pairs overall, above the threshold or not' })
  async topPairs(
    @Root() audit: LeakageAudit,
    @Ctx() context: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 10 }) first = 10,
  ): Promise<LeakageMatch[]> {
    const size = pageSize(first);
    const rows = await auditReads.matchPage(
      context.services.prisma,
      audit.id,
      { aboveThresholdOnly: false },
      { direction: 'forward', cursor: undefined, size, limit: size },
    );
    await log(context, 'readLeakageMatches', audit.id, { topPairs: Math.min(rows.length, size) });
    return rows.slice(0, size).map(toMatch);
  }
}

@Resolver(() => LeakageMatch)
export class LeakageMatchResolver {
  @FieldResolver(() => DownloadUrl, {
    description: "Presigned GET URL of the synthetic image (the sample's, else the identity's)",
  })
  syntheticImageUrl(
    @Root() match: LeakageMatch,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: imageUrlSeconds, description: 'seconds the URL stays valid' })
    expiresIn: number,
  ): Promise<DownloadUrl> {
    return downloadUrl(context, match.syntheticImageKey, expiresIn);
  }

  @FieldResolver(() => DownloadUrl, {
    nullable: true,
    description:
      'Presigned GET URL of the gallery face, for review; null without an image or once the gallery is deleted',
  })
  async galleryImageUrl(
    @Root() match: LeakageMatch,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: imageUrlSeconds, description: 'seconds the URL stays valid' })
    expiresIn: number,
  ): Promise<DownloadUrl | null> {
    const key = match.subject?.imageKey;
    if (!key) return null;
    const url = await downloadUrl(context, key, expiresIn);
    await log(context, 'presignGalleryImage', match.subject!.id, {
      auditId: match.auditId,
      matchId: match.id,
      expiresAt: url.expiresAt.toISOString(),
    });
    return url;
  }

  @FieldResolver(() => Lineage, {
    description: 'Provenance of the synthetic side: sample or identity, run, parents, pack',
  })
  async lineage(@Root() match: LeakageMatch, @Ctx() context: GraphQLContext): Promise<Lineage> {
    return lineageOf(context, match.sampleId ?? match.identityId);
  }
}

async function log(context: GraphQLContext, operation: string, target: string | null, details: object): Promise<void> {
  await context.services.prisma.auditLogEntry.create({ data: auditEntry(context, operation, target, details) });
}
