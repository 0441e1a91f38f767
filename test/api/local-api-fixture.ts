/**
 * The local API over a real LocalService and Execd: a temporary SQLite store, memory log, fake clock, the fake
 * script runner of the agent unit tests, and a real ArConfResolver over a temp home whose ar.conf is
 * rendered from a small all-in-one config (as `riposte start` does). No script is ever spawned.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { agentPaths } from '../../src/agent/agent-paths.js';
import type { AgentRuntime } from '../../src/agent/agent-runtime.js';
import { ArConfResolver } from '../../src/agent/ar-conf-resolver.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { Execd } from '../../src/agent/execd/execd.js';
import { DEFAULT_SCRIPT_LIMITS } from '../../src/agent/executor/spawn-script.js';
import { buildLocalApi } from '../../src/api/build-local-api.js';
import { compileConfig } from '../../src/config/compile-config.js';
import type { Config } from '../../src/core/config-model.js';
import { readXml } from '../../src/config/xml-reader.js';
import { renderArConf } from '../../src/core/ar-conf.js';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import { LocalService } from '../../src/local/local-service.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { FakeRunner, T0 } from '../unit/agent/execd-fixture.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TOKEN}` } as const;

/** sshd 5712/5763 -> firewall-drop 10 min; 10.0.0.0/8 never blocked. */
export const ALL_IN_ONE_XML = `<ossec_config>
  <global>
    <white_list>10.0.0.0/8</white_list>
  </global>
  <command>
    <name>firewall-drop</name>
    <executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed>
  </command>
  <active-response>
    <command>firewall-drop</command>
    <location>local</location>
    <rules_id>5712,5763</rules_id>
    <timeout>600</timeout>
  </active-response>
</ossec_config>
`;

export function compileAllInOne(): Config {
  const read = readXml(ALL_IN_ONE_XML, 'etc/ossec.conf');
  if (!read.ok) {
    throw new Error(read.errors.join('\n'));
  }
  const r = compileConfig(read.elements, { file: 'etc/ossec.conf', mode: 'manager' });
  if (!r.ok) {
    throw new Error(r.errors.join('\n'));
  }
  return r.config;
}

export interface LocalApiFixture {
  readonly app: FastifyInstance;
  readonly execd: Execd;
  readonly store: AgentStore;
  readonly runner: FakeRunner;
  readonly clock: { t: number };
  close(): Promise<void>;
}

export interface LocalApiFixtureOptions {
  /** Build an all-in-one service (with the config) rather than a bare agent. @default true */
  readonly allInOne?: boolean;
}

function prepareHome(config: Config): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
  const paths = agentPaths(home);
  mkdirSync(path.dirname(paths.arConf), { recursive: true });
  mkdirSync(paths.bin, { recursive: true });
  writeFileSync(paths.arConf, renderArConf(config));
  // The resolver only checks the executable is readable; the fake runner never spawns it.
  writeFileSync(path.join(paths.bin, 'firewall-drop'), '#!/bin/sh\nexit 0\n', { mode: 0o750 });
  return home;
}

export async function localApiFixture(opts: LocalApiFixtureOptions = {}): Promise<LocalApiFixture> {
  const config = compileAllInOne();
  const home = prepareHome(config);
  const clock = { t: T0 };
  const now = (): number => clock.t;
  const store = tempAgentStore();
  const log = memoryDaemonLog();
  const resolver = new ArConfResolver(home, log);
  const runner = new FakeRunner(now);
  const execd = new Execd({
    home,
    agentId: '000',
    store,
    resolver,
    runScript: runner.run,
    log,
    now,
    repeatedOffenders: [],
    limits: DEFAULT_SCRIPT_LIMITS,
  });
  const runtime: AgentRuntime = {
    paths: agentPaths(home),
    execd,
    store,
    log,
    resolver,
    restored: { armed: 0, reverted: 0, reapplied: 0, interrupted: 0 },
    startedAt: T0,
    stop: () => execd.stop(false),
  };
  const allInOne = opts.allInOne ?? true;
  const service = new LocalService({ runtime, agentId: '000', ...(allInOne ? { config } : {}) });
  const app = buildLocalApi({ service, token: TOKEN, now });
  await app.ready();
  return {
    app,
    execd,
    store,
    runner,
    clock,
    close: async () => {
      await app.close();
      await execd.stop(false);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
