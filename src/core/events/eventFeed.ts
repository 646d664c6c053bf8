/**
 * Subscribers of one kind of event, each narrowed to one subject (a pack, an audit) or to all.
 * Events a lost connection missed are read back by the hub for the subjects watched (`subjects`).
 */
/**
 * The subject a subscriber narrows to: type-graphql hands the `topicId` through as `unknown`, and the
 * API's topic ids are parsed ids (strings). Anything else is a programming error, not a subject.
 */
export function subscriptionSubject(id: unknown): string | undefined {
  if (id === undefined || typeof id === 'string') return id;
  throw new TypeError(`a subscription subject must be an id string, got ${typeof id}`);
}

export class EventFeed<E> {
  private readonly listeners = new Set<{ subject: string | undefined; deliver(event: E): void }>();

  constructor(private readonly subjectOf: (event: E) => string) {}

  publish(event: E): void {
    const subject = this.subjectOf(event);
    for (const listener of this.listeners)
      if (listener.subject === undefined || listener.subject === subject) listener.deliver(event);
  }

  /** Events in arrival order; the iterator ends when the consumer returns (a client unsubscribes). */
  subscribe(subject: unknown): AsyncIterableIterator<E> {
    const queue: E[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const listener = {
      subject: subscriptionSubject(subject),
      deliver: (event: E) => {
        queue.push(event);
        wake?.();
      },
    };
    this.listeners.add(listener);
    const finish = (): IteratorResult<E> => {
      done = true;
      this.listeners.delete(listener);
      wake?.();
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<E> = {
      next: async () => {
        while (queue.length === 0 && !done) await new Promise<void>((resolveWake) => (wake = resolveWake));
        wake = undefined;
        const event = queue.shift();
        return event === undefined ? finish() : { value: event, done: false };
      },
      return: async () => finish(),
      throw: async () => finish(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** The subjects someone listens to now (not those listening to all). */
  subjects(): string[] {
    return [...new Set([...this.listeners].flatMap((l) => (l.subject === undefined ? [] : [l.subject])))];
  }

  clear(): void {
    this.listeners.clear();
  }
}
