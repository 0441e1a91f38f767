/**
 * The local API's bearer token: 32 random bytes, written to `<home>/var/api.token` with mode 0600
 * at every start, so only the daemon's user (and root) can call the API. Compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { replaceFileNoFollow } from '../home/no-follow.js';
// The reader has its own file: the CLI reads the token without loading node:crypto (start-up time).
export { readApiToken } from './read-api-token.js';

export function writeApiToken(file: string): string {
  const token = randomBytes(32).toString('base64url');
  // A fresh file renamed over the old one: a link planted at `file` is replaced, not followed.
  replaceFileNoFollow(file, `${token}\n`, 0o600);
  return token;
}

/** True when the `Authorization` header carries exactly `Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
