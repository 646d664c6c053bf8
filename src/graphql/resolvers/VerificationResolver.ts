import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import type { VerificationId } from '../../core/ids/ids.js';
import { requestVerification, type VerificationRequest } from '../../core/verification/requestVerification.js';
import { parseId } from '../args.js';
import { authorize, type GraphQLContext } from '../context.js';
import { badUserInput } from '../errors.js';
import { toVerification } from '../mappers.js';
import { ProvenanceSubjectKind } from '../types/enums.js';
import { Verification } from '../types/Verification.js';

async function verify(context: GraphQLContext, request: VerificationRequest): Promise<Verification> {
  const result = await requestVerification(context.services, request, context.principal.keyId);
  if (result.problems) throw badUserInput(result.problems);
  return toVerification(result.verification);
}

@Resolver(() => Verification)
export class VerificationResolver {
  @Mutation(() => Verification, {
    description:
      'Queues a worker job that re-derives a sample (or identity) from its stored latent on the recorded execution ' +
      'provider and checks every digest; follow it with verification(id)',
  })
  async verifySample(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Verification> {
    authorize(context, Permission.Operate);
    return verify(context, { kind: ProvenanceSubjectKind.SAMPLE, id: parseId<string>(id, 'id') });
  }

  @Mutation(() => Verification, {
    description:
      'verifySample for sampleCount members of a dataset, spread evenly over it (all of them when fewer), and ' +
      'verifyRun with `segments` segments for each of its runs (none by default)',
  })
  async verifyDataset(
    @Ctx() context: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('sampleCount', () => Int) sampleCount: number,
    @Arg('segments', () => Int, { defaultValue: 0 }) segments: number,
  ): Promise<Verification> {
    authorize(context, Permission.Operate);
    return verify(context, {
      kind: ProvenanceSubjectKind.DATASET,
      id: parseId<string>(id, 'id'),
      sampleCount,
      segments,
    });
  }

  @Mutation(() => Verification, {
    description:
      "Queues a worker job that re-runs a SUCCEEDED run's trajectory on the recorded execution provider: `segments` " +
      'stretches between its kept checkpoints (from the seed, to the stored latents), spread evenly over the run, the ' +
      'last always included; all of them when left out. Each segment costs up to checkpointEvery iterations of the run',
  })
  async verifyRun(
    @Ctx() context: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('segments', () => Int, { nullable: true }) segments: number | null,
  ): Promise<Verification> {
    authorize(context, Permission.Operate);
    return verify(context, {
      kind: ProvenanceSubjectKind.RUN,
      id: parseId<string>(id, 'id'),
      segments: segments ?? null,
    });
  }

  @Query(() => Verification, { nullable: true })
  async verification(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Verification | null> {
    authorize(context, Permission.Read);
    const row = await context.services.prisma.verification.findUnique({
      where: { id: parseId<VerificationId>(id, 'id') },
    });
    return row ? toVerification(row) : null;
  }
}
