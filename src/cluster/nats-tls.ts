/**
 * TLS between a cluster node and NATS (`--bus tls://...`, or RIPOSTE_NATS_CA): the orders carry
 * addresses and user names, and a user's password or token crosses the connection too, so a bus
 * that leaves the host should be encrypted and its server verified. From the environment, like
 * the credentials (nats-auth.ts):
 *
 * - RIPOSTE_NATS_CA: a PEM file of the CA(s) that sign the server's certificate; the server is
 *   verified against it instead of the system's trust store;
 * - RIPOSTE_NATS_CERT and RIPOSTE_NATS_KEY: this node's certificate and key (PEM), for a server
 *   that verifies its clients (`tls { verify: true }`); they go together.
 *
 * Any of them, or a `tls://` server URL, makes TLS required: a server that offers none is refused
 * rather than spoken to in clear. With none of them and `nats://`, nats.js still upgrades when the
 * server requires TLS, verifying it against the system's trust store. The files are read once at
 * start (a renewed certificate is taken by a restart) and a server is always verified, with its
 * name (or IP address) checked against its certificate.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isLoopbackHost } from '../net/loopback.js';
import {
  checkServerIdentity,
  type ConnectionOptions as ConnectionOptionsTls,
  type PeerCertificate,
} from 'node:tls';
import type { ConnectionOptions, TlsOptions } from 'nats';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';

export type NatsTls =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'tls';
      /** RIPOSTE_NATS_CA; absent: the system's trust store. */
      readonly caFile?: string;
      /** RIPOSTE_NATS_CERT and RIPOSTE_NATS_KEY. */
      readonly client?: { readonly certFile: string; readonly keyFile: string };
    };

function invalid(why: string): RiposteError {
  return new RiposteError(ErrorCode.CONFIG_INVALID, `NATS TLS: ${why}`);
}

function set(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * The TLS `env` asks for; `required` (a `tls://` server URL) asks for it without any variable.
 * @throws RiposteError CONFIG_INVALID when only one of RIPOSTE_NATS_CERT and RIPOSTE_NATS_KEY is set
 */
export function natsTlsFromEnv(env: NodeJS.ProcessEnv, required: boolean): NatsTls {
  const caFile = set(env, 'RIPOSTE_NATS_CA');
  const certFile = set(env, 'RIPOSTE_NATS_CERT');
  const keyFile = set(env, 'RIPOSTE_NATS_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw invalid('RIPOSTE_NATS_CERT and RIPOSTE_NATS_KEY go together');
  }
  if (!required && caFile === undefined && certFile === undefined) {
    return { kind: 'none' };
  }
  return {
    kind: 'tls',
    ...(caFile === undefined ? {} : { caFile }),
    ...(certFile === undefined || keyFile === undefined ? {} : { client: { certFile, keyFile } }),
  };
}

function readPem(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw invalid(`cannot read ${variable} "${file}": ${errorMessage(err)}`);
  }
}

/** The host of each of `servers` (`nats://HOST:PORT,...`), an IPv6 address without its brackets. */
function hostsOf(servers: string): string[] {
  return servers.split(',').map((s) => new URL(s.trim()).hostname.replace(/^\[(.*)\]$/, '$1'));
}

/**
 * Node's server identity check, made to work for servers named by IP address: nats.js gives
 * Node a TLS server name only for a host name, so a server dialled by IP address was checked as
 * "localhost" and a certificate naming its address was refused. A certificate is accepted for
 * the name Node was given or, when that fails, for one of the IP addresses among `servers`
 * (every one of them is a server of this cluster, verified against the same CA).
 */
function identityCheck(servers: string): (host: string, cert: PeerCertificate) => Error | undefined {
  const ips = hostsOf(servers).filter((h) => isIP(h) !== 0);
  return (host, cert) => {
    const err = checkServerIdentity(host, cert);
    if (err === undefined || ips.some((ip) => checkServerIdentity(ip, cert) === undefined)) {
      return undefined;
    }
    return err;
  };
}

/**
 * nats.js's connection option for `tls` to `servers`: an object makes TLS required (nats.js
 * refuses a server that offers none), with the files' contents read now.
 * @throws RiposteError CONFIG_INVALID when a file cannot be read
 */
export function natsConnectTls(tls: NatsTls, servers: string): Pick<ConnectionOptions, 'tls'> {
  if (tls.kind === 'none') {
    return {};
  }
  // nats.js hands its `tls` object to tls.connect whole, so Node's own options pass through it
  // although its type does not list them.
  const options: TlsOptions & Pick<ConnectionOptionsTls, 'checkServerIdentity'> = {
    checkServerIdentity: identityCheck(servers),
    ...(tls.caFile === undefined ? {} : { ca: readPem('RIPOSTE_NATS_CA', tls.caFile) }),
    ...(tls.client === undefined
      ? {}
      : {
          cert: readPem('RIPOSTE_NATS_CERT', tls.client.certFile),
          key: readPem('RIPOSTE_NATS_KEY', tls.client.keyFile),
        }),
  };
  return { tls: options };
}

/**
 * A warning for a bus to a server off this host that TLS is not required for (`servers` given
 * as `nats://`, no RIPOSTE_NATS_CA or client certificate): nats.js encrypts only when the server
 * insists, so orders, and a password or token, may cross the network in clear.
 */
export function natsInClearWarning(servers: string, tls: NatsTls): string | undefined {
  if (tls.kind === 'tls') {
    return undefined;
  }
  const remote = hostsOf(servers).filter((h) => !isLoopbackHost(h));
  if (remote.length === 0) {
    return undefined;
  }
  return (
    `--bus: TLS to NATS at ${remote.join(', ')} is not required, so orders (and NATS credentials) may cross the ` +
    'network in clear: use tls://HOST:PORT, with RIPOSTE_NATS_CA naming the CA of its certificate'
  );
}
