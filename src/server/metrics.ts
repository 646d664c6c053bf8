import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PrismaClient } from '../core/db/client.js';
import type { JobQueue } from '../core/queue/jobQueue.js';
import { liveWorkers } from './workerHealth.js';

/** Process-local metrics, created before the database so that its statements can be counted. */
export function createMetricsRegistry(): { registry: Registry; sqlStatements: Counter } {
  const registry = new Registry();
  // Process and Node.js figures (CPU, memory, event-loop lag, handles, GC), as every Node exporter offers.
  collectDefaultMetrics({ register: registry });
  const sqlStatements = new Counter({
    name: 'brownian_sql_statements_total',
    help: 'SQL statements sent by this process',
    registers: [registry],
  });
  return { registry, sqlStatements };
}

/** Cluster-wide figures, read from the database at scrape time. */
export function registerClusterMetrics(
  registry: Registry,
  prisma: PrismaClient,
  queue: JobQueue,
  heartbeatSeconds: number,
): void {
  new Gauge({
    name: 'brownian_runs',
    help: 'Runs by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const groups = await prisma.run.groupBy({ by: ['status'], _count: { _all: true } });
      for (const group of groups) this.set({ status: group.status }, group._count._all);
    },
  });
  new Gauge({
    name: 'brownian_queue_depth',
    help: 'Jobs waiting in each queue',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const [name, depth] of Object.entries(await queue.depth())) this.set({ queue: name }, depth);
    },
  });
  new Gauge({
    name: 'brownian_jobs_retried',
    help: 'Jobs that were retried after a failure or an expired lease',
    registers: [registry],
    async collect() {
      this.set(await queue.retriedCount());
    },
  });
  new Counter({
    name: 'brownian_iterations_total',
    help: 'Iterations completed by all runs; its rate is iterations per second',
    registers: [registry],
    async collect() {
      const sum = await prisma.run.aggregate({ _sum: { iteration: true } });
      this.reset();
      this.inc(sum._sum.iteration ?? 0);
    },
  });
  new Gauge({
    name: 'brownian_workers_alive',
    help: 'Workers whose heartbeat is recent',
    registers: [registry],
    async collect() {
      this.set((await liveWorkers(prisma, heartbeatSeconds)).length);
    },
  });
}
