import type { TopKMatches } from '../pairwise/topK.js';

/** The best gallery row of one of a query's top-k subjects. */
export interface SubjectMatch {
  query: number;
  /** 1 for the most similar subject. */
  rank: number;
  row: number;
  similarity: number;
}

/**
 * Top-k subjects from the top rows: a subject's similarity is that of its best row. When no
 * subject has more than R rows, the top k·R rows hold the best row of each of the top k subjects
 * (at most (k−1)·R rows of better subjects can precede the k-th one's best), so this is exact.
 */
export function topSubjects(top: TopKMatches, labelOf: (row: number) => string, k: number): SubjectMatch[] {
  const matches: SubjectMatch[] = [];
  for (let q = 0; q < top.queryCount; q++) {
    const seen = new Set<string>();
    for (let p = 0; p < top.k && seen.size < k; p++) {
      const row = top.indices[q * top.k + p]!;
      const label = labelOf(row);
      if (seen.has(label)) continue;
      seen.add(label);
      matches.push({ query: q, rank: seen.size, row, similarity: top.similarities[q * top.k + p]! });
    }
  }
  return matches;
}
