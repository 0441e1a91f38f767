/**
 * How a cluster node authenticates to NATS (`--bus nats://...`): from its environment, never its
 * command line, which every user of the host can read (store/store-url.ts). nats.js takes no
 * credentials from a server URL, so a URL carrying some is refused rather than ignored.
 *
 * - RIPOSTE_NATS_USER and RIPOSTE_NATS_PASSWORD: a user of the server's `authorization`;
 * - RIPOSTE_NATS_TOKEN: the server's token;
 * - RIPOSTE_NATS_CREDS: a `.creds` file (an account JWT and its nkey seed, NATS's decentralized
 *   authentication), read at start;
 * - none: no authentication.
 * At most one of the three; a user without a password (or the reverse) is refused.
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions } from 'nats';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';

export type NatsAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'user'; readonly user: string; readonly pass: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'creds'; readonly file: string };

const VARS = [
  'RIPOSTE_NATS_USER',
  'RIPOSTE_NATS_PASSWORD',
  'RIPOSTE_NATS_TOKEN',
  'RIPOSTE_NATS_CREDS',
] as const;

function invalid(why: string): RiposteError {
  return new RiposteError(ErrorCode.CONFIG_INVALID, `NATS credentials: ${why}`);
}

/**
 * The credentials `env` gives (set and non-empty variables only).
 * @throws RiposteError CONFIG_INVALID when they are incomplete or more than one kind is given
 */
export function natsAuthFromEnv(env: NodeJS.ProcessEnv): NatsAuth {
  const [user, pass, token, creds] = VARS.map((v) => (env[v] === '' ? undefined : env[v]));
  const kinds = [user !== undefined || pass !== undefined, token !== undefined, creds !== undefined];
  if (kinds.filter(Boolean).length > 1) {
    throw invalid(
      'give one of RIPOSTE_NATS_USER/RIPOSTE_NATS_PASSWORD, RIPOSTE_NATS_TOKEN or RIPOSTE_NATS_CREDS',
    );
  }
  if (user !== undefined || pass !== undefined) {
    if (user === undefined || pass === undefined) {
      throw invalid('RIPOSTE_NATS_USER and RIPOSTE_NATS_PASSWORD go together');
    }
    return { kind: 'user', user, pass };
  }
  if (token !== undefined) {
    return { kind: 'token', token };
  }
  return creds !== undefined ? { kind: 'creds', file: creds } : { kind: 'none' };
}

/**
 * nats.js's connection options for `auth`.
 * @throws RiposteError CONFIG_INVALID when the creds file cannot be read
 */
export function natsConnectAuth(
  auth: NatsAuth,
): Pick<ConnectionOptions, 'user' | 'pass' | 'token' | 'authenticator'> {
  switch (auth.kind) {
    case 'user':
      return { user: auth.user, pass: auth.pass };
    case 'token':
      return { token: auth.token };
    case 'creds': {
      let text: Buffer;
      try {
        text = readFileSync(auth.file);
      } catch (err: unknown) {
        throw invalid(`cannot read RIPOSTE_NATS_CREDS "${auth.file}": ${errorMessage(err)}`);
      }
      return { authenticator: credsAuthenticator(new Uint8Array(text)) };
    }
    case 'none':
      return {};
  }
}

/** True when the server refused the credentials (or their absence). */
export function isNatsAuthError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'AUTHORIZATION_VIOLATION' || code === 'AUTHENTICATION_EXPIRED';
}
