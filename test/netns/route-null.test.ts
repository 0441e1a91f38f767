/**
 * route-null, for real: inside a victim namespace, a blackhole route for the attacker's address
 * (IPv4 and IPv6) must make a TCP connect from the attacker fail after `add` and succeed again after
 * `delete`; repeated adds leave one route, repeated deletes succeed; a route the script did not create
 * is never replaced nor removed; rejected input changes nothing.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildCheckKeys } from '../../src/protocol/ar-message.js';
import {
  arMessage,
  canConnect,
  inNs,
  netnsSkipReason,
  runInstalled,
  setupVictim,
  teardownVictim,
  type NetnsPair,
} from './netns-fixture.js';

const skip = netnsSkipReason();
let pair: NetnsPair | undefined;
let listener: ChildProcess | undefined;
let home = '';

before(async () => {
  if (skip !== undefined) {
    return;
  }
  ({ home, pair, listener } = await setupVictim('riposte-routenull-'));
});

after(() => {
  teardownVictim({ home, pair, listener });
});

/** Every route in the victim whose destination is `ip` (any type, any protocol). */
function routesTo(ip: string): string[] {
  assert.ok(pair);
  const family = ip.includes(':') ? '-6' : '-4';
  const plen = ip.includes(':') ? 128 : 32;
  return inNs(pair.victim, ['ip', family, 'route', 'show', 'table', 'all', 'exact', `${ip}/${plen}`])
    .split('\n')
    .filter((l) => l.trim() !== '');
}

afterEach(() => {
  if (!pair) {
    return;
  }
  for (const ip of [pair.attacker4, pair.attacker6, '10.99.0.1']) {
    for (const route of routesTo(ip)) {
      const family = ip.includes(':') ? '-6' : '-4';
      inNs(pair.victim, ['ip', family, 'route', 'del', ...route.trim().split(/\s+/)], { allowFail: true });
    }
  }
});

function lastLogLine(): string {
  const lines = fs
    .readFileSync(path.join(home, 'logs', 'active-responses.log'), 'utf8')
    .trimEnd()
    .split('\n');
  return lines.at(-1) ?? '';
}

function run(line: string, reply?: string): ReturnType<typeof runInstalled> {
  assert.ok(pair);
  const prog = 'route-null';
  return runInstalled({ ns: pair.victim, home, name: prog, line, ...(reply === undefined ? {} : { reply }) });
}

const msg = (command: string, ip: unknown): string => arMessage(command, ip, [], 'route-null');

void describe('route-null in a network namespace', { skip }, () => {
  for (const family of [4, 6] as const) {
    void test(`IPv${family}: add blackholes, repeated add keeps one route, delete restores`, async () => {
      assert.ok(pair);
      const ip = family === 4 ? pair.attacker4 : pair.attacker6;
      assert.equal(canConnect(pair, family), true, 'connect works before add');
      const add = await run(msg('add', ip), msg('continue', ip));
      assert.equal(add.code, 0);
      assert.deepEqual(add.stdout, [JSON.stringify(buildCheckKeys('route-null', [ip]))]);
      assert.equal(canConnect(pair, family), false, 'connect fails after add');
      assert.equal((await run(msg('add', ip), msg('continue', ip))).code, 0);
      const routes = routesTo(ip);
      assert.equal(routes.length, 1, routes.join('; '));
      assert.match(routes[0] ?? '', /^blackhole .*proto 247/);
      assert.equal((await run(msg('delete', ip))).code, 0);
      assert.deepEqual(routesTo(ip), []);
      assert.equal(canConnect(pair, family), true, 'connect works after delete');
      assert.equal((await run(msg('delete', ip))).code, 0, 'repeated delete');
      assert.match(lastLogLine(), / active-response\/bin\/route-null: Ended$/);
    });
  }

  void test('a route route-null did not create is neither replaced nor deleted', async () => {
    assert.ok(pair);
    inNs(pair.victim, ['ip', 'route', 'add', '10.99.0.1/32', 'dev', 'lo']);
    const before = routesTo('10.99.0.1');
    const add = await run(msg('add', '10.99.0.1'), msg('continue', '10.99.0.1'));
    assert.equal(add.code, 255);
    assert.match(
      lastLogLine(),
      /route-null: Unable to run ip -4 route add blackhole 10\.99\.0\.1\/32 proto 247: /,
    );
    assert.equal((await run(msg('delete', '10.99.0.1'))).code, 0);
    assert.deepEqual(routesTo('10.99.0.1'), before);
  });

  const rejected: [string, unknown, string][] = [
    ['shell separator', '1.2.3.4;id', "Cannot read 'srcip' from data"],
    ['command substitution', '$(id)', "Cannot read 'srcip' from data"],
    ['newline', '1.2.3.4\nid', "Cannot read 'srcip' from data"],
    ['inet_aton shorthand', '10.1', "Cannot read 'srcip' from data"],
    ['host name', 'attacker.example.com', "Cannot read 'srcip' from data"],
    ['missing field', undefined, "Cannot read 'srcip' from data"],
  ];
  for (const [label, srcip, expected] of rejected) {
    void test(`rejected input (${label}): exit 255, logged, no handshake, no route`, async () => {
      assert.ok(pair);
      const beforeRoutes = inNs(pair.victim, ['ip', 'route', 'show', 'table', 'all']);
      const r = await run(msg('add', srcip), msg('continue', srcip));
      assert.equal(r.code, 255);
      assert.deepEqual(r.stdout, []);
      assert.ok(lastLogLine().endsWith(`active-response/bin/route-null: ${expected}`), lastLogLine());
      assert.equal(inNs(pair.victim, ['ip', 'route', 'show', 'table', 'all']), beforeRoutes);
    });
  }

  void test('unknown command: exit 255, "Invalid value of \'command\'", no route', async () => {
    assert.ok(pair);
    const r = await run(msg('block', pair.attacker4));
    assert.equal(r.code, 255);
    assert.match(lastLogLine(), /route-null: Invalid value of 'command'$/);
    assert.deepEqual(routesTo(pair.attacker4), []);
  });
});
