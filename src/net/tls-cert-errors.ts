/**
 * Node's error codes for a peer certificate its TLS verification refuses (OpenSSL's X509
 * verification results, and Node's own host name check), sorted by what the operator must do
 * about it. Shared by every TLS client Riposte opens to a service it depends on: the PostgreSQL
 * store (store/store-tls-error.ts) and the NATS order bus (cluster/nats-start-error.ts).
 */

/** Does not chain to a trusted CA, or is refused as a CA chain: give the right CA. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
]);

/** Outside its validity period: renew it, or check the clock. */
const OUT_OF_DATE = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
]);

/** Does not name the host connected to: connect by a name it holds, or reissue it. */
const NAME_MISMATCH = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

export type CertificateProblem = 'untrusted' | 'out-of-date' | 'name-mismatch';

/** What is wrong with the peer's certificate by Node's error `code`; undefined: not such an error. */
export function certificateProblemOf(code: unknown): CertificateProblem | undefined {
  if (typeof code !== 'string') {
    return undefined;
  }
  if (UNTRUSTED.has(code)) {
    return 'untrusted';
  }
  if (OUT_OF_DATE.has(code)) {
    return 'out-of-date';
  }
  return NAME_MISMATCH.has(code) ? 'name-mismatch' : undefined;
}
