import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { startDispersionRun, type DispersionRunRequest } from '../../core/runs/startDispersionRun.js';
import { authorize, type GraphQLContext } from '../context.js';
import { badUserInput } from '../errors.js';
import { DispersionRunInput } from '../inputs/DispersionRunInput.js';
import { toRun } from '../mappers.js';
import { Run } from '../types/Run.js';

async function start(
  context: GraphQLContext,
  input: DispersionRunInput,
  disco: boolean,
  operation: string,
): Promise<Run> {
  authorize(context, Permission.Operate);
  const request: DispersionRunRequest = { ...input };
  const result = await startDispersionRun(context.services, request, {
    disco,
    requester: { apiKeyId: context.principal.keyId, operation },
  });
  if (result.problems) throw badUserInput(result.problems);
  return toRun(result.run);
}

@Resolver()
export class DispersionResolver {
  @Mutation(() => Run, {
    description:
      'Validates and queues a Dispersion run (DisCo when covariates is set), one job per shard; nothing is queued ' +
      'when any field is invalid',
  })
  startDispersionRun(
    @Ctx() context: GraphQLContext,
    @Arg('input', () => DispersionRunInput) input: DispersionRunInput,
  ): Promise<Run> {
    return start(context, input, false, 'startDispersionRun');
  }

  @Mutation(() => Run, {
    description: "startDispersionRun with covariate directions: the pack's unless covariates says otherwise",
  })
  startDiscoRun(
    @Ctx() context: GraphQLContext,
    @Arg('input', () => DispersionRunInput) input: DispersionRunInput,
  ): Promise<Run> {
    return start(context, input, true, 'startDiscoRun');
  }
}
