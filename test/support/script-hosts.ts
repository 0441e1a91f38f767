/**
 * Script hosts for skeleton tests: each a fresh home under one temp root (removed after the file's
 * tests), argv0 firewall-drop's path, a fixed clock (log lines get one timestamp).
 */
import { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScriptHost } from '../../src/protocol/script-io.js';

/** A maker of hosts under a temp root named after `prefix`; `now` defaults to 2026-11-30 09:00. */
export function tempScriptHosts(
  prefix: string,
  now: Date = new Date(2026, 10, 30, 9, 0, 0),
): (name: string) => ScriptHost {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  return (name) => {
    const home = path.join(root, name);
    fs.mkdirSync(home);
    return { home, argv0: 'active-response/bin/firewall-drop', now: () => now };
  };
}
