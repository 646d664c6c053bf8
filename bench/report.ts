export type BenchReport = { name: string; rows: Array<Record<string, string | number>>; notes?: string[] };
