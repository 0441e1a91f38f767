/**
 * What a node's failed first connection to NATS (`--bus nats://...`) is to the operator, the
 * counterpart of store/pg-connect.ts's storeOpenError for the bus:
 * - CONFIG_INVALID (exit 1: a restart cannot fix it): the server refused the credentials (or
 *   their absence), did not present a certificate this node accepts, or offers no TLS where this
 *   node requires it;
 * - STORE_UNAVAILABLE (exit 69: a service manager's restart retries): nothing answers, or the
 *   connection was not completed in time (a server that verifies its clients closes a TLS
 *   connection without a certificate, which nats.js reports only as a timeout: the message says
 *   so when this node has none);
 * - anything else unchanged.
 * Messages name the servers and the variables to set, never a secret.
 */
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';
import { isNatsAuthError } from './nats-auth.js';
import type { NatsTls } from './nats-tls.js';
import { certificateProblemOf, type CertificateProblem } from '../net/tls-cert-errors.js';

/** nats.js's codes for a server that could not be reached or did not finish the connection. */
const UNREACHABLE = new Set(['CONNECTION_REFUSED', 'TIMEOUT', 'CONNECTION_TIMEOUT']);

/** What to do about each certificate problem (net/tls-cert-errors.ts). */
const FIX: Readonly<Record<CertificateProblem, string>> = {
  untrusted: 'set RIPOSTE_NATS_CA to the CA that signed it',
  'out-of-date': "renew it on the server, or check this host's clock",
  'name-mismatch': "connect by a name or address it holds (the --bus URL's host), or reissue it for this one",
};

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function made(code: ErrorCode, message: string, err: unknown): RiposteError {
  return new RiposteError(code, message, undefined, { cause: err });
}

function unreachable(at: string, err: unknown, tls: NatsTls): RiposteError {
  const noClientCert = tls.kind === 'tls' && tls.client === undefined && codeOf(err) !== 'CONNECTION_REFUSED';
  return made(
    ErrorCode.STORE_UNAVAILABLE,
    `${at} could not be reached (${errorMessage(err)})` +
      (noClientCert
        ? ': is it up? A server that verifies its clients (tls { verify: true }) closes a connection without a ' +
          'certificate: then set RIPOSTE_NATS_CERT and RIPOSTE_NATS_KEY'
        : ''),
    err,
  );
}

/** `err` from nats.js's connect to `servers`, as the operator should see it (see above). */
export function natsStartError(err: unknown, servers: string, tls: NatsTls): unknown {
  const at = `NATS at ${servers}`;
  const code = codeOf(err);
  if (isNatsAuthError(err)) {
    return made(
      ErrorCode.CONFIG_INVALID,
      `${at} refused this node (${errorMessage(err)}): set RIPOSTE_NATS_USER and RIPOSTE_NATS_PASSWORD, ` +
        'RIPOSTE_NATS_TOKEN or RIPOSTE_NATS_CREDS to what its authorization expects',
      err,
    );
  }
  const problem = certificateProblemOf(code);
  if (problem !== undefined) {
    return made(
      ErrorCode.CONFIG_INVALID,
      `${at}: its TLS certificate is not accepted (${errorMessage(err)}): ${FIX[problem]}`,
      err,
    );
  }
  if (code === 'SERVER_OPT_NA' && /tls/i.test(errorMessage(err))) {
    return made(
      ErrorCode.CONFIG_INVALID,
      `${at} offers no TLS, which this node requires (tls://, RIPOSTE_NATS_CA or RIPOSTE_NATS_CERT): ` +
        "enable TLS in the server's configuration",
      err,
    );
  }
  return UNREACHABLE.has(code) ? unreachable(at, err, tls) : err;
}
