/**
 * The typed HTTPS client of a manager's REST API, used by `riposte ar ... --manager URL` and
 * `riposte agents ...`. The CLI never opens the manager's store: it goes through this client.
 *
 * Where to connect: `--manager URL` or RIPOSTE_URL (https only). Token: `--token T` or
 * RIPOSTE_TOKEN. Trust: `--ca FILE` or RIPOSTE_CA pins the manager's own CA
 * (`<home>/etc/pki/ca.pem` on the manager): only that CA is trusted, system CAs are not, and the
 * server certificate is checked by its CN ("riposte-manager", as the agents do) instead of the
 * host name, so an IP address or a NAT'ed name works. Without a CA file the system CAs and the
 * normal host-name check apply (for a manager behind a TLS proxy with a public certificate).
 */
import fs from 'node:fs';
import type https from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import { ErrorCode, RiposteError, type ErrorCode as Code } from '../protocol/error-codes.js';
import { managerUrl } from './manager-address.js';
import { errorMessage } from '../protocol/error-message.js';

/** CN of the manager's server certificate (src/pki/pki.ts MANAGER_CN; a test keeps them equal). */
export const MANAGER_CERT_CN = 'riposte-manager';

/** Largest response body read: 32 MiB. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Request timeout (no byte received for this long): 30 s. */
const TIMEOUT_MS = 30_000;

/** The connection flags shared by every remote command. */
export interface RemoteFlags {
  readonly manager?: string | undefined;
  readonly token?: string | undefined;
  readonly ca?: string | undefined;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RemoteClient {
  /** The manager's base URL. */
  readonly url: URL;
  /**
   * Sends one request; resolves the parsed JSON answer (undefined for 204).
   * @throws RiposteError with the API's code for an error answer; DAEMON_UNREACHABLE when the
   *   manager cannot be reached or its certificate is refused.
   */
  call<T>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
  /**
   * Opens a long-lived GET (Server-Sent Events); resolves with the body once the answer is 200.
   * The stream errors when nothing (not even a heartbeat) arrives for {@link STREAM_IDLE_MS}.
   * @throws RiposteError as {@link call} for an error answer or an unreachable peer.
   */
  stream?(path: string): Promise<Readable>;
}

/** A live stream silent this long is dead (the APIs send a heartbeat every 15 s). */
export const STREAM_IDLE_MS = 60_000;

/** Resolved connection settings. */
export interface RemoteTarget {
  readonly url: URL;
  readonly token: string;
  readonly ca: Buffer | undefined;
}

function invalid(message: string): RiposteError {
  return new RiposteError(ErrorCode.REQUEST_INVALID, message);
}

/** True when `--manager` or RIPOSTE_URL selects remote mode. */
export function isRemote(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env): boolean {
  return (flags.manager ?? env['RIPOSTE_URL']) !== undefined;
}

function readCa(caFile: string | undefined): Buffer | undefined {
  if (caFile === undefined) {
    return undefined;
  }
  try {
    return fs.readFileSync(caFile);
  } catch (err: unknown) {
    throw invalid(`--ca: cannot read "${caFile}": ${errorMessage(err)}`);
  }
}

/** Reads the flags and the environment. @throws RiposteError REQUEST_INVALID */
export function resolveRemoteTarget(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env): RemoteTarget {
  const raw = flags.manager ?? env['RIPOSTE_URL'];
  const token = flags.token ?? env['RIPOSTE_TOKEN'];
  if (raw === undefined) {
    throw invalid('Give --manager HOST[:PORT] or URL (or set RIPOSTE_URL)');
  }
  const url = managerUrl(raw, flags.manager === undefined ? 'RIPOSTE_URL' : '--manager');
  if (token === undefined || token.trim() === '') {
    throw invalid(
      'Give --token TOKEN (or set RIPOSTE_TOKEN); the first admin token is in <home>/var/admin.token',
    );
  }
  return { url, token: token.trim(), ca: readCa(flags.ca ?? env['RIPOSTE_CA']) };
}

/** Pinned-CA identity check: the CN, not the host name (see the module header). */
function checkManagerCn(_host: string, cert: PeerCertificate): Error | undefined {
  const cn = cert.subject.CN;
  return cn === MANAGER_CERT_CN
    ? undefined
    : new Error(`certificate CN "${String(cn)}" is not "${MANAGER_CERT_CN}"`);
}

/** The error for a non-2xx answer: the API's own code when it sent one. */
export function errorFromResponse(status: number, text: string, peer = 'The manager'): RiposteError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const code = parsed.error?.code;
    if (typeof code === 'string' && (Object.values(ErrorCode) as string[]).includes(code)) {
      const message = typeof parsed.error?.message === 'string' ? parsed.error.message : `HTTP ${status}`;
      return new RiposteError(code as Code, message);
    }
  } catch {
    // not JSON: fall through
  }
  return new RiposteError(ErrorCode.INTERNAL, `${peer} answered HTTP ${status}: ${text.slice(0, 200)}`);
}

function requestOptions(
  target: RemoteTarget,
  method: HttpMethod,
  payload: string | undefined,
): https.RequestOptions {
  return {
    method,
    headers: {
      authorization: `Bearer ${target.token}`,
      accept: 'application/json',
      ...(payload === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
    },
    timeout: TIMEOUT_MS,
    ...(target.ca === undefined ? {} : { ca: target.ca, checkServerIdentity: checkManagerCn }),
  };
}

/** Where {@link readAnswer} settles. */
export interface AnswerSettle {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Reads a whole API answer (at most 32 MiB) and settles with its JSON, or with the error it
 * carries (`peer` names the daemon in messages). Shared by the HTTPS and the unix-socket client.
 */
export function readAnswer(
  req: ClientRequest,
  res: IncomingMessage,
  peer: string,
  settle: AnswerSettle,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_RESPONSE_BYTES) {
      req.destroy(new Error('answer larger than 32 MiB'));
      return;
    }
    chunks.push(c);
  });
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 500;
    if (status < 200 || status >= 300) {
      settle.reject(errorFromResponse(status, text, peer));
      return;
    }
    try {
      settle.resolve(text === '' ? undefined : JSON.parse(text));
    } catch {
      settle.reject(
        new RiposteError(ErrorCode.INTERNAL, `${peer} answered invalid JSON: ${text.slice(0, 200)}`),
      );
    }
  });
}

/** node:https (with TLS) is loaded on first use: local commands do not pay for it (start-up time). */
async function send<T>(target: RemoteTarget, method: HttpMethod, path: string, body: unknown): Promise<T> {
  const { request } = await import('node:https');
  const url = new URL(path, target.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const unreachable = (why: string): RiposteError =>
    new RiposteError(
      ErrorCode.DAEMON_UNREACHABLE,
      `Cannot reach the manager at ${target.url.origin}: ${why}`,
    );
  return new Promise<T>((resolve, reject) => {
    const req = request(url, requestOptions(target, method, payload), (res) => {
      readAnswer(req, res, 'The manager', {
        resolve: (v) => {
          resolve(v as T);
        },
        reject,
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => {
      reject(unreachable(err.message));
    });
    req.end(payload);
  });
}

function openStream(target: RemoteTarget, path: string): Promise<Readable> {
  const unreachable = (why: string): RiposteError =>
    new RiposteError(
      ErrorCode.DAEMON_UNREACHABLE,
      `Cannot reach the manager at ${target.url.origin}: ${why}`,
    );
  return import('node:https').then(
    ({ request }) =>
      new Promise<Readable>((resolve, reject) => {
        const options = requestOptions(target, 'GET', undefined);
        const headers = { authorization: `Bearer ${target.token}`, accept: 'text/event-stream' };
        const req = request(
          new URL(path, target.url),
          { ...options, headers, timeout: STREAM_IDLE_MS },
          (res) => {
            if (res.statusCode === 200) {
              resolve(res);
              return;
            }
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              reject(
                errorFromResponse(
                  res.statusCode ?? 500,
                  Buffer.concat(chunks).toString('utf8').slice(0, 4096),
                ),
              );
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`nothing received for ${STREAM_IDLE_MS / 1000} s`)));
        req.on('error', (err) => {
          reject(unreachable(err.message));
        });
        req.end();
      }),
  );
}

/** A client for `flags` (and RIPOSTE_URL / RIPOSTE_TOKEN / RIPOSTE_CA). @throws RiposteError REQUEST_INVALID */
export function remoteClient(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env): RemoteClient {
  const target = resolveRemoteTarget(flags, env);
  return {
    url: target.url,
    call: (method, path, body) => send(target, method, path, body),
    stream: (path) => openStream(target, path),
  };
}
