/** Bins of the similarity histograms, equal over cosine similarity [-1, 1]. */
export const histogramBins = 40;

/** What an audit found, kept in LeakageAudit.summary; it holds nothing of the gallery's own data. */
export interface AuditSummary {
  identitiesAudited: number;
  samplesAudited: number;
  /** Identities with a match above the threshold, through themselves or any of their samples. */
  flaggedIdentities: number;
  flaggedSamples: number;
  /** flaggedIdentities / identitiesAudited. */
  leakageRate: number;
  /** flaggedSamples / samplesAudited, 0 when no samples were audited. */
  sampleLeakageRate: number;
  /** Highest similarity of any synthetic embedding to any gallery subject. */
  maxSimilarity: number;
  histogram: {
    /** Lower edge of each bin; the last bin ends at 1. */
    binStarts: number[];
    /** How many audited identities have their maximum similarity in each bin. */
    identityMaxSimilarity: number[];
    /** Share of the gallery's impostor pairs in each bin. */
    galleryImpostors: number[];
  };
}
