/**
 * The light part of the PKI (node:crypto only): the manager's CN and certificate fingerprints.
 * Kept apart from pki.ts so that an agent, which only checks the manager's certificate, does not
 * load the certificate-issuing library (@peculiar/x509) at start-up.
 */
import { X509Certificate } from 'node:crypto';

/** CN of the manager's server certificate; agents check it instead of a host name (NAT-friendly). */
export const MANAGER_CN = 'riposte-manager';

/** SHA-256 fingerprint of a PEM (or DER) certificate, as Node prints it: "AB:CD:...". */
export function fingerprintOf(cert: string | Buffer): string {
  return new X509Certificate(cert).fingerprint256;
}

/** Normalises a user-given fingerprint (any case, with or without colons) to Node's format. */
export function normalizeFingerprint(text: string): string {
  const hex = text
    .replace(/^sha256[:=]?/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  return (hex.match(/../g) ?? []).join(':');
}
