/**
 * Enrollment and the CA shared by every node of a cluster, through the store: the CA (certificate
 * and key) and the enrollment password live in store settings, and each node mirrors them into its
 * own `<home>/etc/pki/ca.{pem,key}` and `<home>/etc/authd.pass` before the usual PKI start-up
 * (pki.ts issues the node's own server certificate from that CA). So agents pin one CA and can
 * connect to any node; a password or token enrolls through any node; agent ids and certificate
 * fingerprints are in the shared store.
 *
 * The TLS session-ticket secret (src/pki/ticket-keys.ts) is shared the same way, so an agent
 * resumes its TLS session on whichever node it fails over to.
 *
 * The first node to start publishes its CA (an existing single-node CA is kept: moving a manager
 * to PostgreSQL keeps its agents' trust) and password; later nodes adopt them, replacing their own
 * (their server certificate is then reissued). Callers run this under the cluster's start-up lock
 * (pg-lock.ts), so two first nodes cannot publish two CAs.
 *
 * The CA key in the store: whoever can read the database can issue agent certificates. Protect and
 * back up the database accordingly (docs/scale-out.md).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { TICKET_SECRET_FILE, createCa, writePair } from '../pki/pki.js';
import { isTicketSecret, newTicketSecret, writeTicketSecret } from '../pki/ticket-keys.js';
import { BUS_KEY_SETTING, isBusKey, newBusKey } from './bus-seal.js';

export const CA_CERT_SETTING = 'cluster_ca_cert';
export const CA_KEY_SETTING = 'cluster_ca_key';
export const ENROLL_PASSWORD_SETTING = 'cluster_enroll_password';
export const TICKET_SECRET_SETTING = 'cluster_tls_ticket_secret';

/** The two store calls used (sync or async adapters alike). */
export interface SettingsStore {
  getSetting(key: string): string | undefined | Promise<string | undefined>;
  setSetting(key: string, value: string): void | Promise<void>;
}

function readIf(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** Mirrors the shared CA into `pkiDir` (publishing this node's when the store has none). */
async function syncCa(
  store: SettingsStore,
  pkiDir: string,
  now: number,
): Promise<'adopted' | 'published' | 'same'> {
  const cert = await store.getSetting(CA_CERT_SETTING);
  const key = await store.getSetting(CA_KEY_SETTING);
  const localCert = readIf(join(pkiDir, 'ca.pem'));
  const localKey = readIf(join(pkiDir, 'ca.key'));
  if (cert !== undefined && key !== undefined) {
    if (cert === localCert && key === localKey) {
      return 'same';
    }
    writePair(pkiDir, 'ca', { cert, key });
    // Issued by another CA: pki.ts issues a new one from the shared CA.
    rmSync(join(pkiDir, 'server.pem'), { force: true });
    rmSync(join(pkiDir, 'server.key'), { force: true });
    return 'adopted';
  }
  const ca =
    localCert !== undefined && localKey !== undefined
      ? { cert: localCert, key: localKey }
      : await createCa(now);
  writePair(pkiDir, 'ca', ca);
  await store.setSetting(CA_KEY_SETTING, ca.key);
  await store.setSetting(CA_CERT_SETTING, ca.cert);
  return 'published';
}

/** Mirrors the shared enrollment password into `passwordFile` (publishing this node's, or a new one). */
async function syncPassword(store: SettingsStore, passwordFile: string): Promise<void> {
  const shared = await store.getSetting(ENROLL_PASSWORD_SETTING);
  const local = readIf(passwordFile)?.trim();
  if (shared !== undefined) {
    if (shared !== local) {
      mkdirSync(dirname(passwordFile), { recursive: true, mode: 0o750 });
      writeFileSync(passwordFile, `${shared}\n`, { mode: 0o600 });
    }
    return;
  }
  const value = local ?? randomBytes(16).toString('hex');
  if (local === undefined) {
    mkdirSync(dirname(passwordFile), { recursive: true, mode: 0o750 });
    writeFileSync(passwordFile, `${value}\n`, { mode: 0o600 });
  }
  await store.setSetting(ENROLL_PASSWORD_SETTING, value);
}

/** Mirrors the shared ticket secret into `<pkiDir>/ticket.key` (publishing this node's, or a new one). */
async function syncTicketSecret(store: SettingsStore, pkiDir: string): Promise<void> {
  const file = join(pkiDir, TICKET_SECRET_FILE);
  const shared = await store.getSetting(TICKET_SECRET_SETTING);
  const local = readIf(file)?.trim();
  if (shared !== undefined && isTicketSecret(shared)) {
    if (shared !== local) {
      writeTicketSecret(file, shared);
    }
    return;
  }
  const value = local !== undefined && isTicketSecret(local) ? local : newTicketSecret();
  if (value !== local) {
    writeTicketSecret(file, value);
  }
  await store.setSetting(TICKET_SECRET_SETTING, value);
}

/**
 * The order bus's key (bus-seal.ts): kept only in the store, made by the first node. A node reads
 * it when it attaches its bus (runtime/cluster-node.ts), after this ran under the start-up lock.
 */
async function syncBusKey(store: SettingsStore): Promise<void> {
  const shared = await store.getSetting(BUS_KEY_SETTING);
  if (shared === undefined || !isBusKey(shared)) {
    await store.setSetting(BUS_KEY_SETTING, newBusKey());
  }
}

/**
 * Makes this node's CA files and enrollment password the cluster's, and the cluster's TLS ticket
 * secret and bus key this node's. Run under the start-up lock.
 */
export async function syncSharedEnrollment(
  store: SettingsStore,
  pkiDir: string,
  passwordFile: string,
  now: number,
): Promise<'adopted' | 'published' | 'same'> {
  const ca = await syncCa(store, pkiDir, now);
  await syncPassword(store, passwordFile);
  await syncTicketSecret(store, pkiDir);
  await syncBusKey(store);
  return ca;
}
