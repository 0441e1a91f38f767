// The console's only door to the manager: the REST API, same origin, session cookie + CSRF header.
// Times arrive as ISO-8601 strings (format.ts's `ms` turns one into epoch ms).
export type Role = 'read' | 'operator' | 'admin';

export interface Me {
  readonly name: string;
  readonly role: Role;
  readonly csrf?: string;
}

export interface Active {
  readonly key: string;
  readonly arName: string;
  readonly program: string;
  readonly agentId: string;
  readonly createdAt: string;
  readonly addedAt: string;
  readonly timeoutSec: number;
  readonly expiresAt: string;
  readonly repeatCount: number;
  readonly alertId?: string;
  readonly ruleId?: number;
  readonly srcip?: string;
  readonly user?: string;
}

export interface Execution {
  readonly id: number;
  readonly key?: string;
  readonly arName: string;
  readonly program: string;
  readonly action: string;
  readonly agentId: string;
  readonly alertId?: string;
  readonly ruleId?: number;
  readonly srcip?: string;
  readonly user?: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly exitCode?: number;
  readonly signal?: string;
  readonly status: string;
  readonly stderrTail: string;
  readonly note?: string;
  readonly orderSeq?: number;
  readonly receivedAt: string;
}

export interface Agent {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly lastSeen?: string;
  readonly version?: string;
  readonly address?: string;
  readonly registeredAt: string;
  readonly arDisabled: boolean;
}

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly nextCursor?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf: string | undefined;
let onSignedOut: () => void = () => undefined;

export function setSignedOutHandler(fn: () => void): void {
  onSignedOut = fn;
}

export function setCsrf(token: string | undefined): void {
  csrf = token;
}

function errorOf(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new ApiError(status, e?.code ?? `HTTP_${status}`, e?.message ?? `HTTP ${status}`);
}

/** Calls the API; state-changing methods carry the CSRF token. A 401 signs the page out. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (method !== 'GET' && csrf !== undefined) {
    headers['x-csrf-token'] = csrf;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!res.ok) {
    if (res.status === 401 && path !== '/session') {
      onSignedOut();
    }
    throw errorOf(res.status, parsed);
  }
  return parsed as T;
}

/** A query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') {
      p.set(k, String(v));
    }
  }
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

export const canOperate = (me: Me): boolean => me.role === 'operator' || me.role === 'admin';
