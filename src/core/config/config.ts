import { resolve } from 'node:path';

/** Everything the process reads from its environment, validated once at start-up. */
export interface Config {
  dataDir: string;
  host: string;
  port: number;
  /** External Postgres; absent means the embedded server under dataDir. */
  databaseUrl: string | undefined;
  /** External S3; absent means the embedded server under dataDir. */
  s3: S3Config | undefined;
  bucket: string;
  device: DeviceSetting;
  logLevel: LogLevel;
  limits: RequestLimits;
  /** Browser origins (scheme://host[:port]) besides the API's own that may call it (CORS). */
  corsOrigins: string[];
  queue: QueueSettings;
  openLineage: OpenLineageSettings;
  /** A dataset export saves what it has written every this many images, for a retried job to resume from. */
  exportCheckpointImages: number;
  /**
   * Nice value (0-19) a worker-only process or thread runs at, so that on a host it shares with the
   * API requests come first (BROWNIAN_WORKER_NICE, default 10; 0 leaves it alone).
   */
  workerNice: number;
  /** NODE_ENV=development: error messages and stacks of server faults go to clients too. */
  exposeErrorDetails: boolean;
}

export interface S3Config {
  endpoint: string;
  /**
   * Where clients outside the servers' network reach the same S3 (S3_PUBLIC_ENDPOINT): presigned
   * URLs are signed for this host. Defaults to `endpoint`.
   */
  publicEndpoint?: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

/** Where run events go (docs/provenance.md, "OpenLineage"); without a URL they wait in the outbox. */
export interface OpenLineageSettings {
  /** The lineage API to POST events to, e.g. Marquez's `http://marquez:5000/api/v1/lineage`. */
  url: string | undefined;
  /** First retry delay after a failed delivery; it doubles with each failure up to `maxRetryMs`. */
  retryMs: number;
  maxRetryMs: number;
  /**
   * How long the outbox keeps a delivered event, and, in a process without `url`, an undelivered
   * one: a configured endpoint that is down keeps its whole backlog.
   */
  retentionHours: number;
}

export interface RequestLimits {
  maxDepth: number;
  maxComplexity: number;
  maxBodyBytes: number;
}

export interface QueueSettings {
  /** A job whose worker stops heartbeating for this long is handed to another worker. */
  jobExpireSeconds: number;
  retryLimit: number;
  retryDelaySeconds: number;
  maintenanceIntervalSeconds: number;
  heartbeatSeconds: number;
  workerConcurrency: number;
}

export const deviceSettings = ['auto', 'cuda', 'cpu'] as const;
export type DeviceSetting = (typeof deviceSettings)[number];
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Flags given on the command line win over environment variables of the same meaning. */
export interface ConfigOverrides {
  dataDir?: string;
  port?: string;
  host?: string;
}

export function loadConfig(env: Environment = process.env, overrides: ConfigOverrides = {}): Config {
  const problems: string[] = [];
  const read = new Reader(env, problems);

  const s3Endpoint = read.optionalUrl('S3_ENDPOINT');
  let s3: S3Config | undefined;
  if (s3Endpoint !== undefined) {
    s3 = {
      endpoint: s3Endpoint,
      accessKey: read.required('S3_ACCESS_KEY', 'needed with S3_ENDPOINT'),
      secretKey: read.required('S3_SECRET_KEY', 'needed with S3_ENDPOINT'),
      region: env.S3_REGION ?? 'us-east-1',
      publicEndpoint: read.optionalUrl('S3_PUBLIC_ENDPOINT'),
    };
  }
  const config: Config = {
    dataDir: resolve(overrides.dataDir ?? env.BROWNIAN_DATA_DIR ?? '.brownian'),
    host: overrides.host ?? env.HOST ?? '127.0.0.1',
    port: read.integer('PORT', 4000, 0, 65535, overrides.port),
    databaseUrl: read.optionalUrl('DATABASE_URL', ['postgres:', 'postgresql:']),
    s3,
    bucket: read.bucket('S3_BUCKET', 'brownian'),
    device: read.oneOf('BROWNIAN_DEVICE', deviceSettings, 'auto'),
    logLevel: read.oneOf('LOG_LEVEL', logLevels, 'info'),
    limits: {
      maxDepth: read.integer('BROWNIAN_MAX_QUERY_DEPTH', 10, 2, 100),
      maxComplexity: read.integer('BROWNIAN_MAX_QUERY_COMPLEXITY', 20000, 10, 10_000_000),
      maxBodyBytes: read.integer('BROWNIAN_MAX_BODY_BYTES', 1_000_000, 1000, 100_000_000),
    },
    corsOrigins: read.origins('BROWNIAN_CORS_ORIGINS'),
    queue: {
      jobExpireSeconds: read.integer('BROWNIAN_JOB_EXPIRE_SECONDS', 900, 1, 86_400),
      retryLimit: read.integer('BROWNIAN_JOB_RETRY_LIMIT', 3, 0, 100),
      retryDelaySeconds: read.integer('BROWNIAN_JOB_RETRY_DELAY_SECONDS', 5, 0, 3600),
      maintenanceIntervalSeconds: read.integer('BROWNIAN_QUEUE_MAINTENANCE_SECONDS', 30, 1, 3600),
      heartbeatSeconds: read.integer('BROWNIAN_HEARTBEAT_SECONDS', 10, 1, 3600),
      workerConcurrency: read.integer('BROWNIAN_WORKER_CONCURRENCY', 1, 1, 64),
    },
    openLineage: {
      url: read.optionalUrl('OPENLINEAGE_URL'),
      retryMs: read.integer('OPENLINEAGE_RETRY_MS', 1000, 10, 3_600_000),
      maxRetryMs: read.integer('OPENLINEAGE_MAX_RETRY_MS', 300_000, 10, 86_400_000),
      retentionHours: read.integer('OPENLINEAGE_RETENTION_HOURS', 168, 1, 87_600),
    },
    exportCheckpointImages: read.integer('BROWNIAN_EXPORT_CHECKPOINT_IMAGES', 512, 1, 1_000_000),
    workerNice: read.integer('BROWNIAN_WORKER_NICE', 10, 0, 19),
    exposeErrorDetails: env.NODE_ENV === 'development',
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

class Reader {
  constructor(
    private readonly env: Environment,
    private readonly problems: string[],
  ) {}

  required(name: string, why: string): string {
    const value = this.env[name];
    if (value === undefined || value === '') {
      this.problems.push(`${name}: missing (${why})`);
      return '';
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number, override?: string): number {
    const raw = override ?? this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name}: "${raw}" is not an integer between ${min} and ${max}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name}: "${raw}" is not one of ${allowed.join(', ')}`);
    return fallback;
  }

  optionalUrl(name: string, protocols: string[] = ['http:', 'https:']): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      const url = new URL(raw);
      if (!protocols.includes(url.protocol)) {
        this.problems.push(`${name}: protocol must be one of ${protocols.join(', ')}`);
      }
    } catch {
      this.problems.push(`${name}: not a valid URL`);
    }
    return raw;
  }

  /** A comma-separated list of origins as browsers send them in the Origin header. */
  origins(name: string): string[] {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return [];
    const origins: string[] = [];
    for (const entry of raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')) {
      let origin: string | undefined;
      try {
        const url = new URL(entry);
        if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry.replace(/\/$/, ''))
          origin = url.origin;
      } catch {
        // reported below
      }
      if (origin === undefined)
        this.problems.push(`${name}: "${entry}" is not an origin like https://dashboard.example.org:8443`);
      else origins.push(origin);
    }
    return origins;
  }

  bucket(name: string, fallback: string): string {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw)) {
      this.problems.push(`${name}: "${raw}" is not a valid S3 bucket name`);
      return fallback;
    }
    return raw;
  }
}
