/**
 * The manager's private PKI (ECDSA P-256): a CA, the manager's server certificate and one client
 * certificate per agent (CN = agent id), all PEM. Agents pin this CA and never trust system CAs for
 * the manager; the manager maps a client certificate to its agent by SHA-256 fingerprint.
 *
 * Files under `<home>/etc/pki/`: ca.pem, ca.key, server.pem, server.key, ticket.key (the TLS
 * session-ticket secret, ticket-keys.ts) (keys 0600, dir 0700).
 * Not part of this module: which agent a certificate belongs to (the manager store) and TLS.
 */
import { isIP } from 'node:net';
import './reflect-metadata-shim.js';
import * as x509 from '@peculiar/x509';
import { X509Certificate, randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MANAGER_CN, fingerprintOf } from './fingerprint.js';
import { ensureTicketSecret } from './ticket-keys.js';
import { issueFromShared, newSerial, sharedParts } from './agent-cert.js';

export { MANAGER_CN, fingerprintOf, normalizeFingerprint } from './fingerprint.js';

x509.cryptoProvider.set(webcrypto);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_CN = 'riposte-ca';
const DAY_MS = 86_400_000;
/** Certificates are valid for 10 years (rotation is out of scope; removal is by fingerprint). */
const VALIDITY_MS = 3650 * DAY_MS;

export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

export interface ManagerPki {
  readonly ca: KeyPairPem;
  readonly server: KeyPairPem;
  /** SHA-256 fingerprint of the CA certificate ("AB:CD:..."). */
  readonly caFingerprint: string;
  /** The secret the TLS session-ticket keys are derived from (ticket-keys.ts; 64 hex digits). */
  readonly ticketSecret: string;
}

/** True when `cert` was signed by `caCert` (both PEM). */
export function isIssuedBy(cert: string, caCert: string): boolean {
  const c = new X509Certificate(cert);
  const ca = new X509Certificate(caCert);
  return c.checkIssued(ca) && c.verify(ca.publicKey);
}

/** PEM text always ends with a newline (PEM blocks are concatenated into chains). */
function pemLine(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function serial(): string {
  return `01${randomBytes(15).toString('hex')}`;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (der === undefined) {
    throw new Error('CA key file holds no PEM block');
  }
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

function validity(now: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + VALIDITY_MS) };
}

/** Creates a new self-signed CA. */
export async function createCa(now: number): Promise<KeyPairPem> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${CA_CN}`,
    ...validity(now),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { cert: pemLine(cert.toString('pem')), key: pemLine(await keyPem(keys.privateKey)) };
}

interface LeafSpec {
  readonly cn: string;
  readonly usage: 'server' | 'client';
  /** subjectAltName entries: IP literals become IP entries, the rest DNS names. */
  readonly dnsNames?: readonly string[];
}

function sanEntry(name: string): { type: 'dns' | 'ip'; value: string } {
  return { type: isIP(name) === 0 ? 'dns' : 'ip', value: name };
}

/** The names a server certificate must carry so ordinary HTTPS clients accept it. */
function serverNames(listenHost: string | undefined): string[] {
  const names = [MANAGER_CN, 'localhost', hostname(), '127.0.0.1', '::1'];
  if (
    listenHost !== undefined &&
    listenHost !== '0.0.0.0' &&
    listenHost !== '::' &&
    !names.includes(listenHost)
  ) {
    names.push(listenHost);
  }
  return names;
}

/** True when the certificate's subjectAltName lists every one of `names`. */
function coversNames(certPem: string, names: readonly string[]): boolean {
  const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  const have = new Set((san?.names.items ?? []).map((n) => n.value));
  return names.every((n) => have.has(n));
}

interface Issuer {
  readonly ca: KeyPairPem;
  readonly subject: string;
  readonly signingKey: Promise<CryptoKey>;
}

/** The last CA's parsed subject and imported key: enrollment issues thousands with one CA. */
let lastIssuer: Issuer | undefined;

function issuerOf(ca: KeyPairPem): Issuer {
  if (lastIssuer?.ca.cert !== ca.cert || lastIssuer.ca.key !== ca.key) {
    const signingKey = importSigningKey(ca.key);
    signingKey.catch(() => {
      lastIssuer = undefined; // not kept: the next issue tries again (and fails the same way)
    });
    lastIssuer = { ca, subject: new x509.X509Certificate(ca.cert).subject, signingKey };
  }
  return lastIssuer;
}

/** Issues a leaf certificate signed by `ca`. */
export async function issueCert(ca: KeyPairPem, spec: LeafSpec, now: number): Promise<KeyPairPem> {
  const keys = await newKeys();
  const issuer = issuerOf(ca);
  const usage = spec.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
  ];
  if (spec.dnsNames !== undefined && spec.dnsNames.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(spec.dnsNames.map(sanEntry)));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${spec.cn}`,
    issuer: issuer.subject,
    ...validity(now),
    signingAlgorithm: ALG,
    signingKey: await issuer.signingKey,
    publicKey: keys.publicKey,
    extensions,
  });
  return { cert: pemLine(cert.toString('pem')), key: pemLine(await keyPem(keys.privateKey)) };
}

/** The last CA's agent-certificate parts (agent-cert.ts), from a template issued by issueCert. */
let lastAgentParts:
  { readonly ca: KeyPairPem; readonly parts: Promise<ReturnType<typeof sharedParts>> } | undefined;

function agentPartsOf(ca: KeyPairPem, now: number): Promise<ReturnType<typeof sharedParts>> {
  if (lastAgentParts?.ca.cert !== ca.cert || lastAgentParts.ca.key !== ca.key) {
    const parts = issueCert(ca, { cn: 'template', usage: 'client' }, now).then((t) =>
      sharedParts(t.cert, ca.key),
    );
    parts.catch(() => {
      lastAgentParts = undefined; // not kept: the next issue tries again
    });
    lastAgentParts = { ca, parts };
  }
  return lastAgentParts.parts;
}

/**
 * Issues the client certificate of agent `agentId` (CN = the id): the same certificate as
 * `issueCert(ca, { cn: agentId, usage: 'client' }, now)`, made the fast way (agent-cert.ts).
 */
export async function issueAgentCert(ca: KeyPairPem, agentId: string, now: number): Promise<KeyPairPem> {
  const parts = await agentPartsOf(ca, now);
  return issueFromShared(parts, { cn: agentId, serial: newSerial(), ...validity(now) });
}

function readPair(dir: string, base: string): KeyPairPem | undefined {
  const certFile = join(dir, `${base}.pem`);
  const keyFile = join(dir, `${base}.key`);
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    return undefined;
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** Writes `<dir>/<base>.pem` (0644) and `<dir>/<base>.key` (0600). */
export function writePair(dir: string, base: string, pair: KeyPairPem): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, `${base}.key`), pair.key, { mode: 0o600 });
  writeFileSync(join(dir, `${base}.pem`), pair.cert, { mode: 0o644 });
}

/** The ticket secret's file name in the PKI directory. */
export const TICKET_SECRET_FILE = 'ticket.key';

/**
 * Loads the manager's PKI from `dir`, creating the CA, the server certificate and the ticket secret
 * when missing (a new CA also gets a new server certificate).
 */
export async function ensureManagerPki(dir: string, now: number, listenHost?: string): Promise<ManagerPki> {
  let ca = readPair(dir, 'ca');
  let server = readPair(dir, 'server');
  if (ca === undefined) {
    ca = await createCa(now);
    writePair(dir, 'ca', ca);
    server = undefined;
  }
  const dnsNames = serverNames(listenHost);
  if (server === undefined || !coversNames(server.cert, dnsNames)) {
    server = await issueCert(ca, { cn: MANAGER_CN, usage: 'server', dnsNames }, now);
    writePair(dir, 'server', server);
  }
  const ticketSecret = ensureTicketSecret(join(dir, TICKET_SECRET_FILE));
  return { ca, server, caFingerprint: fingerprintOf(ca.cert), ticketSecret };
}
