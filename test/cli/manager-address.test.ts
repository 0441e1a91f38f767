/** `--manager` forms (issue #9 item 3): HOST, HOST:PORT, [IPv6]:PORT or an https URL, everywhere. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { managerHostPort, managerUrl } from '../../src/cli/manager-address.js';
import { resolveRemoteTarget } from '../../src/cli/remote-client.js';

void describe('--manager', () => {
  const cases: readonly (readonly [string, string, string, number])[] = [
    ['127.0.0.1', 'https://127.0.0.1:1515/', '127.0.0.1', 1515],
    ['manager.example:8443', 'https://manager.example:8443/', 'manager.example', 8443],
    ['[::1]:1516', 'https://[::1]:1516/', '::1', 1516],
    ['https://127.0.0.1:1515', 'https://127.0.0.1:1515/', '127.0.0.1', 1515],
    ['https://proxy.example', 'https://proxy.example/', 'proxy.example', 443],
  ];
  for (const [text, url, host, port] of cases) {
    void test(`${text} -> ${url}`, () => {
      assert.equal(managerUrl(text).href, url);
      assert.deepEqual(managerHostPort(text), { host, port });
    });
  }

  void test('other forms are refused with the accepted ones', () => {
    for (const bad of ['http://127.0.0.1:1515', '::1', 'a b', '127.0.0.1:99999', 'https://']) {
      assert.throws(
        () => managerUrl(bad),
        /Accepted: HOST, HOST:PORT, \[IPv6\]:PORT or https:\/\/HOST\[:PORT\]/,
        bad,
      );
    }
  });

  void test('the API client takes the same forms (flag or RIPOSTE_URL)', () => {
    const env = { RIPOSTE_TOKEN: 't' };
    assert.equal(resolveRemoteTarget({ manager: '127.0.0.1' }, env).url.href, 'https://127.0.0.1:1515/');
    assert.equal(
      resolveRemoteTarget({}, { ...env, RIPOSTE_URL: '10.0.0.5:1600' }).url.href,
      'https://10.0.0.5:1600/',
    );
    assert.throws(
      () => resolveRemoteTarget({}, { ...env, RIPOSTE_URL: 'http://x' }),
      /^Error|RIPOSTE_URL: "http:\/\/x"/,
    );
  });
});
