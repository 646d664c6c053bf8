import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/core/config/config.js';

describe('loadConfig', () => {
  it('defaults to the embedded servers under ./.brownian and port 4000', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.s3).toBeUndefined();
    expect(config.port).toBe(4000);
    expect(config.dataDir.endsWith('.brownian')).toBe(true);
    expect(config.device).toBe('auto');
    expect(config.workerNice).toBe(10);
  });

  it('uses external servers when DATABASE_URL and S3_ENDPOINT are set', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/brownian',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY: 'a',
      S3_SECRET_KEY: 'b',
      S3_BUCKET: 'lab-datasets',
    });
    expect(config.databaseUrl).toBe('postgresql://u:p@db:5432/brownian');
    expect(config.s3).toMatchObject({ endpoint: 'http://minio:9000', accessKey: 'a', secretKey: 'b' });
    expect(config.bucket).toBe('lab-datasets');
  });

  it('names every bad value at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        BROWNIAN_DEVICE: 'tpu',
        DATABASE_URL: 'mysql://x',
        S3_ENDPOINT: 'http://s3',
        BROWNIAN_WORKER_NICE: '20',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT: "eighty" is not an integer/);
    expect(problems).toMatch(/BROWNIAN_DEVICE: "tpu" is not one of auto, cuda, cpu/);
    expect(problems).toMatch(/DATABASE_URL: protocol must be/);
    expect(problems).toMatch(/S3_ACCESS_KEY: missing/);
    expect(problems).toMatch(/BROWNIAN_WORKER_NICE: "20" is not an integer between 0 and 19/);
  });

  it('lets flags override the environment', () => {
    expect(loadConfig({ PORT: '5000' }, { port: '6000' }).port).toBe(6000);
  });
});
