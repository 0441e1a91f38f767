/**
 * The API access ports (core/api-access-store.ts: tokens and audit) on both adapters, with two
 * store instances opened on one database (what two manager nodes hold): a token created through
 * one is verified, listed and revoked through the other; the audit rows of both are in one list.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiAccessStore } from '../../src/core/api-access-store.js';
import { mintApiToken, verifyApiToken } from '../../src/manager-api/api-tokens.js';
import type { AuditEntry } from '../../src/protocol/api-access.js';

/** Two fresh instances on one new, empty database (the suite closes both). */
export type MakeApiStores = () => Promise<readonly [ApiAccessStore, ApiAccessStore]>;

async function withStores(
  make: MakeApiStores,
  fn: (a: ApiAccessStore, b: ApiAccessStore) => Promise<void>,
): Promise<void> {
  const [a, b] = await make();
  try {
    await fn(a, b);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

const entry = (at: number, node: string): AuditEntry => ({
  at,
  tokenId: 'aaaaaaaaaaaa',
  tokenName: 'ci',
  role: 'operator',
  method: 'POST',
  path: `/orders/${node}`,
  status: 201,
  agents: '001,002',
  remote: '127.0.0.1',
});

export function apiAccessStoreContract(name: string, make: MakeApiStores): void {
  void describe(`API access store contract (${name}): two instances on one database`, () => {
    void test('a token minted through one is verified, listed and revoked through the other', async () => {
      await withStores(make, async (a, b) => {
        const minted = await mintApiToken(a.tokens, { name: 'ci', role: 'operator', now: 1000, ttlMs: 5000 });
        assert.deepEqual(await b.tokens.list(), [minted.record], 'listed without its hash');
        const seen = await verifyApiToken(b.tokens, minted.token, 2000);
        assert.equal(seen?.id, minted.record.id);
        assert.equal(seen.role, 'operator');
        assert.equal((await a.tokens.get(minted.record.id))?.lastUsedAt, 2000, 'use time shared');
        assert.equal(
          await verifyApiToken(b.tokens, minted.token.slice(0, -1), 2000),
          undefined,
          'wrong secret',
        );
        assert.equal(await verifyApiToken(b.tokens, minted.token, 6001), undefined, 'expired');
        assert.equal(await b.tokens.remove(minted.record.id), true);
        assert.equal(await b.tokens.remove(minted.record.id), false, 'already gone');
        assert.equal(await verifyApiToken(a.tokens, minted.token, 2000), undefined, 'revoked everywhere');
        assert.deepEqual(await a.tokens.list(), []);
      });
    });

    void test('tokens list oldest first; a token without expiry never expires', async () => {
      await withStores(make, async (a, b) => {
        const first = await mintApiToken(a.tokens, { name: 'first', role: 'admin', now: 10 });
        const second = await mintApiToken(b.tokens, { name: 'second', role: 'read', now: 20 });
        assert.deepEqual(
          (await a.tokens.list()).map((t) => [t.name, t.role, t.expiresAt]),
          [
            ['first', 'admin', undefined],
            ['second', 'read', undefined],
          ],
        );
        assert.equal((await verifyApiToken(a.tokens, first.token, 1e13))?.name, 'first');
        assert.equal((await verifyApiToken(a.tokens, second.token, 1e13))?.name, 'second');
      });
    });

    void test('revoke keeps the last admin token still valid; expired admin tokens do not count', async () => {
      await withStores(make, async (a, b) => {
        const kept = await mintApiToken(a.tokens, { name: 'admin', role: 'admin', now: 10 });
        const temp = await mintApiToken(b.tokens, { name: 'tmp', role: 'admin', now: 20, ttlMs: 1000 });
        const reader = await mintApiToken(a.tokens, { name: 'r', role: 'read', now: 30 });
        assert.equal(await b.tokens.revoke('0123456789ab', 500), 'unknown');
        assert.equal(await b.tokens.revoke(kept.record.id, 2000), 'last-admin', 'the other admin expired');
        assert.equal(await a.tokens.revoke(temp.record.id, 2000), 'revoked', 'an expired admin token goes');
        assert.equal(await a.tokens.revoke(reader.record.id, 2000), 'revoked');
        assert.deepEqual(
          (await b.tokens.list()).map((t) => t.name),
          ['admin'],
        );
      });
    });

    void test('two admin tokens revoked at once through two instances: one stays', async () => {
      await withStores(make, async (a, b) => {
        for (let round = 0; round < 5; round++) {
          const x = await mintApiToken(a.tokens, { name: `x${round}`, role: 'admin', now: 10 });
          const y = await mintApiToken(a.tokens, { name: `y${round}`, role: 'admin', now: 10 });
          const outcomes = await Promise.all([
            a.tokens.revoke(x.record.id, 50),
            b.tokens.revoke(y.record.id, 50),
          ]);
          assert.deepEqual([...outcomes].sort(), ['last-admin', 'revoked'], `round ${round}`);
          const left = (await a.tokens.list()).filter((t) => t.role === 'admin');
          assert.equal(left.length, 1);
          assert.equal(await a.tokens.remove(left[0]?.id ?? ''), true);
        }
      });
    });

    void test('audit rows appended through both are in one trail, most recent first', async () => {
      await withStores(make, async (a, b) => {
        await a.audit.append(entry(1, 'a'));
        await b.audit.append(entry(2, 'b'));
        await a.audit.append({
          at: 3,
          tokenId: undefined,
          tokenName: undefined,
          role: undefined,
          method: 'DELETE',
          path: '/tokens/x',
          status: 401,
          agents: undefined,
          remote: undefined,
        });
        const all = await b.audit.list(10);
        assert.deepEqual(
          all.map((e) => [e.at, e.path]),
          [
            [3, '/tokens/x'],
            [2, '/orders/b'],
            [1, '/orders/a'],
          ],
        );
        assert.deepEqual(all[1], entry(2, 'b'), 'every field kept');
        assert.deepEqual(all[0], {
          at: 3,
          tokenId: undefined,
          tokenName: undefined,
          role: undefined,
          method: 'DELETE',
          path: '/tokens/x',
          status: 401,
          agents: undefined,
          remote: undefined,
        });
        assert.equal((await a.audit.list(2)).length, 2, 'limit');
      });
    });

    void test('prune deletes entries before the cutoff, oldest first, at most `limit` a call', async () => {
      await withStores(make, async (a, b) => {
        // Appended out of time order (two nodes' clocks): the time decides, not the append order.
        for (const at of [40, 10, 30, 20, 50, 60]) {
          await (at % 20 === 0 ? a : b).audit.append(entry(at, String(at)));
        }
        assert.equal(await a.audit.prune(45, 2), 2, 'a full chunk');
        assert.deepEqual(
          (await b.audit.list(10)).map((e) => e.at),
          [60, 50, 30, 40],
          'the two oldest went (10, 20); the others are listed in append order, newest first',
        );
        assert.equal(await b.audit.prune(45, 2), 2, '30 and 40');
        assert.equal(await a.audit.prune(45, 2), 0, 'nothing older is left');
        assert.deepEqual(
          (await a.audit.list(10)).map((e) => e.at),
          [60, 50],
          'entries at or after the cutoff are kept',
        );
      });
    });
  });
}
