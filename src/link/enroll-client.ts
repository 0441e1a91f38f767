/**
 * The agent side of enrollment. First contact: the manager's CA certificate is read from its TLS
 * chain and checked against `--ca-fingerprint` when given; without one it is trusted on first use
 * (TOFU) and its fingerprint is returned for the operator to compare. Only then is the secret
 * sent, over TLS pinned to that CA, so a password never reaches a server whose CA did not match.
 */
import { request } from 'node:https';
import { connect, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { EnrollResult } from '../protocol/fleet-records.js';
import { ENROLL_PATH } from './enroll-route.js';
import { MANAGER_CN, fingerprintOf, normalizeFingerprint } from '../pki/fingerprint.js';

const TIMEOUT_MS = 15_000;

export interface EnrollTarget {
  readonly host: string;
  readonly port: number;
}

function unreachable(t: EnrollTarget, err: Error): RiposteError {
  return new RiposteError(
    ErrorCode.DAEMON_UNREACHABLE,
    `Cannot reach the manager at ${t.host}:${t.port}: ${err.message}`,
  );
}

function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

function rootOf(cert: DetailedPeerCertificate): DetailedPeerCertificate {
  let c = cert;
  for (let i = 0; i < 8 && c.issuerCertificate !== undefined && c.issuerCertificate !== c; i++) {
    c = c.issuerCertificate;
  }
  return c;
}

/** Reads the CA certificate at the top of the manager's TLS chain (no trust decision here). */
export function fetchManagerCa(t: EnrollTarget): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: t.host, port: t.port, rejectUnauthorized: false, timeout: TIMEOUT_MS },
      () => {
        const chain = socket.getPeerCertificate(true);
        socket.end();
        const root = rootOf(chain);
        if (root === chain) {
          reject(
            new RiposteError(ErrorCode.AUTH_FORBIDDEN, 'The manager sent no CA certificate in its TLS chain'),
          );
          return;
        }
        resolve(derToPem(Buffer.from(root.raw)));
      },
    );
    socket.on('timeout', () => socket.destroy(new Error('timed out')));
    socket.on('error', (err: Error) => {
      reject(unreachable(t, err));
    });
  });
}

/** Checks `caPem` against `expected` (any fingerprint notation); returns the CA's fingerprint. */
export function checkCaFingerprint(caPem: string, expected: string | undefined): string {
  const actual = fingerprintOf(caPem);
  if (expected !== undefined && normalizeFingerprint(expected) !== actual) {
    throw new RiposteError(
      ErrorCode.AUTH_FORBIDDEN,
      `The manager's CA fingerprint ${actual} does not match --ca-fingerprint ${normalizeFingerprint(expected)}: refusing to enroll`,
    );
  }
  return actual;
}

function checkManagerIdentity(_host: string, cert: PeerCertificate): Error | undefined {
  const cn: unknown = cert.subject.CN;
  return cn === MANAGER_CN
    ? undefined
    : new Error(`server certificate CN "${String(cn)}" is not ${MANAGER_CN}`);
}

function asRecord(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toResult(b: Record<string, unknown>): EnrollResult | undefined {
  const { id, name, cert, key, ca } = b;
  const all = [id, name, cert, key, ca].every((v) => typeof v === 'string');
  return all ? ({ id, name, cert, key, ca } as EnrollResult) : undefined;
}

const CODE_BY_STATUS: Readonly<Record<number, RiposteError['code']>> = {
  401: ErrorCode.AUTH_REQUIRED,
  403: ErrorCode.AUTH_FORBIDDEN,
};

function parseEnrollAnswer(status: number, text: string): EnrollResult {
  const b = asRecord(text);
  const result = status === 200 || status === 201 ? toResult(b) : undefined;
  if (result !== undefined) {
    return result;
  }
  const err = asRecord(JSON.stringify(b['error'] ?? b));
  const message = typeof err['message'] === 'string' ? err['message'] : `Enrollment failed (HTTP ${status})`;
  throw new RiposteError(CODE_BY_STATUS[status] ?? ErrorCode.REQUEST_INVALID, message);
}

/** POSTs the enrollment over TLS pinned to `caPem`. */
export function postEnroll(
  t: EnrollTarget,
  caPem: string,
  body: { name: string; password?: string; token?: string },
): Promise<EnrollResult> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: t.host,
        port: t.port,
        method: 'POST',
        path: ENROLL_PATH,
        ca: caPem,
        checkServerIdentity: checkManagerIdentity,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(parseEnrollAnswer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          } catch (err: unknown) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => {
      reject(unreachable(t, err));
    });
    req.end(payload);
  });
}
