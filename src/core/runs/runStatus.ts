import { RunStatus } from '../../generated/prisma/enums.js';

/** A run in one of these states never changes again. */
export const terminalRunStatuses: readonly RunStatus[] = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED];

export function isTerminal(status: RunStatus): boolean {
  return terminalRunStatuses.includes(status);
}
