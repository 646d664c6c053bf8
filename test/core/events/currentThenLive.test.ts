import { describe, expect, it } from 'vitest';
import { currentThenLive, type ProgressFollower } from '../../../src/core/events/currentThenLive.js';

/** Live events from a list, recording whether the subscription was closed. */
function liveOf(events: number[]): AsyncIterableIterator<number> & { closed: boolean } {
  let index = 0;
  const live = {
    closed: false,
    next: () =>
      Promise.resolve(
        index < events.length
          ? { done: false as const, value: events[index++]! }
          : { done: true as const, value: undefined },
      ),
    return: () => {
      live.closed = true;
      return Promise.resolve({ done: true as const, value: undefined });
    },
    [Symbol.asyncIterator]: () => live,
  };
  return live;
}

/** Progress counting up to 10: events at or below the last value sent add nothing, 10 is final. */
const counter = (current: number): ProgressFollower<number, number> => ({
  read: () => Promise.resolve(current),
  finished: (value) => value >= 10,
  next: (event, last) => (event <= last ? undefined : { value: event, final: event >= 10 }),
});

async function all(stream: AsyncIterable<number>): Promise<number[]> {
  const values: number[] = [];
  for await (const value of stream) values.push(value);
  return values;
}

describe('currentThenLive', () => {
  it('sends the current value, then each event that adds to the last sent, up to the final one', async () => {
    const live = liveOf([2, 3, 3, 1, 5, 10, 11]);
    expect(await all(await currentThenLive(live, counter(2)))).toEqual([2, 3, 5, 10]);
    expect(live.closed).toBe(true);
  });

  it('sends only the current value of a finished subject, and stops listening', async () => {
    const live = liveOf([11, 12]);
    expect(await all(await currentThenLive(live, counter(10)))).toEqual([10]);
    expect(live.closed).toBe(true);
  });

  it('stops listening when the subscriber leaves early', async () => {
    const live = liveOf([3, 4, 5]);
    for await (const value of await currentThenLive(live, counter(2))) if (value === 3) break;
    expect(live.closed).toBe(true);
  });

  it('stops listening, and throws, when the read fails', async () => {
    const live = liveOf([3]);
    const missing = { ...counter(0), read: () => Promise.reject(new Error('no such subject')) };
    await expect(currentThenLive(live, missing)).rejects.toThrow('no such subject');
    expect(live.closed).toBe(true);
  });
});
