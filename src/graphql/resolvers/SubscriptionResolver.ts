import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { runEventTopic } from '../../core/events/eventHub.js';
import type { RunEvent } from '../../core/events/runEvents.js';
import type { RunId } from '../../core/ids/ids.js';
import { parseId } from '../args.js';
import { RunProgress } from '../types/RunProgress.js';

function toProgress(event: RunEvent): RunProgress {
  return {
    runId: event.runId,
    status: event.status,
    iteration: event.iteration,
    totalIterations: event.totalIterations,
    stats: event.type === 'iteration' ? event.stats : null,
    error: event.type === 'status' ? event.error : null,
    shard: event.type === 'shard' ? { index: event.shardIndex, status: event.shardStatus, iteration: event.shardIteration } : null,
    samplesDone: event.type === 'shard' ? (event.samplesDone ?? null) : null,
    shardsSucceeded: event.type === 'shard' ? (event.shardsSucceeded ?? null) : null,
    shardCount: event.type === 'shard' ? (event.shardCount ?? null) : null,
  };
}

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => RunProgress, {
    description: 'Status changes and every iteration of one run, in order',
    topics: runEventTopic,
    topicId: ({ args }) => parseId<RunId>(String(args.runId), 'runId'),
  })
  runProgress(@Root() event: RunEvent, @Arg('runId', () => ID) _runId: string): RunProgress {
    return toProgress(event);
  }

  @Subscription(() => RunProgress, {
    description: 'Status changes of every run',
    topics: runEventTopic,
    filter: ({ payload }) => (payload as RunEvent).type === 'status',
  })
  runUpdated(@Root() event: RunEvent): RunProgress {
    return toProgress(event);
  }
}
