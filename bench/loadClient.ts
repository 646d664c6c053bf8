/**
 * The clients of bench/apiLoad.bench.ts, in a process of their own so that the API's process runs
 * only the API (as it would behind a lab's network): the baseline queries one at a time, then the
 * subscribers, then the burst of concurrent queries while /healthz is polled. Started with
 * `fork` and one JSON argument (LoadPlan); it tells its parent over IPC when the burst begins
 * (`{ burst: 'start' }`) and sends the figures when it ends.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface LoadPlan {
  url: string;
  key: string;
  runId: string;
  queries: number;
  subscribers: number;
  baselineQueries: number;
}

export interface LoadFigures {
  baselineMs: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  events: number;
  healthMaxMs: number;
}

export const runsQuery = `{
  runs(first: 10) {
    edges { node { id status iteration identities(first: 20) { edges { node { id index imageSha256 } } } } }
  }
}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timedQuery(url: string, key: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: runsQuery }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  if (!response.ok || body.errors) throw new Error(`query failed: HTTP ${response.status} ${JSON.stringify(body)}`);
  return performance.now() - started;
}

async function measure(plan: LoadPlan, burstStarts: () => Promise<void>): Promise<LoadFigures> {
  const { url, key } = plan;
  for (let i = 0; i < 3; i++) await timedQuery(url, key);
  const sequential: number[] = [];
  for (let i = 0; i < plan.baselineQueries; i++) sequential.push(await timedQuery(url, key));
  sequential.sort((a, b) => a - b);

  const clients: Client[] = [];
  let events = 0;
  const acknowledged: Array<Promise<void>> = [];
  for (let i = 0; i < plan.subscribers; i++) {
    let ack!: () => void;
    acknowledged.push(new Promise<void>((r) => (ack = r)));
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${key}` },
      on: { connected: () => ack() },
    });
    clients.push(client);
    client.subscribe(
      {
        query: 'subscription($id: ID!) { runProgress(runId: $id) { status iteration } }',
        variables: { id: plan.runId },
      },
      { next: () => void events++, error: () => undefined, complete: () => undefined },
    );
  }
  await Promise.all(acknowledged);
  await burstStarts();
  const eventsBefore = events;
  const healthUrl = url.replace(/\/graphql$/, '/healthz');
  const healthTimes: number[] = [];
  let loading = true;
  const healthLoop = (async () => {
    while (loading) {
      const sent = performance.now();
      await (await fetch(healthUrl)).text();
      healthTimes.push(performance.now() - sent);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const started = performance.now();
  const latencies = await Promise.all(Array.from({ length: plan.queries }, () => timedQuery(url, key)));
  const seconds = (performance.now() - started) / 1000;
  loading = false;
  await healthLoop;
  const eventsDuring = events - eventsBefore;
  for (const client of clients) await client.dispose();
  latencies.sort((a, b) => a - b);
  return {
    baselineMs: percentile(sequential, 50),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1)!,
    perSecond: plan.queries / seconds,
    events: eventsDuring,
    healthMaxMs: Math.max(...healthTimes),
  };
}

if (process.send) {
  const plan = JSON.parse(process.argv[2]!) as LoadPlan;
  // The parent answers `go` once it has read its CPU counters, so they bracket the burst alone.
  const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
  const figures = await measure(plan, async () => {
    process.send!({ burst: 'start' });
    await go;
  });
  process.send({ figures }, () => process.disconnect());
}
