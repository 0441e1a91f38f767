/**
 * The local API's bearer token: 32 random bytes, written to `<home>/var/api.token` with mode 0600
 * at every start, so only the daemon's user (and root) can call the API. Compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

export function writeApiToken(file: string): string {
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

export function readApiToken(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

/** True when the `Authorization` header carries exactly `Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
