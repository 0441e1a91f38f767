/**
 * A manager stand-in for agent-side link tests: a TLS WebSocket server on loopback at LINK_PATH
 * with the manager's certificate (mutual TLS, the agent's certificate required), and an agent home
 * enrolled to it. The test decides what the stand-in does with each connection.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { writeAgentEnrollment } from '../../src/link/agent-link-config.js';
import { ensureManagerPki, issueAgentCert } from '../../src/pki/pki.js';
import { LINK_PATH } from '../../src/protocol/link.js';

export type StandInPki = Awaited<ReturnType<typeof ensureManagerPki>>;

export interface StandIn {
  readonly wss: WebSocketServer;
  /** Listens on a free loopback port; resolves to it. */
  listen(): Promise<number>;
  /** Ends every connection, then the WebSocket and HTTPS servers. */
  close(): Promise<void>;
}

/** The stand-in's servers (not listening yet: attach the connection handler first). */
export function standInServer(pki: StandInPki): StandIn {
  const server: Server = createServer({
    key: pki.server.key,
    cert: pki.server.cert + pki.ca.cert,
    ca: pki.ca.cert,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const wss = new WebSocketServer({ server, path: LINK_PATH });
  return {
    wss,
    listen: async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    },
    close: async () => {
      for (const c of wss.clients) {
        c.terminate();
      }
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A manager PKI in `dir`/pki and agent 001's home `dir`/agent enrolled to 127.0.0.1:`port`. */
export async function enrolledAgentHome(dir: string, pki: StandInPki, port: number): Promise<string> {
  const creds = await issueAgentCert(pki.ca, '001', Date.now());
  const home = join(dir, 'agent');
  const address = `127.0.0.1:${port}`;
  writeAgentEnrollment(
    home,
    { manager: address, managers: [address], id: '001', name: 'a', caFingerprint: pki.caFingerprint },
    { ca: pki.ca.cert, cert: creds.cert, key: creds.key },
  );
  return home;
}

/** The PKI of a stand-in manager, in `dir`/pki. */
export function standInPki(dir: string): Promise<StandInPki> {
  return ensureManagerPki(join(dir, 'pki'), Date.now());
}
