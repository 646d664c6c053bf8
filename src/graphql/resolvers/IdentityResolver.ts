import { Arg, Ctx, FieldResolver, Float, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import type * as db from '../../generated/prisma/client.js';
import { bytesToFloat32 } from '../../core/db/floats.js';
import type { IdentityId, SampleId } from '../../core/ids/ids.js';
import { nearestByAngle } from '../../identities/nearestByAngle.js';
import { parseId } from '../args.js';
import { authorize, type GraphQLContext } from '../context.js';
import { maxPageSize } from '../connections.js';
import { defaultDownloadSeconds, downloadUrl } from '../downloads.js';
import { badUserInput, notFound } from '../errors.js';
import { toIdentity, toModelPack, toRun, toSample } from '../mappers.js';
import { DownloadUrl } from '../types/DownloadUrl.js';
import { Identity, IdentityNeighbour, Sample, type StoredVectors } from '../types/Identity.js';
import { Lineage } from '../types/Lineage.js';
import { Run } from '../types/Run.js';
import { provenanceOf } from './ProvenanceResolver.js';

/** Parent chains are short in practice; the bound only stops a corrupted cycle. */
const maxAncestors = 1000;
const maxNeighbours = 100;

/** Sample → identity → run → parent runs → model pack, and the same chain as PROV-JSON. */
export async function lineageOf(context: GraphQLContext, subjectId: string): Promise<Lineage> {
  const { prisma } = context.services;
  const sample = await prisma.sample.findUnique({ where: { id: subjectId } });
  const identity = await context.loaders.identity.load(sample ? sample.identityId : subjectId);
  if (!identity) throw notFound('sample or identity', subjectId);
  const runs: db.Run[] = [];
  let nextRunId: string | null = sample ? sample.runId : identity.runId;
  const seen = new Set<string>();
  while (nextRunId && !seen.has(nextRunId) && runs.length < maxAncestors) {
    seen.add(nextRunId);
    const run: db.Run | undefined = await context.loaders.run.load(nextRunId);
    if (!run) break;
    runs.push(run);
    nextRunId = run.parentRunId;
  }
  const [producer, ...ancestors] = runs;
  if (!producer) throw notFound('run of', subjectId);
  const packs = (await context.loaders.modelPack.loadMany([...new Set(runs.map((r) => r.modelPackId))])).filter(
    (pack): pack is db.ModelPack => pack !== undefined && !(pack instanceof Error),
  );
  const pack = packs.find((p) => p.id === producer.modelPackId);
  if (!pack) throw notFound('model pack', producer.modelPackId);
  return {
    sample: sample ? toSample(sample) : null,
    identity: toIdentity(identity),
    run: toRun(producer),
    ancestors: ancestors.map(toRun),
    modelPack: toModelPack(pack),
    prov: await provenanceOf(context, sample ? sample.id : identity.id),
  };
}

async function identityVectors(identity: Identity, context: GraphQLContext): Promise<StoredVectors> {
  const vectors = identity.vectors ?? (await context.loaders.identityVectors.load(identity.id));
  if (!vectors) throw notFound('identity', identity.id);
  return vectors;
}

async function sampleVectors(sample: Sample, context: GraphQLContext): Promise<StoredVectors> {
  const vectors = sample.vectors ?? (await context.loaders.sampleVectors.load(sample.id));
  if (!vectors) throw notFound('sample', sample.id);
  return vectors;
}

@Resolver(() => Identity)
export class IdentityResolver {
  @Query(() => Identity, { nullable: true })
  async identity(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Identity | null> {
    authorize(context, Permission.Read);
    const row = await context.loaders.identity.load(parseId<IdentityId>(id, 'id'));
    return row ? toIdentity(row) : null;
  }

  @Query(() => Lineage, { description: 'Provenance of a sample or an identity, given its id' })
  async lineage(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Lineage> {
    authorize(context, Permission.Read);
    return lineageOf(context, parseId<string>(id, 'id'));
  }

  @FieldResolver(() => [Float])
  async latent(@Root() identity: Identity, @Ctx() context: GraphQLContext): Promise<number[]> {
    return Array.from(bytesToFloat32((await identityVectors(identity, context)).latent));
  }

  @FieldResolver(() => [Float])
  async embedding(@Root() identity: Identity, @Ctx() context: GraphQLContext): Promise<number[]> {
    return Array.from(bytesToFloat32((await identityVectors(identity, context)).embedding));
  }

  @FieldResolver(() => Run)
  async run(@Root() identity: Identity, @Ctx() context: GraphQLContext): Promise<Run> {
    const row = await context.loaders.run.load(identity.runId);
    if (!row) throw notFound('run', identity.runId);
    return toRun(row);
  }

  @FieldResolver(() => DownloadUrl, { description: 'Presigned GET URL of the PNG image' })
  imageUrl(
    @Root() subject: Identity,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: defaultDownloadSeconds, description: 'seconds the URL stays valid' })
    expiresIn: number,
  ): Promise<DownloadUrl> {
    return downloadUrl(context, subject.imageKey, expiresIn);
  }

  @FieldResolver(() => [Sample], {
    description: 'Variations of this identity made by Dispersion or DisCo runs, oldest run first',
  })
  async samples(
    @Root() identity: Identity,
    @Ctx() context: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 48 }) first: number,
  ): Promise<Sample[]> {
    if (!Number.isInteger(first) || first < 1 || first > maxPageSize) {
      throw badUserInput([{ field: 'first', message: `must be an integer from 1 to ${maxPageSize}` }]);
    }
    const rows = await context.services.prisma.sample.findMany({
      where: { identityId: identity.id },
      orderBy: [{ createdAt: 'asc' }, { runId: 'asc' }, { variation: 'asc' }],
      take: first,
    });
    return rows.map(toSample);
  }

  @FieldResolver(() => [IdentityNeighbour], {
    description: 'Identities of the same run nearest by embedding angle, nearest first',
  })
  async nearestIdentities(
    @Root() identity: Identity,
    @Ctx() context: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 5 }) first: number,
  ): Promise<IdentityNeighbour[]> {
    if (!Number.isInteger(first) || first < 1 || first > maxNeighbours) {
      throw badUserInput([{ field: 'first', message: `must be an integer from 1 to ${maxNeighbours}` }]);
    }
    const others = await context.loaders.embeddingsOfRun.load(identity.runId);
    const self = others.findIndex((other) => other.id === identity.id);
    const nearest = nearestByAngle(
      bytesToFloat32((await identityVectors(identity, context)).embedding),
      others.map((other) => other.embedding),
      first,
      self,
    );
    const rows = await context.loaders.identity.loadMany(nearest.map((n) => others[n.index]!.id));
    return nearest.flatMap((neighbour, i) => {
      const row = rows[i];
      return row && !(row instanceof Error) ? [{ identity: toIdentity(row), angle: neighbour.angle }] : [];
    });
  }
}

@Resolver(() => Sample)
export class SampleResolver {
  @Query(() => Sample, { nullable: true })
  async sample(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Sample | null> {
    authorize(context, Permission.Read);
    const row = await context.services.prisma.sample.findUnique({ where: { id: parseId<SampleId>(id, 'id') } });
    return row ? toSample(row) : null;
  }

  @FieldResolver(() => [Float])
  async latent(@Root() sample: Sample, @Ctx() context: GraphQLContext): Promise<number[]> {
    return Array.from(bytesToFloat32((await sampleVectors(sample, context)).latent));
  }

  @FieldResolver(() => [Float])
  async embedding(@Root() sample: Sample, @Ctx() context: GraphQLContext): Promise<number[]> {
    return Array.from(bytesToFloat32((await sampleVectors(sample, context)).embedding));
  }

  @FieldResolver(() => Identity)
  async identity(@Root() sample: Sample, @Ctx() context: GraphQLContext): Promise<Identity> {
    const row = await context.loaders.identity.load(sample.identityId);
    if (!row) throw notFound('identity', sample.identityId);
    return toIdentity(row);
  }

  @FieldResolver(() => Run)
  async run(@Root() sample: Sample, @Ctx() context: GraphQLContext): Promise<Run> {
    const row = await context.loaders.run.load(sample.runId);
    if (!row) throw notFound('run', sample.runId);
    return toRun(row);
  }

  @FieldResolver(() => DownloadUrl, { description: 'Presigned GET URL of the PNG image' })
  imageUrl(
    @Root() subject: Sample,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: defaultDownloadSeconds, description: 'seconds the URL stays valid' })
    expiresIn: number,
  ): Promise<DownloadUrl> {
    return downloadUrl(context, subject.imageKey, expiresIn);
  }
}
