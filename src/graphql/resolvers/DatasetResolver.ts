import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { createDataset } from '../../core/datasets/createDataset.js';
import { requestExport } from '../../core/datasets/requestExport.js';
import type { DatasetExportId, DatasetId } from '../../core/ids/ids.js';
import { ExportStatus } from '../../generated/prisma/enums.js';
import { codeVersion } from '../../provenance/codeVersion.js';
import { parseId, parseIdArgument } from '../args.js';
import { keysetPage, pageOf, pageRequest } from '../connections.js';
import { ConnectionArguments } from '../types/ConnectionArgs.js';
import { authorize, objectUrl, type GraphQLContext } from '../context.js';
import { badUserInput } from '../errors.js';
import { ExportOptionsInput } from '../inputs/ExportOptionsInput.js';
import { toDataset, toDatasetExport, toRun } from '../mappers.js';
import { DatasetConnection } from '../types/Connections.js';
import { Dataset, DatasetExport, ExportProgress } from '../types/Dataset.js';
import { exportProgressStream } from '../exportProgressStream.js';
import { ExportFormat } from '../types/enums.js';
import { Run } from '../types/Run.js';

const downloadUrlSeconds = 3600;

@Resolver(() => Dataset)
export class DatasetResolver {
  @Mutation(() => Dataset, {
    description: 'Freezes the identities and samples of SUCCEEDED runs into a named, immutable dataset',
  })
  async createDataset(
    @Ctx() context: GraphQLContext,
    @Arg('name', () => String) name: string,
    @Arg('runIds', () => [ID]) runIds: string[],
  ): Promise<Dataset> {
    authorize(context, Permission.Operate);
    const { prisma, store } = context.services;
    const result = await createDataset({ prisma, store, codeVersion }, { name, runIds }, context.principal.keyId);
    if (result.problems) throw badUserInput(result.problems);
    return toDataset(result.dataset);
  }

  @Query(() => Dataset, { nullable: true })
  async dataset(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Dataset | null> {
    authorize(context, Permission.Read);
    const row = await context.services.prisma.dataset.findUnique({ where: { id: parseId<DatasetId>(id, 'id') } });
    return row ? toDataset(row) : null;
  }

  @Query(() => DatasetConnection, { description: 'Datasets, newest first' })
  async datasets(
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
  ): Promise<DatasetConnection> {
    authorize(context, Permission.Read);
    const request = pageRequest(page, ['timestamp', 'id']);
    const { prisma } = context.services;
    const rows = await prisma.dataset.findMany({ ...keysetPage(request, {}, 'desc'), take: request.limit });
    return pageOf(
      rows.map(toDataset),
      request,
      () => prisma.dataset.count(),
      (d) => [d.createdAt.toISOString(), d.id],
    );
  }

  @FieldResolver(() => [Run], { description: 'The runs frozen into it; their parents and packs give the lineage' })
  async runs(@Root() dataset: Dataset, @Ctx() context: GraphQLContext): Promise<Run[]> {
    const rows = await context.services.prisma.datasetRun.findMany({
      where: { datasetId: dataset.id },
      include: { run: true },
      orderBy: { runId: 'asc' },
    });
    return rows.map((row) => toRun(row.run));
  }

  @FieldResolver(() => String, { description: 'Presigned URL of the manifest, valid one hour' })
  async manifestUrl(@Root() dataset: Dataset, @Ctx() context: GraphQLContext): Promise<string> {
    return (await objectUrl(context, 'GET', dataset.manifestKey, downloadUrlSeconds)).url;
  }

  @FieldResolver(() => [DatasetExport], { description: 'Its exports, newest first' })
  async exports(@Root() dataset: Dataset, @Ctx() context: GraphQLContext): Promise<DatasetExport[]> {
    const rows = await context.services.prisma.datasetExport.findMany({
      where: { datasetId: dataset.id },
      orderBy: { createdAt: 'desc' },
    });
    return rows.map(toDatasetExport);
  }
}

@Resolver(() => DatasetExport)
export class DatasetExportResolver {
  @Mutation(() => DatasetExport, {
    description:
      'Queues an export of a dataset; follow it with datasetExport(id) until SUCCEEDED, then fetch downloadUrl',
  })
  async exportDataset(
    @Ctx() context: GraphQLContext,
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('format', () => ExportFormat) format: ExportFormat,
    @Arg('options', () => ExportOptionsInput, { nullable: true }) options: ExportOptionsInput | null,
  ): Promise<DatasetExport> {
    authorize(context, Permission.Operate);
    const result = await requestExport(
      context.services,
      { datasetId, format, options: { ...options } },
      context.principal.keyId,
    );
    if (result.problems) throw badUserInput(result.problems);
    return toDatasetExport(result.export);
  }

  @Query(() => DatasetExport, { nullable: true })
  async datasetExport(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<DatasetExport | null> {
    authorize(context, Permission.Read);
    const row = await context.services.prisma.datasetExport.findUnique({
      where: { id: parseId<DatasetExportId>(id, 'id') },
    });
    return row ? toDatasetExport(row) : null;
  }

  @Subscription(() => ExportProgress, {
    description:
      'The export as it is now, then each change of status and progress, in order; completes after the final status ' +
      '(at once for a finished export). An unknown export is a NOT_FOUND error',
    subscribe: ({ args, context }) =>
      exportProgressStream(context as GraphQLContext, parseIdArgument<DatasetExportId>(args, 'id')),
  })
  exportProgress(@Root() event: ExportProgress, @Arg('id', () => ID) _id: string): ExportProgress {
    return event;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Presigned URL of the tar, valid one hour, once SUCCEEDED',
  })
  async downloadUrl(@Root() row: DatasetExport, @Ctx() context: GraphQLContext): Promise<string | null> {
    if (row.status !== ExportStatus.SUCCEEDED || !row.objectKey) return null;
    return (await objectUrl(context, 'GET', row.objectKey, downloadUrlSeconds)).url;
  }

  @FieldResolver(() => Dataset)
  async dataset(@Root() row: DatasetExport, @Ctx() context: GraphQLContext): Promise<Dataset> {
    return toDataset(await context.services.prisma.dataset.findUniqueOrThrow({ where: { id: row.datasetId } }));
  }
}
