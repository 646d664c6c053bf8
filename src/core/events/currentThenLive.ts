/** What a live event means to a subscriber: the value to send and whether it is the last one. */
export interface NextValue<T> {
  value: T;
  final: boolean;
}

/** How one kind of progress subscription reads its subject and follows its events. */
export interface ProgressFollower<E, T> {
  /** The subject as it is now; throws (a not-found error) when there is none. */
  read(): Promise<T>;
  /** Whether the value read is final: then it is all that is sent. */
  finished(current: T): boolean;
  /**
   * What an event adds after `last`, the last value sent; undefined when it adds nothing (it was
   * sent before the read, or read back after an outage).
   */
  next(event: E, last: T): NextValue<T> | undefined;
}

/**
 * A progress subscription (a run's, an audit's, an export's): the subject as it is now, then each
 * later change in order, completing after a final one, at once when the subject has finished.
 * `live` is subscribed before `read` runs, so no change falls between the two; it is closed when
 * the stream ends, when the subscriber leaves, and when the read fails.
 */
export async function currentThenLive<E, T>(
  live: AsyncIterableIterator<E>,
  follower: ProgressFollower<E, T>,
): Promise<AsyncIterable<T>> {
  let current: T;
  try {
    current = await follower.read();
  } catch (error) {
    await live.return?.();
    throw error;
  }
  async function* stream(): AsyncGenerator<T> {
    try {
      yield current;
      if (follower.finished(current)) return;
      let last = current;
      for await (const event of live) {
        const next = follower.next(event, last);
        if (!next) continue;
        last = next.value;
        yield next.value;
        if (next.final) return;
      }
    } finally {
      await live.return?.();
    }
  }
  return stream();
}
