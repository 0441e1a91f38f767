/**
 * `--manager` takes the same forms everywhere (issue #9 item 3): `HOST`, `HOST:PORT`, `[IPv6]:PORT`
 * or an `https://` URL. Without a port, HOST forms use 1515 (where `riposte manager` serves its API,
 * the enrollment and the agent link) and a URL uses https' 443 (a manager behind a TLS proxy). Pure.
 */
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

export const DEFAULT_MANAGER_PORT = 1515;

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;

function failure(text: string, flag: string, why: string): RiposteError {
  return new RiposteError(
    ErrorCode.REQUEST_INVALID,
    `${flag}: "${text}" ${why}. Accepted: HOST, HOST:PORT, [IPv6]:PORT or https://HOST[:PORT] (HOST forms default to port ${DEFAULT_MANAGER_PORT})`,
  );
}

function fromUrl(t: string, flag: string): URL {
  if (!URL.canParse(t)) {
    throw failure(t, flag, 'is not a valid URL');
  }
  const url = new URL(t);
  if (url.protocol !== 'https:') {
    throw failure(t, flag, 'is not an https:// URL');
  }
  return url;
}

/** The manager's base URL for `text`. @throws RiposteError REQUEST_INVALID naming the accepted forms */
export function managerUrl(text: string, flag = '--manager'): URL {
  const t = text.trim();
  if (t.includes('://')) {
    return fromUrl(t, flag);
  }
  const m = HOST_PORT.exec(t);
  const host = m?.[1] !== undefined ? `[${m[1]}]` : m?.[2];
  const port = m?.[3] === undefined ? DEFAULT_MANAGER_PORT : Number(m[3]);
  if (host === undefined || port < 1 || port > 65535) {
    throw failure(t, flag, 'is not an address');
  }
  return new URL(`https://${host}:${port}/`);
}

/** Host and port for `text` (enrollment connects to them directly). */
export function managerHostPort(text: string, flag = '--manager'): { host: string; port: number } {
  const url = managerUrl(text, flag);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 443 : Number(url.port) };
}
