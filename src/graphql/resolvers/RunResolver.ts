import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { cancelRun } from '../../core/runs/runLifecycle.js';
import type { ModelPackId, RunId } from '../../core/ids/ids.js';
import { runFile } from '../../exports/runFiles.js';
import { checkpointKey, type RunFileKind } from '../../core/store/keys.js';
import { parseId } from '../args.js';
import { pageOf, pageRequest, type CursorPart } from '../connections.js';
import { auditEntry, authorize, type GraphQLContext } from '../context.js';
import { defaultDownloadSeconds, downloadUrl } from '../downloads.js';
import { badUserInput, conflict, notFound } from '../errors.js';
import { RunFilter } from '../inputs/RunFilter.js';
import { OrderDirection, RunOrder } from '../inputs/RunOrder.js';
import { countRuns, cursorKey, listRuns, RunOrderField, sortKeyType, type SortKeyType } from '../../runs/runList.js';
import { ConnectionArguments } from '../types/ConnectionArgs.js';
import { toIdentity, toModelPack, toRun, toRunIteration, toRunShard, toSample } from '../mappers.js';
import { IdentityConnection, RunConnection, SampleConnection } from '../types/Connections.js';
import { RunIteration } from '../types/IterationStats.js';
import { DownloadUrl } from '../types/DownloadUrl.js';
import { ModelPack } from '../types/ModelPack.js';
import { Run, RunShard } from '../types/Run.js';

const cursorParts: Record<SortKeyType, CursorPart> = { timestamp: 'timestamp', number: 'finite', text: 'text' };

@Resolver(() => Run)
export class RunResolver {
  @Query(() => RunConnection, { description: 'Runs, newest first unless orderBy says otherwise' })
  async runs(
    @Ctx() context: GraphQLContext,
    @Arg('filter', () => RunFilter, { nullable: true }) filter: RunFilter | null,
    @Arg('orderBy', () => RunOrder, { nullable: true, description: 'Default: CREATED_AT, DESC' })
    orderBy: RunOrder | null,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
  ): Promise<RunConnection> {
    authorize(context, Permission.Read);
    const order = {
      field: orderBy?.field ?? RunOrderField.CREATED_AT,
      direction: orderBy?.direction ?? OrderDirection.DESC,
    };
    // A cursor names its order's column, so one taken under another order is refused rather than misread.
    const request = pageRequest(page, ['text', cursorParts[sortKeyType(order.field)], 'id']);
    const [field, key, id] = request.cursor ?? [];
    if (request.cursor && field !== order.field) {
      throw badUserInput([
        {
          field: request.direction === 'forward' ? 'after' : 'before',
          message: `a cursor of another orderBy than ${order.field}`,
        },
      ]);
    }
    const filterOf = {
      // An explicit null in the filter means "any", as an absent field does.
      status: filter?.status ?? undefined,
      kind: filter?.kind ?? undefined,
      modelPackId: filter?.modelPackId ? parseId<ModelPackId>(filter.modelPackId, 'filter.modelPackId') : undefined,
      parentRunId: filter?.parentRunId ? parseId<RunId>(filter.parentRunId, 'filter.parentRunId') : undefined,
      createdAfter: filter?.createdAfter ?? undefined,
    };
    const { prisma } = context.services;
    const rows = await listRuns(
      prisma,
      filterOf,
      order,
      request,
      request.cursor ? { key: key!, id: String(id) } : undefined,
    );
    for (const row of rows) context.loaders.run.prime(row.id, row);
    const connection = pageOf(
      rows,
      request,
      () => countRuns(prisma, filterOf),
      (row) => [order.field, cursorKey(row), row.id],
    );
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: toRun(edge.node) })) };
  }

  @Query(() => Run, { nullable: true })
  async run(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Run | null> {
    authorize(context, Permission.Read);
    const row = await context.loaders.run.load(parseId<RunId>(id, 'id'));
    return row ? toRun(row) : null;
  }

  @Mutation(() => Run, { description: 'Stops a run at its next iteration boundary; a queued run never starts' })
  async cancelRun(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Run> {
    authorize(context, Permission.Operate);
    const runId = parseId<RunId>(id, 'id');
    const result = await cancelRun(context.services.prisma, runId, async (tx, previousStatus) => {
      await tx.auditLogEntry.create({ data: auditEntry(context, 'cancelRun', runId, { previousStatus }) });
    });
    switch (result.outcome) {
      case 'not-found':
        throw notFound('run', runId);
      case 'already-finished':
        throw conflict(`run ${runId} is already ${result.status}`);
      case 'cancelled':
        await context.services.queue.cancelRunJobs(runId);
        return toRun(result.run);
      case 'cancel-requested':
        return toRun(result.run);
    }
  }

  @FieldResolver(() => String, { description: 'Seed of the counter-based random generator (64-bit, as a string)' })
  seed(@Root() run: Run): string {
    return run.seedValue.toString();
  }

  @FieldResolver(() => ModelPack)
  async modelPack(@Root() run: Run, @Ctx() context: GraphQLContext): Promise<ModelPack> {
    const row = await context.loaders.modelPack.load(run.modelPackId);
    if (!row) throw notFound('model pack', run.modelPackId);
    return toModelPack(row);
  }

  @FieldResolver(() => Run, { nullable: true, description: 'The run this one continues from' })
  async parent(@Root() run: Run, @Ctx() context: GraphQLContext): Promise<Run | null> {
    if (!run.parentRunId) return null;
    const row = await context.loaders.run.load(run.parentRunId);
    return row ? toRun(row) : null;
  }

  @FieldResolver(() => [Run], { description: 'Runs started from this one' })
  async children(@Root() run: Run, @Ctx() context: GraphQLContext): Promise<Run[]> {
    return (await context.loaders.childrenOfRun.load(run.id)).map(toRun);
  }

  @FieldResolver(() => [RunShard], { description: 'Shards of a Dispersion or DisCo run, in order; empty for Langevin' })
  async shards(@Root() run: Run, @Ctx() context: GraphQLContext): Promise<RunShard[]> {
    return (await context.loaders.shardsOfRun.load(run.id)).map(toRunShard);
  }

  @FieldResolver(() => [RunIteration], { description: 'Per-iteration statistics, in order' })
  async iterations(@Root() run: Run, @Ctx() context: GraphQLContext): Promise<RunIteration[]> {
    return (await context.loaders.iterationsOfRun.load(run.id)).map(toRunIteration);
  }

  @FieldResolver(() => IdentityConnection, { description: 'Identities of a Langevin run, by index' })
  async identities(
    @Root() run: Run,
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
  ): Promise<IdentityConnection> {
    const request = pageRequest(page, ['index']);
    const rows = await context.loaders.identityPage.load({ runId: run.id, request });
    const count = () => context.loaders.identityCountOfRun.load(run.id);
    return pageOf(rows.map(toIdentity), request, count, (identity) => [identity.index]);
  }

  @FieldResolver(() => SampleConnection, {
    description: 'Samples of a Dispersion or DisCo run, by label and variation',
  })
  async samples(
    @Root() run: Run,
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
  ): Promise<SampleConnection> {
    const request = pageRequest(page, ['index', 'index']);
    const rows = await context.loaders.samplePage.load({ runId: run.id, request });
    const count = () => context.loaders.sampleCountOfRun.load(run.id);
    return pageOf(rows.map(toSample), request, count, (sample) => [sample.label, sample.variation]);
  }

  @FieldResolver(() => DownloadUrl, {
    nullable: true,
    description:
      'Presigned GET URL of the latents of a succeeded run: one little-endian float32 row per identity (or sample), in order',
  })
  latentsUrl(
    @Root() run: Run,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: defaultDownloadSeconds }) expiresIn: number,
  ): Promise<DownloadUrl | null> {
    return runFileUrl(context, run.id, 'latents', expiresIn);
  }

  @FieldResolver(() => DownloadUrl, { nullable: true, description: 'Like latentsUrl, for the embeddings' })
  embeddingsUrl(
    @Root() run: Run,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: defaultDownloadSeconds }) expiresIn: number,
  ): Promise<DownloadUrl | null> {
    return runFileUrl(context, run.id, 'embeddings', expiresIn);
  }

  @FieldResolver(() => DownloadUrl, {
    nullable: true,
    description:
      'Presigned GET URL of the last checkpoint of an unfinished run (operators only); null when there is none',
  })
  async checkpointUrl(
    @Root() run: Run,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: defaultDownloadSeconds }) expiresIn: number,
  ): Promise<DownloadUrl | null> {
    authorize(context, Permission.Operate);
    const key = checkpointKey(run.id);
    return (await context.services.store.exists(key)) ? downloadUrl(context, key, expiresIn) : null;
  }
}

async function runFileUrl(
  context: GraphQLContext,
  runId: string,
  kind: RunFileKind,
  expiresIn: number,
): Promise<DownloadUrl | null> {
  const key = await runFile(context.services.prisma, context.services.store, runId, kind);
  return key ? downloadUrl(context, key, expiresIn) : null;
}
