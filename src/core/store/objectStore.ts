import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as Minio from 'minio';
import type { S3Config } from '../config/config.js';
import type { DigestLedger } from './digestLedger.js';
import { contentKey } from './keys.js';
import { ObjectIntegrityError } from './ObjectIntegrityError.js';
import type { ObjectMethod, ObjectUrlSigner, PresignedUrl } from './objectUrls.js';

export interface StoredBlob {
  key: string;
  sha256: string;
  size: number;
}

export type { PresignedUrl } from './objectUrls.js';

function minioClient(config: S3Config, endpoint: string): Minio.Client {
  const url = new URL(endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    useSSL: url.protocol === 'https:',
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    region: config.region,
    pathStyle: true,
    // One PUT up to S3's single-object limit: multipart needs upload listing, which s3rver lacks.
    partSize: 5 * 1024 * 1024 * 1024,
  });
}

const contentKeyPattern = /^sha256\/([0-9a-f]{64})$/;

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Every read is checked against the digest the object had when the platform wrote it: a
 * content-addressed key carries its digest, any other key's digest is in the ledger (written by
 * putBytes and copy). Objects the platform never wrote (uploads) and objects from before the ledger
 * have no digest to check against; their readers validate them.
 */
export class ObjectStore {
  private readonly client: Minio.Client;
  private readonly urls: ObjectUrlSigner;

  /** `urls` signs the URLs handed to clients; S3's own presigned URLs unless given. */
  constructor(
    config: S3Config,
    readonly bucket: string,
    private readonly ledger?: DigestLedger,
    urls?: ObjectUrlSigner,
  ) {
    this.client = minioClient(config, config.endpoint);
    this.urls = urls ?? new S3PresignedUrls(config, bucket, this.client);
  }

  async ensureBucket(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) await this.client.makeBucket(this.bucket);
  }

  async ping(): Promise<void> {
    await this.client.bucketExists(this.bucket);
  }

  async putBytes(key: string, bytes: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    await this.recorded(key, sha256Of(bytes), bytes.byteLength, () =>
      this.client.putObject(
        this.bucket,
        key,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        bytes.byteLength,
        { 'Content-Type': contentType },
      ),
    );
  }

  /** A write of `key` announced to the ledger before it happens and confirmed after (see DigestLedger). */
  private async recorded(key: string, sha256: string, size: number, write: () => Promise<unknown>): Promise<void> {
    const ledger = contentKeyPattern.test(key) ? undefined : this.ledger;
    await ledger?.begin(key, sha256, size);
    await write();
    await ledger?.commit(key, sha256, size);
  }

  /** Stores bytes under their content address. */
  async putContent(bytes: Uint8Array, contentType?: string): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = contentKey(sha256);
    if (!(await this.exists(key))) await this.putBytes(key, bytes, contentType);
    return { key, sha256, size: bytes.byteLength };
  }

  /**
   * Stores a large source without holding it in memory: it is hashed while it is spooled to a
   * temporary file, then streamed to its content address with a known length, which lets the
   * client send one PUT (S3 servers without multipart listing, such as s3rver, accept it).
   */
  async putContentStream(source: Readable, contentType = 'application/octet-stream'): Promise<StoredBlob> {
    const dir = await mkdtemp(join(tmpdir(), 'brownian-upload-'));
    const spool = join(dir, 'blob');
    try {
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(spool),
      );
      const sha256 = hash.digest('hex');
      const key = contentKey(sha256);
      if (!(await this.exists(key))) {
        await this.client.putObject(this.bucket, key, createReadStream(spool), size, { 'Content-Type': contentType });
      }
      return { key, sha256, size };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Writes a client's upload of known length as it arrives, in one PUT. Uploads are not in the
   * ledger: their readers validate them and record what they keep.
   */
  async putUpload(key: string, source: Readable, size: number): Promise<void> {
    await this.client.putObject(this.bucket, key, source, size);
  }

  /** The object's bytes; the stream errors with ObjectIntegrityError at its end if they were altered. */
  async getStream(key: string): Promise<Readable> {
    const expected = await this.expectedDigests(key);
    const source = await this.client.getObject(this.bucket, key);
    if (expected === undefined) return source;
    const hash = createHash('sha256');
    const check = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        const actual = hash.digest('hex');
        done(expected.includes(actual) ? null : new ObjectIntegrityError(key, expected[0]!, actual));
      },
    });
    source.on('error', (error) => check.destroy(error));
    return source.pipe(check);
  }

  async getBytes(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.getStream(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private async expectedDigests(key: string): Promise<string[] | undefined> {
    const content = contentKeyPattern.exec(key)?.[1];
    return content ? [content] : await this.ledger?.expected(key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== undefined;
  }

  /** Size in bytes, or undefined when there is no such object. */
  async size(key: string): Promise<number | undefined> {
    try {
      return (await this.client.statObject(this.bucket, key)).size;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NotFound' || code === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /**
   * Server-side copy: the bytes never pass through this process when their digest is known (given
   * by the caller, who checked it, or recorded for the source); otherwise they are read once to
   * record it.
   */
  async copy(fromKey: string, toKey: string, sha256?: string): Promise<void> {
    const copy = () =>
      this.client.copyObject(this.bucket, toKey, `/${this.bucket}/${fromKey}`, new Minio.CopyConditions());
    if (!this.ledger || contentKeyPattern.test(toKey)) {
      await copy();
      return;
    }
    const digest = sha256 ?? (await this.expectedDigests(fromKey))?.[0] ?? sha256Of(await this.getBytes(fromKey));
    await this.recorded(toKey, digest, (await this.size(fromKey)) ?? 0, copy);
  }

  async remove(key: string): Promise<void> {
    await this.client.removeObject(this.bucket, key);
    await this.ledger?.forget(key);
  }

  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    // minio types the listing stream's items as `any`; only a string name is a key.
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true) as AsyncIterable<{
      name?: unknown;
    }>) {
      if (typeof item.name === 'string') keys.push(item.name);
    }
    return keys;
  }

  /** Every URL handed to a client is issued here: a GET to read an object, a PUT to write one. */
  presignedUrl(method: ObjectMethod, key: string, expirySeconds: number, origin?: string): Promise<PresignedUrl> {
    return this.urls.presignedUrl(method, key, expirySeconds, origin);
  }
}

/**
 * S3's own presigned URLs, for an external S3 or MinIO that clients reach. Signing is local (the
 * region is configured), so no request reaches the S3 server; the host is part of the signature,
 * so it is signed for the host clients will reach (S3_PUBLIC_ENDPOINT when set).
 */
class S3PresignedUrls implements ObjectUrlSigner {
  private readonly signer: Minio.Client;

  constructor(
    config: S3Config,
    private readonly bucket: string,
    client: Minio.Client,
  ) {
    this.signer = config.publicEndpoint ? minioClient(config, config.publicEndpoint) : client;
  }

  async presignedUrl(method: ObjectMethod, key: string, expirySeconds: number): Promise<PresignedUrl> {
    const expiresAt = new Date(Date.now() + expirySeconds * 1000);
    const url = await this.signer.presignedUrl(method, this.bucket, key, expirySeconds);
    return { url, expiresAt };
  }
}
