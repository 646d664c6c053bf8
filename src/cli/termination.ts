export interface Termination {
  /** Resolves with the first SIGINT or SIGTERM. */
  requested: Promise<NodeJS.Signals>;
  dispose(): void;
}

/**
 * Owns SIGINT/SIGTERM for a command that runs servers. Installed before anything starts, so a
 * signal during start-up (or a second Ctrl-C during shutdown) never kills node the default way,
 * which would leave the embedded PostgreSQL running without its parent.
 */
export function watchTermination(onRepeat: (signal: NodeJS.Signals) => void): Termination {
  let received: NodeJS.Signals | undefined;
  let resolveRequested!: (signal: NodeJS.Signals) => void;
  const requested = new Promise<NodeJS.Signals>((resolveSignal) => (resolveRequested = resolveSignal));
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      onRepeat(signal);
      return;
    }
    received = signal;
    resolveRequested(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
