/** Which table a synthetic embedding comes from. */
export type QueryKind = 'identity' | 'sample';

/** Where embeddings come from: a run's rows, or a dataset's members. */
export type QueryOwner = { runId: string } | { datasetId: string };

/** How many embeddings of one kind one owner holds, in the order an audit reads them. */
export interface QuerySource {
  kind: QueryKind;
  owner: QueryOwner;
  count: number;
}

/** A contiguous slice of one source: rows [offset, offset + count) in its stable order. */
export interface Segment {
  kind: QueryKind;
  owner: QueryOwner;
  offset: number;
  count: number;
}

/**
 * Cuts the sources, in the given order, into shards of at most `shardSize` embeddings. A pure
 * function of the counts, so the planning job and every shard job derive the same shards.
 */
export function planShards(sources: readonly QuerySource[], shardSize: number): Segment[][] {
  const shards: Segment[][] = [];
  let current: Segment[] = [];
  let filled = 0;
  for (const source of sources) {
    let offset = 0;
    while (offset < source.count) {
      const take = Math.min(source.count - offset, shardSize - filled);
      current.push({ kind: source.kind, owner: source.owner, offset, count: take });
      offset += take;
      filled += take;
      if (filled === shardSize) {
        shards.push(current);
        current = [];
        filled = 0;
      }
    }
  }
  if (current.length > 0) shards.push(current);
  return shards;
}
