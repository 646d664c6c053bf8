import type { Role } from '../session';

/** Shapes of the fields the pages select; names and nullability follow schema/schema.graphql. */
export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type RunKind = 'LANGEVIN' | 'DISPERSION' | 'DISCO';
export const runStatuses: RunStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
export const runKinds: RunKind[] = ['LANGEVIN', 'DISPERSION', 'DISCO'];

export function isTerminal(status: RunStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
}

export interface Me {
  name: string;
  role: Role;
}

export interface Spread {
  min: number;
  avg: number;
  max: number;
}

export interface IterationStats {
  dt: number | null;
  propIct: number | null;
  meanDistanceToAverage: number;
  embeddingDistance: Spread;
  latentDistance: Spread;
  totalForce: Spread | null;
  interactionForce: Spread | null;
  latentForce: Spread | null;
  randomForce: Spread | null;
  exclusion: { minDistance: number; identitiesWithin: number } | null;
}

export interface PackRef {
  id: string;
  name: string;
  digest: string;
}

export interface RunRow {
  id: string;
  kind: RunKind;
  status: RunStatus;
  iteration: number;
  totalIterations: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  modelPack: PackRef;
  identities: { totalCount: number };
}

export interface RunRef {
  id: string;
  kind: RunKind;
  status: RunStatus;
  createdAt: string;
}

export interface RunDetail extends RunRow {
  /** The manifest gives the run parameters (EG3D's camera) the variations form offers. */
  modelPack: PackRef & { manifest?: unknown };
  seed: string;
  error: string | null;
  errorIteration: number | null;
  cancelRequested: boolean;
  parameters: Record<string, unknown>;
  provenance: { codeVersion: string | null; workerHost: string | null; executionProvider: string | null };
  parent: RunRef | null;
  children: RunRef[];
  iterations: { iteration: number; stats: IterationStats }[];
}

export interface IdentityTile {
  id: string;
  index: number;
  imageUrl: { url: string };
  nearestIdentities: { angle: number; identity: { id: string; index: number } }[];
}

export interface RunProgressEvent {
  runId: string;
  status: RunStatus;
  iteration: number;
  totalIterations: number;
  error: string | null;
  stats: IterationStats | null;
}

export interface ModelPack {
  id: string;
  name: string;
  digest: string;
  latentDim: number;
  embeddingDim: number;
  createdAt: string;
  status: PackStatus;
  error: string | null;
  /** The pack's manifest as uploaded (selected by the start-run form for its run parameters). */
  manifest?: unknown;
}

export type PackStatus = 'PENDING' | 'READY' | 'REJECTED';

export interface Gallery {
  id: string;
  name: string;
  status: string;
  error: string | null;
  digest: string;
  recognizerDigest: string;
  subjectCount: number;
  impostorPairs: number;
  embeddingDim: number;
  createdAt: string;
}

export interface Connection<T> {
  totalCount?: number;
  edges: { node: T }[];
}

export function nodes<T>(connection: Connection<T> | undefined): T[] {
  return connection?.edges.map((edge) => edge.node) ?? [];
}
