import type { WebSocket } from 'ws';
import type { ApiKeyId } from '../core/ids/ids.js';

/** Close code for a socket whose key was revoked: graphql-ws's 4403 Forbidden. */
export const revokedCloseCode = 4403;

/** The open WebSockets of each API key in this process, so that revoking a key closes them at once. */
export class SocketSessions {
  private readonly byKey = new Map<ApiKeyId, Set<WebSocket>>();

  add(keyId: ApiKeyId, socket: WebSocket): void {
    let sockets = this.byKey.get(keyId);
    if (!sockets) this.byKey.set(keyId, (sockets = new Set()));
    sockets.add(socket);
    socket.once('close', () => {
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
