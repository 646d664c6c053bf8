import type { WebSocket } from 'ws';
import type { ApiKeyId } from '../core/ids/ids.js';

/** Close code for a socket whose key was revoked or expired: graphql-ws's 4403 Forbidden. */
export const revokedCloseCode = 4403;

/** setTimeout's longest delay; a key expiring later is closed by the per-operation check or a later timer. */
const maxTimerMs = 2 ** 31 - 1;

/** The open WebSockets of each API key in this process, so that revoking a key closes them at once. */
export class SocketSessions {
  private readonly byKey = new Map<ApiKeyId, Set<WebSocket>>();

  /** `expiresAt`: the socket is closed then, whether or not it sends another operation. */
  add(keyId: ApiKeyId, socket: WebSocket, expiresAt: Date | null): void {
    let sockets = this.byKey.get(keyId);
    if (!sockets) this.byKey.set(keyId, (sockets = new Set()));
    sockets.add(socket);
    const expiry =
      expiresAt === null
        ? undefined
        : setTimeout(
            () => socket.close(revokedCloseCode, 'FORBIDDEN: the API key expired'),
            Math.min(maxTimerMs, Math.max(0, expiresAt.getTime() - Date.now())),
          );
    expiry?.unref();
    socket.once('close', () => {
      clearTimeout(expiry);
      sockets.delete(socket);
      if (sockets.size === 0 && this.byKey.get(keyId) === sockets) this.byKey.delete(keyId);
    });
  }

  keys(): ApiKeyId[] {
    return [...this.byKey.keys()];
  }

  close(keyId: ApiKeyId): number {
    const sockets = this.byKey.get(keyId);
    if (!sockets) return 0;
    this.byKey.delete(keyId);
    for (const socket of sockets) socket.close(revokedCloseCode, 'FORBIDDEN: the API key was revoked');
    return sockets.size;
  }
}
