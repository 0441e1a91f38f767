/**
 * `POST /enroll` on the manager's HTTPS port when no REST API is mounted (the API serves the same
 * route with the same contract):
 * body `{name, password? | token?}` (JSON, at most 16 KiB) -> 201 `{id, name, cert, key, ca}`, or
 * `{error: {code, message}}` with the code's status from protocol/http-status.ts: 400 (REQUEST_INVALID),
 * 401 (AUTH_REQUIRED), 403 (AUTH_FORBIDDEN), 429 + Retry-After (RATE_LIMITED), 413 (body too large). The request needs no client certificate.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, isRiposteError } from '../protocol/error-codes.js';
import { HTTP_STATUS, retryAfterSec } from '../protocol/http-status.js';
import type { EnrollRequest, EnrollResult } from '../protocol/fleet-records.js';

export const ENROLL_PATH = '/enroll';
const MAX_BODY_BYTES = 16 * 1024;

export type Enroll = (req: EnrollRequest, peer: string) => Promise<EnrollResult>;

function reply(res: ServerResponse, status: number, body: unknown, retryAfter?: number): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
  });
  res.end(text);
}

function replyError(res: ServerResponse, status: number, error: { code: string; message: string }): void {
  reply(res, status, { error });
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function toEnrollRequest(text: string): EnrollRequest | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return undefined;
  }
  const { name, password, token } = v as Record<string, unknown>;
  const okOpt = (x: unknown): boolean => x === undefined || typeof x === 'string';
  if (typeof name !== 'string' || !okOpt(password) || !okOpt(token)) {
    return undefined;
  }
  return {
    name,
    ...(typeof password === 'string' ? { password } : {}),
    ...(typeof token === 'string' ? { token } : {}),
  };
}

/** True when this request is an enrollment (the caller then hands it to {@link handleEnroll}). */
export function isEnrollRequest(req: IncomingMessage): boolean {
  return req.method === 'POST' && (req.url ?? '').split('?')[0] === ENROLL_PATH;
}

/** Serves one enrollment request. Never throws. */
export async function handleEnroll(req: IncomingMessage, res: ServerResponse, enroll: Enroll): Promise<void> {
  try {
    const text = await readBody(req);
    if (text === undefined) {
      replyError(res, 413, {
        code: ErrorCode.REQUEST_INVALID,
        message: `Request body is larger than ${MAX_BODY_BYTES} bytes`,
      });
      return;
    }
    const body = toEnrollRequest(text);
    if (body === undefined) {
      const msg = 'Request body must be a JSON object {name, password | token}';
      replyError(res, 400, { code: ErrorCode.REQUEST_INVALID, message: msg });
      return;
    }
    reply(res, 201, await enroll(body, req.socket.remoteAddress ?? 'unknown'));
  } catch (err: unknown) {
    const code = isRiposteError(err) ? err.code : ErrorCode.INTERNAL;
    const message = isRiposteError(err) ? err.message : 'Enrollment failed';
    reply(res, HTTP_STATUS[code], { error: { code, message } }, retryAfterSec(err));
  }
}
