/**
 * The remote CLI (`riposte ar ... --manager URL`) against the real REST API over HTTPS on
 * loopback, with a CA made for the test: output like the local verbs, CA pinning by CN, errors.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { activeView, executionView } from '../../src/api/routes/views.js';
import { toApiTimes } from '../../src/protocol/api-times.js';
import { MANAGER_CERT_CN, resolveRemoteTarget } from '../../src/cli/remote-client.js';
import {
  formatExecutions,
  remoteArList,
  remoteArRevert,
  remoteArRun,
} from '../../src/cli/commands/manager-ar.js';
import { remoteArHistory } from '../../src/cli/commands/ar-history.js';
import { createCa, issueCert, MANAGER_CN } from '../../src/pki/pki.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { active, execution } from './fake-manager-service.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { waitFor } from '../manager/support/fleet.js';
import { ErrorCode, RiposteError } from '../../src/protocol/error-codes.js';

const NOW = 1_700_000_000_000;

void describe('remote CLI over HTTPS', () => {
  let f: ApiFixture;
  let server: https.Server;
  let dir: string;
  let url: string;
  let caFile: string;
  let otherCaFile: string;
  let printed: string[];
  const flags = (
    over: Record<string, unknown> = {},
  ): Record<string, unknown> & { out: (t: string) => void } => ({
    manager: url,
    token: f.tokens.admin,
    ca: caFile,
    now: NOW,
    out: (t: string) => void printed.push(t),
    ...over,
  });

  before(async () => {
    f = await apiFixture();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
    const ca = await createCa(NOW);
    const serverPair = await issueCert(ca, { cn: MANAGER_CN, usage: 'server', dnsNames: ['localhost'] }, NOW);
    caFile = path.join(dir, 'ca.pem');
    fs.writeFileSync(caFile, ca.cert);
    otherCaFile = path.join(dir, 'other-ca.pem');
    fs.writeFileSync(otherCaFile, (await createCa(NOW)).cert);
    server = https.createServer({ cert: serverPair.cert, key: serverPair.key }, (req, res) => {
      f.app.routing(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await f.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  void test('the pinned CN is the one the manager certificate carries', () => {
    assert.equal(MANAGER_CERT_CN, MANAGER_CN);
  });

  void test('ar list prints the local columns and JSON views', async () => {
    printed = [];
    await remoteArList(flags({ agent: '001' }));
    const a = f.service.actives[0]!;
    const view = activeView(toApiTimes(a), NOW);
    assert.match(printed.join(''), /^KEY\s+AR NAME\s+AGENT\s+SINCE\s+EXPIRES IN\s+REPEATS\n/);
    assert.ok(printed.join('').includes(`${a.key}  ${a.arName}`));
    printed = [];
    await remoteArList(flags({ agent: '002' }));
    assert.equal(printed.join(''), 'No active responses on agent 002.\n');
    printed = [];
    await remoteArList(flags({ json: true }));
    assert.deepEqual(JSON.parse(printed.join('')), view);
  });

  void test('ar history prints the executions, with an AGENT column across agents', async () => {
    printed = [];
    await remoteArHistory(flags({ limit: '7' }));
    const views = [execution('001', 2), execution('001', 1)].map((e) => executionView(toApiTimes(e)));
    assert.equal(printed.join(''), formatExecutions(views, true));
    assert.deepEqual(f.service.callsOf('queryExecutions').at(-1)?.args, [{ limit: 7 }]);
    printed = [];
    await remoteArHistory(flags({ agent: '001', json: true }));
    assert.deepEqual(
      printed
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
      views,
    );
  });

  void test('ar list --ip and --command go to the API, which matches the address in any written form, or a network', async () => {
    printed = [];
    await remoteArList(flags({ ip: '::ffff:10.0.0.1', command: 'firewall-drop' }));
    assert.match(
      printed.join(''),
      /^KEY\s+AR NAME[^\n]*\nfirewall-drop-10\.0\.0\.1\s+firewall-drop600\s+001\s/,
    );
    printed = [];
    await remoteArList(flags({ ip: '10.0.0.0/30' }));
    assert.match(printed.join(''), /\nfirewall-drop-10\.0\.0\.1\s/, 'a network (CIDR) too');
    printed = [];
    await remoteArList(flags({ ip: '10.0.0.2' }));
    assert.equal(printed.join(''), 'No active response matches.\n');
    printed = [];
    await remoteArList(flags({ command: 'route-null', agent: '001' }));
    assert.equal(printed.join(''), 'No active response matches on agent 001.\n');
    await assert.rejects(remoteArList(flags({ ip: '10.0.0.300' })), (err: unknown) => {
      assert.equal((err as RiposteError).code, ErrorCode.REQUEST_INVALID);
      assert.match(
        (err as Error).message,
        /Cannot filter by ip "10\.0\.0\.300": not an IP address or network \(CIDR\)/,
      );
      return true;
    });
  });

  void test('ar history filters go to the API: key, status, command, alert id, and times (a duration is before now)', async () => {
    printed = [];
    await remoteArHistory(
      flags({
        key: 'firewall-drop-10.0.0.1',
        status: 'ok',
        command: 'firewall-drop',
        alertId: 'a1',
        since: '15m',
        until: '2023-11-14T22:13:20.000Z',
      }),
    );
    assert.deepEqual(f.service.callsOf('queryExecutions').at(-1)?.args, [
      {
        key: 'firewall-drop-10.0.0.1',
        status: 'ok',
        command: 'firewall-drop',
        alertId: 'a1',
        since: NOW - 15 * 60_000,
        until: NOW,
        limit: 50,
      },
    ]);
    printed = [];
    await remoteArHistory(flags({ status: 'timed-out' }));
    assert.equal(printed.join(''), 'No execution matches.\n');
    for (const bad of [{ status: 'broken' }, { until: '1h', follow: true }]) {
      await assert.rejects(remoteArHistory(flags(bad)), (err: unknown) => {
        assert.equal(exitCodeFor(err), 2, String(err));
        return true;
      });
    }
    // A time in none of the forms is the CLI's usage error, before any request...
    const calls = f.service.calls.length;
    await assert.rejects(remoteArHistory(flags({ since: 'yesterday' })), (err: unknown) => {
      assert.equal((err as RiposteError).code, ErrorCode.REQUEST_INVALID);
      assert.equal(exitCodeFor(err), 2);
      assert.match((err as Error).message, /--since: "yesterday" is not a time: ISO 8601/);
      return true;
    });
    assert.equal(f.service.calls.length, calls, 'nothing was asked');
    // ...and the API's own answer to such a time, for its other clients.
    const res = await f.app.inject({ url: '/executions?since=yesterday', headers: f.auth('read') });
    assert.equal(res.statusCode, 400);
    assert.equal(
      res.json<{ error: { message: string } }>().error.message,
      'Invalid since "yesterday": use ISO 8601 or epoch ms',
    );
  });

  void test('ar history --follow over HTTPS prints each execution as it happens; a feed that ends fails (exit 3)', async () => {
    printed = [];
    const following = remoteArHistory(flags({ follow: true, agent: '001', token: f.tokens.read }));
    const HEADER = /STARTED\s+AGENT\s+ACTION\s+AR NAME\s+KEY\s+STATUS\s+EXIT\s+NOTE\n/;
    /** What was printed after the follow header (the history comes before it). */
    const followed = (): string => printed.join('').split(HEADER)[1] ?? '';
    const seen = (re: RegExp): Promise<boolean> =>
      waitFor(
        `${String(re)} after the follow header`,
        10_000,
        () => HEADER.test(printed.join('')) && re.test(followed()),
      );
    // The header is printed once the feed answered, and the feed subscribes before it answers.
    await seen(/^$/);
    for (const e of [execution('002', 8), execution('001', 9)]) {
      f.service.emit({ type: 'execution', agentId: e.agentId, status: e.status, execution: e });
    }
    await seen(
      /^1970-01-01T00:00:00\.100Z\s+001\s+add\s+firewall-drop600\s+firewall-drop-10\.0\.0\.1\s+ok\s+0/m,
    );
    assert.equal(
      followed()
        .split('\n')
        .filter((l) => l !== '').length,
      1,
      'another agent is not followed',
    );
    server.closeAllConnections();
    await assert.rejects(following, (err: unknown) => {
      assert.ok(err instanceof RiposteError);
      assert.equal(err.code, ErrorCode.DAEMON_UNREACHABLE);
      assert.equal(exitCodeFor(err), 3);
      assert.match(
        err.message,
        /^The live feed of executions from https:\/\/127\.0\.0\.1:\d+\/ (ended|broke)/,
      );
      return true;
    });
  });

  void test('ar revert prints the queued orders', async () => {
    printed = [];
    await remoteArRevert('firewall-drop-10.0.0.1', flags({ token: f.tokens.operator }));
    assert.match(
      printed.join(''),
      /^AGENT\s+ORDER\s+KIND\s+KEY\s+STATE\n001\s+1\s+revert\s+firewall-drop-10\.0\.0\.1\s+queued\n$/,
    );
    await assert.rejects(remoteArRevert(undefined, flags()), { code: 'REQUEST_INVALID' });
  });

  void test('ar revert --all reverts each active response on its agent', async () => {
    printed = [];
    const before = f.service.callsOf('revert').length;
    await remoteArRevert(undefined, flags({ all: true, json: true }));
    const calls = f.service.callsOf('revert').slice(before);
    assert.deepEqual(
      calls.map((c) => c.args),
      f.service.actives.map((a) => [a.key, a.agentId]),
    );
  });

  /**
   * `revert --all` over three keys of agent 001 (listed newest first: 10.0.0.3 first) whose DELETE
   * of `failing` throws `error`; the other keys revert. Restores the service. What was printed,
   * noted and thrown; `deleted`: the keys DELETEd, sorted.
   */
  async function revertAllWith(
    failing: string,
    error: RiposteError,
    json = false,
  ): Promise<{ out: string; err: string; thrown: unknown; deleted: unknown[] }> {
    const saved = { actives: f.service.actives, revert: f.service.revert.bind(f.service) };
    f.service.actives = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) =>
      active(`firewall-drop-${ip}`, '001', ip),
    );
    // The API lists them from its index, fed by the agents' reports.
    f.service.emit({ type: 'active-list', agentId: '001', items: f.service.actives });
    f.service.revert = async (key, agentId) => {
      if (key === failing) {
        f.service.calls.push({ method: 'revert', args: [key, agentId] });
        throw error;
      }
      return saved.revert(key, agentId);
    };
    const before = f.service.callsOf('revert').length;
    printed = [];
    const noted: string[] = [];
    let thrown: unknown;
    try {
      await remoteArRevert(
        undefined,
        flags({ all: true, json, token: f.tokens.operator, err: (t: string) => void noted.push(t) }),
      );
    } catch (err: unknown) {
      thrown = err;
    } finally {
      f.service.actives = saved.actives;
      f.service.revert = saved.revert;
      f.service.emit({ type: 'active-list', agentId: '001', items: saved.actives });
    }
    const deleted = f.service
      .callsOf('revert')
      .slice(before)
      .map((c) => String(c.args[0]))
      .sort();
    return { out: printed.join(''), err: noted.join(''), thrown, deleted };
  }

  void test('ar revert --all goes on past a key gone meanwhile and notes it as already gone', async () => {
    const gone = new RiposteError(ErrorCode.RESPONSE_NOT_FOUND, 'no such active response');
    const r = await revertAllWith('firewall-drop-10.0.0.2', gone);
    assert.equal(r.thrown, undefined);
    assert.deepEqual(r.deleted, [
      'firewall-drop-10.0.0.1',
      'firewall-drop-10.0.0.2',
      'firewall-drop-10.0.0.3',
    ]);
    assert.match(r.out, /^AGENT\s+ORDER\s+KIND\s+KEY\s+STATE\n/);
    assert.match(r.out, /001\s+1\s+revert\s+firewall-drop-10\.0\.0\.1\s+queued\n/);
    assert.match(r.out, /001\s+1\s+revert\s+firewall-drop-10\.0\.0\.3\s+queued\n/);
    assert.equal(
      r.err,
      'Already gone (expired or reverted meanwhile): "firewall-drop-10.0.0.2" on agent 001\n',
    );
  });

  void test('ar revert --all tries every key after one that fails, prints what was queued, fails at the end', async () => {
    const full = new RiposteError(ErrorCode.STORE_FULL, 'Disk full: cannot record the revert');
    const r = await revertAllWith('firewall-drop-10.0.0.3', full, true);
    assert.deepEqual(r.deleted, [
      'firewall-drop-10.0.0.1',
      'firewall-drop-10.0.0.2',
      'firewall-drop-10.0.0.3',
    ]);
    const keys = r.out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { key: string }).key);
    assert.deepEqual(keys, ['firewall-drop-10.0.0.2', 'firewall-drop-10.0.0.1']);
    assert.match(r.err, /^Cannot revert "firewall-drop-10\.0\.0\.3" on agent 001: Disk full/);
    // The failure's own code, so its exit status (74 for STORE_FULL), not a generic one.
    assert.equal((r.thrown as RiposteError).code, ErrorCode.STORE_FULL);
    assert.equal(exitCodeFor(r.thrown), 74);
    assert.match(
      (r.thrown as Error).message,
      /^Cannot revert 1 of 3 active responses \(2 queued, 0 already gone\); first: "firewall-drop-10\.0\.0\.3" on agent 001: Disk full/,
    );
  });

  void test('ar run sends a Wazuh PUT with the validated alert and prints per-agent results', async () => {
    printed = [];
    await remoteArRun('firewall-drop600', flags({ agent: '001', srcip: '10.0.0.9' }));
    const req = f.service.callsOf('run').at(-1)?.args[0] as {
      command: string;
      agents: unknown;
      alert: unknown;
    };
    assert.deepEqual(req, {
      command: 'firewall-drop600',
      arguments: [],
      alert: { data: { srcip: '10.0.0.9' } },
      agents: ['001'],
    });
    assert.match(printed.join(''), /^AGENT\s+RESULT\s+MESSAGE\n001\s+sent\n/);
    await assert.rejects(remoteArRun('firewall-drop600', flags({ srcip: '10.0.0.999' })), {
      code: 'REQUEST_INVALID',
    });
  });

  void test('ar run sent to no agent prints the failures and fails', async () => {
    const saved = f.service.runResult;
    f.service.runResult = {
      data: {
        affected_items: [],
        total_affected_items: 0,
        failed_items: [
          { error: { code: 1707, message: 'Cannot send request, agent is not active' }, id: ['002'] },
        ],
        total_failed_items: 1,
      },
      message: 'AR command was not sent to any agent',
      error: 1,
    };
    printed = [];
    try {
      await assert.rejects(remoteArRun('firewall-drop600', flags({ agent: '002' })), {
        code: 'REQUEST_INVALID',
      });
      assert.match(printed.join(''), /002\s+failed 1707\s+Cannot send request, agent is not active/);
    } finally {
      f.service.runResult = saved;
    }
  });

  void test('API errors keep their code: no token, wrong role, unknown agent', async () => {
    await assert.rejects(remoteArList(flags({ token: 'ffffffffffff.AAAA' })), { code: 'AUTH_REQUIRED' });
    await assert.rejects(remoteArRevert('k', flags({ token: f.tokens.read })), { code: 'AUTH_FORBIDDEN' });
    await assert.rejects(remoteArRevert('nope', flags()), { code: 'RESPONSE_NOT_FOUND' });
  });

  void test('ar revert of an address names the active keys that end with it, and reverts nothing else', async () => {
    const before = f.service.callsOf('revert').length;
    await assert.rejects(remoteArRevert('10.0.0.1', flags()), (err: unknown) => {
      assert.equal((err as RiposteError).code, ErrorCode.RESPONSE_NOT_FOUND);
      assert.equal(exitCodeFor(err), 4);
      assert.equal(
        (err as Error).message,
        'Cannot revert "10.0.0.1": no such active response; did you mean firewall-drop-10.0.0.1 (agent 001)?',
      );
      return true;
    });
    assert.equal(f.service.callsOf('revert').length - before, 1, 'only the key as given was tried');
    await assert.rejects(remoteArRevert('0.0.1', flags()), (err: unknown) => {
      assert.equal(
        (err as Error).message,
        'Cannot revert "0.0.1": no such active response',
        'a partial address is no match',
      );
      return true;
    });
  });

  void test('a manager whose certificate is not from the pinned CA is unreachable', async () => {
    await assert.rejects(remoteArList(flags({ ca: otherCaFile })), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'DAEMON_UNREACHABLE');
      assert.match((err as Error).message, /Cannot reach the manager at https:\/\/127\.0\.0\.1/);
      return true;
    });
  });

  void test('connection settings: https only, a token required, env fallbacks, unreadable CA', () => {
    assert.throws(() => resolveRemoteTarget({ manager: 'http://x', token: 't' }, {}), {
      code: 'REQUEST_INVALID',
    });
    assert.throws(() => resolveRemoteTarget({ manager: 'https://x' }, {}), /RIPOSTE_TOKEN/);
    assert.throws(() => resolveRemoteTarget({}, {}), /RIPOSTE_URL/);
    assert.throws(
      () =>
        resolveRemoteTarget(
          { ca: path.join(dir, 'missing.pem') },
          { RIPOSTE_URL: 'https://m', RIPOSTE_TOKEN: 't' },
        ),
      /--ca/,
    );
    const t = resolveRemoteTarget(
      {},
      { RIPOSTE_URL: 'https://m:1/', RIPOSTE_TOKEN: ' tok\n', RIPOSTE_CA: caFile },
    );
    assert.equal(t.url.host, 'm:1');
    assert.equal(t.token, 'tok');
    assert.ok(t.ca?.toString().includes('BEGIN CERTIFICATE'));
  });
});
