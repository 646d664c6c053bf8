import { createHmac, timingSafeEqual } from 'node:crypto';

/** A URL that lets its holder read or write one object without a key, until it expires. */
export interface PresignedUrl {
  url: string;
  expiresAt: Date;
}

export type ObjectMethod = 'GET' | 'PUT';

/** Issues the URLs handed to clients for one object and one method. */
export interface ObjectUrlSigner {
  /** `origin`: where the client reached the API, for URLs the API serves itself (ignored by S3's own). */
  presignedUrl(method: ObjectMethod, key: string, expirySeconds: number, origin?: string): Promise<PresignedUrl>;
}

/** Where signed object URLs are served by the API; their query parameters. */
export const objectRoutePrefix = '/objects/';
const param = { method: 'method', expires: 'expires', signature: 'signature' } as const;

export type ObjectUrlCheck = { ok: true } | { ok: false; reason: string };

/**
 * URLs the API signs and serves itself (docs/operations.md, "The embedded object store"): on the
 * embedded default the S3 server listens on a loopback port only the platform knows, so clients
 * read and write through the API. Each URL names one object and one method and carries its expiry;
 * an HMAC-SHA256 with a key that never leaves this process covers all three, so a URL cannot be
 * reused for another object, another method or after it expires. The key is made at start-up:
 * URLs do not outlive the process that issued them.
 */
export class ApiObjectUrls implements ObjectUrlSigner {
  private base: string | undefined;

  constructor(private readonly secret: Buffer) {}

  /** The API's origin, known once its server listens. */
  serveAt(origin: string): void {
    this.base = origin.replace(/\/+$/, '');
  }

  /**
   * Signed for the origin the client reached the API at when it is known (a dashboard opened as
   * localhost and one opened as 127.0.0.1 each get URLs of their own origin), else the listen address.
   */
  presignedUrl(method: ObjectMethod, key: string, expirySeconds: number, origin?: string): Promise<PresignedUrl> {
    const base = origin ?? this.base;
    if (base === undefined) throw new Error('object URLs are signed before the API listens');
    const expires = Math.floor(Date.now() / 1000) + expirySeconds;
    const url = new URL(`${base}${objectRoutePrefix}${encodeURIComponent(key)}`);
    url.searchParams.set(param.method, method);
    url.searchParams.set(param.expires, String(expires));
    url.searchParams.set(param.signature, this.sign(method, key, expires));
    return Promise.resolve({ url: url.toString(), expiresAt: new Date(expires * 1000) });
  }

  /** Whether a request for `key` with `method` carries a signature this process made, still valid. */
  check(method: string, key: string, query: Record<string, unknown>, now = Date.now()): ObjectUrlCheck {
    const signedMethod = query[param.method];
    const expiresText = query[param.expires];
    const signature = query[param.signature];
    if (typeof signedMethod !== 'string' || typeof expiresText !== 'string' || typeof signature !== 'string') {
      return { ok: false, reason: 'not a signed object URL' };
    }
    if (signedMethod !== method) return { ok: false, reason: `the URL was signed for ${signedMethod}` };
    if (!/^\d{1,12}$/.test(expiresText)) return { ok: false, reason: 'not a signed object URL' };
    const expires = Number(expiresText);
    const expected = Buffer.from(this.sign(method, key, expires), 'hex');
    const given = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'the signature does not match this object and method' };
    }
    if (expires * 1000 < now) return { ok: false, reason: 'the URL has expired' };
    return { ok: true };
  }

  private sign(method: string, key: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${method}\n${key}\n${expires}`).digest('hex');
  }
}
