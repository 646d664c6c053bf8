/** The API key lives in sessionStorage only: it is gone when the tab closes, and never in a URL or cookie. */
const storageKey = 'brownian.apiKey';

export function storedApiKey(): string | null {
  return sessionStorage.getItem(storageKey);
}

export function storeApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(storageKey, key);
  else sessionStorage.removeItem(storageKey);
}

export type Role = 'ADMIN' | 'AUDITOR' | 'OPERATOR' | 'VIEWER';

/** Mirrors src/auth/roles.ts: the UI only hides what the API would refuse anyway. */
export function canOperate(role: Role): boolean {
  return role === 'OPERATOR' || role === 'ADMIN';
}

export function canAudit(role: Role): boolean {
  return role === 'AUDITOR' || role === 'ADMIN';
}
