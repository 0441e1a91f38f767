/**
 * Agent client certificates, issued fast: enrollment issues thousands (5,000 agents of a cluster
 * enroll in one go), and building each through @peculiar/x509's ASN.1 object model cost ~4-9 ms of
 * CPU (serialize, sign through WebCrypto, export both keys, parse the result back). Here the parts
 * every agent certificate of one CA shares (version, signature algorithm, issuer name, extensions)
 * are taken once per CA from a template certificate made by @peculiar/x509 (pki.ts issueCert), and
 * each certificate only encodes its own serial, validity, subject (through @peculiar/x509's Name)
 * and public key (DER from Node's key generation), then is signed by node:crypto (DER ECDSA
 * signature, as X.509 wants). The result is the same certificate shape as issueCert's (the test
 * compares them field by field: test/manager/pki.test.ts).
 */
import * as x509 from '@peculiar/x509';
import {
  X509Certificate,
  createPrivateKey,
  generateKeyPair,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import type { KeyPairPem } from './pki.js';

/** One DER TLV: tag, definite length, content. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let head: number[];
  if (n < 0x80) {
    head = [tag, n];
  } else if (n < 0x100) {
    head = [tag, 0x81, n];
  } else if (n < 0x10000) {
    head = [tag, 0x82, n >> 8, n & 0xff];
  } else {
    throw new Error('DER element too long for a certificate');
  }
  return Buffer.concat([Buffer.from(head), content]);
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** The top-level elements of a DER SEQUENCE's content, each as its whole TLV. */
function elements(seq: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = headerLength(seq, 0).header;
  while (at < seq.length) {
    const { header, length } = headerLength(seq, at);
    out.push(seq.subarray(at, at + header + length));
    at += header + length;
  }
  return out;
}

function headerLength(der: Buffer, at: number): { header: number; length: number } {
  const first = der[at + 1] ?? 0;
  if (first < 0x80) {
    return { header: 2, length: first };
  }
  const bytes = first & 0x7f;
  let length = 0;
  for (let i = 0; i < bytes; i++) {
    length = length * 256 + (der[at + 2 + i] ?? 0);
  }
  return { header: 2 + bytes, length };
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(at: Date): Buffer {
  const iso = at.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return at.getUTCFullYear() < 2050
    ? tlv(UTC_TIME, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(GENERALIZED_TIME, Buffer.from(digits, 'ascii'));
}

/** What every agent certificate of one CA shares, from a template made by @peculiar/x509. */
interface Shared {
  readonly version: Buffer;
  readonly signatureAlgorithm: Buffer;
  readonly issuer: Buffer;
  readonly extensions: Buffer;
  readonly caKey: KeyObject;
}

/** Reads the shared parts out of `templatePem` (an agent certificate issued by the CA of `caKey`). */
export function sharedParts(templatePem: string, caKeyPem: string): Shared {
  const [tbs] = elements(new X509Certificate(templatePem).raw);
  if (tbs === undefined) {
    throw new Error('template certificate: no TBSCertificate');
  }
  const [version, , signatureAlgorithm, issuer, , , , extensions] = elements(tbs);
  if (version === undefined || signatureAlgorithm === undefined || issuer === undefined || !extensions) {
    throw new Error('template certificate: unexpected TBSCertificate layout');
  }
  return { version, signatureAlgorithm, issuer, extensions, caKey: createPrivateKey(caKeyPem) };
}

function pem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function newKeys(): Promise<{ spki: Buffer; pkcs8: string }> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'ec',
      {
        namedCurve: 'prime256v1',
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, spki, pkcs8) => {
        if (err) {
          reject(err);
        } else {
          resolve({ spki, pkcs8 });
        }
      },
    );
  });
}

function signDer(tbs: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign('sha256', tbs, key, (err, signature) => {
      if (err) {
        reject(err);
      } else {
        resolve(signature);
      }
    });
  });
}

export interface AgentCertSpec {
  readonly cn: string;
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Issues one agent certificate (CN = `spec.cn`) with the `shared` parts of its CA. */
export async function issueFromShared(shared: Shared, spec: AgentCertSpec): Promise<KeyPairPem> {
  const keys = await newKeys();
  const subject = Buffer.from(new x509.Name(`CN=${spec.cn}`).toArrayBuffer());
  const tbs = tlv(
    SEQUENCE,
    Buffer.concat([
      shared.version,
      tlv(INTEGER, spec.serial),
      shared.signatureAlgorithm,
      shared.issuer,
      tlv(SEQUENCE, Buffer.concat([time(spec.notBefore), time(spec.notAfter)])),
      subject,
      keys.spki,
      shared.extensions,
    ]),
  );
  const signature = await signDer(tbs, shared.caKey);
  const cert = tlv(
    SEQUENCE,
    Buffer.concat([
      tbs,
      shared.signatureAlgorithm,
      tlv(BIT_STRING, Buffer.concat([Buffer.of(0), signature])),
    ]),
  );
  return { cert: pem(cert), key: keys.pkcs8 };
}

/** A serial as issueCert makes them: 0x01 then 15 random bytes (positive, 16 bytes). */
export function newSerial(): Buffer {
  return Buffer.concat([Buffer.of(1), randomBytes(15)]);
}
