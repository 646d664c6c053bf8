import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** fetch, whose failures name the URL tried: "fetch failed" alone does not tell a user what to fix. */
export async function reach(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as Error).cause as (Error & { code?: string }) | undefined;
    throw new ApiError(
      `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      'NETWORK_ERROR',
    );
  }
}

/** The GraphQL API as the CLI and scripts use it: HTTP for queries, graphql-ws for subscriptions. */
export class ApiClient {
  private ws: Client | undefined;

  constructor(
    readonly url: string,
    private readonly key: string,
  ) {}

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await reach(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.key}` },
      body: JSON.stringify({ query, variables }),
    });
    let body: GraphQLBody<T>;
    try {
      body = (await response.json()) as GraphQLBody<T>;
    } catch {
      throw new ApiError(
        `${this.url} answered HTTP ${response.status} without a GraphQL response: is it a Brownian API?`,
        'BAD_RESPONSE',
      );
    }
    const error = body.errors?.[0];
    if (error) throw new ApiError(error.message, error.extensions?.code);
    if (!body.data) throw new ApiError(`empty response (HTTP ${response.status})`, undefined);
    return body.data;
  }

  /** Calls `onEvent` for each event until it returns true or the server completes the subscription. */
  subscribe<T>(query: string, variables: Record<string, unknown>, onEvent: (data: T) => boolean): Promise<void> {
    this.ws ??= createClient({
      url: this.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${this.key}` },
      lazy: true,
    });
    const client = this.ws;
    return new Promise<void>((resolveDone, reject) => {
      const unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            const error = result.errors?.[0];
            if (error) {
              unsubscribe();
              reject(new ApiError(error.message, (error.extensions as { code?: string } | undefined)?.code));
              return;
            }
            if (result.data && onEvent(result.data as T)) {
              unsubscribe();
              resolveDone();
            }
          },
          error: (error) =>
            reject(
              error instanceof Error
                ? error
                : new ApiError(String((error as { reason?: string }).reason ?? error), undefined),
            ),
          complete: () => resolveDone(),
        },
      );
    });
  }

  /** Puts a local file into the object store through a presigned URL; returns its object key. */
  async upload(path: string, fileName: string): Promise<string> {
    const { createUploadUrl } = await this.request<{ createUploadUrl: { key: string; url: string } }>(
      'mutation($fileName: String!) { createUploadUrl(fileName: $fileName) { key url } }',
      { fileName },
    );
    // Streamed with its length: S3 refuses chunked PUTs, and pack files can be large.
    const { size } = await stat(path);
    const put = await reach(createUploadUrl.url, {
      method: 'PUT',
      headers: { 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    if (!put.ok) throw new ApiError(`upload of ${path} failed: HTTP ${put.status}`, undefined);
    return createUploadUrl.key;
  }

  async close(): Promise<void> {
    await this.ws?.dispose();
  }
}
