/** The cluster's clock (cluster-clock.ts): the database's time as a node reads it at its lease renews. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterClock, KEEP_MS, SKEW_WARN_MS, skewNews } from '../../../src/cluster/cluster-clock.js';

const HOUR = 3_600_000;
/** The database's clock in these tests (epoch ms): 2026-12-04 12:00 UTC. */
const DB_EPOCH = Date.UTC(2026, 11, 4, 12);

/** A clock whose monotonic and wall clocks the test moves by hand. */
function fakeClock(wallAheadMs: number): {
  clock: ClusterClock;
  t: { mono: number; wall: number };
  advance: (ms: number) => void;
} {
  const t = { mono: 1_000, wall: DB_EPOCH + wallAheadMs };
  const clock = new ClusterClock({ mono: () => t.mono, wall: () => t.wall });
  return {
    clock,
    t,
    advance: (ms) => {
      t.mono += ms;
      t.wall += ms;
    },
  };
}

test('before any reading it is the node’s own wall clock; after one, the database’s, counted on by the monotonic clock', () => {
  const { clock, t, advance } = fakeClock(HOUR);
  assert.equal(clock.status(), undefined, 'no reading yet');
  assert.equal(clock.now(), DB_EPOCH + HOUR);
  assert.equal(clock.skewMs(), 0, 'nothing to compare with yet');
  // A statement sent at mono 1000, answered at 1010: the database read DB_EPOCH + 5 meanwhile.
  clock.observe(t.mono, DB_EPOCH + 5, t.mono + 10);
  advance(10);
  assert.notEqual(clock.status(), undefined, 'a reading in use');
  assert.equal(clock.now(), DB_EPOCH + 10, 'the midpoint of the round trip is the reading’s moment');
  assert.equal(clock.status()?.uncertaintyMs, 5);
  assert.equal(clock.skewMs(), HOUR, 'the node runs an hour ahead');
  assert.deepEqual(clock.status(), { skewMs: HOUR, uncertaintyMs: 5 });
  advance(60_000);
  assert.equal(clock.now(), DB_EPOCH + 60_010);
});

test('a step of the node’s wall clock changes nothing once synced (the monotonic clock counts on)', () => {
  const { clock, t, advance } = fakeClock(0);
  clock.observe(t.mono, DB_EPOCH, t.mono);
  t.wall -= 2 * HOUR; // an operator's `date -s`, an NTP step
  advance(1_000);
  assert.equal(clock.now(), DB_EPOCH + 1_000);
  assert.equal(clock.skewMs(), -2 * HOUR);
});

test('the reading with the shortest round trip is counted from; a late answer never replaces it', () => {
  const { clock, t, advance } = fakeClock(0);
  // A good reading: 2 ms round trip, the database at DB_EPOCH + 1 at its midpoint.
  clock.observe(t.mono, DB_EPOCH + 1, t.mono + 2);
  advance(2_000);
  // A renew stuck behind a busy event loop: sent at mono 3000, answered 400 ms later; the database
  // read it 1 ms after sending, so its midpoint estimate would be 199 ms early.
  const sent = t.mono;
  clock.observe(sent, DB_EPOCH + 2_001, sent + 400);
  advance(400);
  assert.equal(clock.now(), DB_EPOCH + 2_400, 'still counted from the 2 ms reading');
  assert.equal(clock.status()?.uncertaintyMs, 1);
  // A better one replaces it (here the database's clock was stepped 50 ms forward meanwhile).
  clock.observe(t.mono, DB_EPOCH + 2_450, t.mono);
  assert.equal(clock.now(), DB_EPOCH + 2_450);
  assert.equal(clock.status()?.uncertaintyMs, 0);
});

test(`a reading is kept ${KEEP_MS / 1000} s: then the best of the newer ones is used (a database clock step is followed)`, () => {
  const { clock, t, advance } = fakeClock(0);
  clock.observe(t.mono, DB_EPOCH, t.mono + 2);
  advance(2);
  // Every 2 s a worse reading (20 ms round trip) of a database clock stepped 5 s ahead.
  for (let i = 0; i < KEEP_MS / 2_000; i++) {
    advance(2_000);
    clock.observe(t.mono - 20, DB_EPOCH + 5_000 + (t.mono - 10 - 1_001), t.mono);
  }
  const ahead = clock.now() - (DB_EPOCH + (t.mono - 1_001));
  assert.equal(ahead, 5_000, 'the first reading aged out: the stepped clock is followed');
  assert.equal(clock.status()?.uncertaintyMs, 10);
});

test('readings that cannot be right are ignored: not a finite time, answered before sent', () => {
  const { clock, t } = fakeClock(HOUR);
  clock.observe(t.mono, Number.NaN, t.mono + 1);
  clock.observe(t.mono, Number.POSITIVE_INFINITY, t.mono + 1);
  clock.observe(t.mono, DB_EPOCH, t.mono - 1);
  assert.equal(clock.status(), undefined);
  assert.equal(clock.now(), DB_EPOCH + HOUR);
});

test('skew news: a warning from 2 s off (again only when it moved by 1 s or more), a note when back within 1 s', () => {
  assert.equal(skewNews(0, undefined), undefined);
  assert.equal(skewNews(SKEW_WARN_MS - 1, undefined), undefined);
  const ahead = skewNews(HOUR, undefined);
  assert.deepEqual(ahead, {
    text:
      "This node's clock is 3600.0 s ahead of the database's; order and agent times use the " +
      'database clock (sync this host with NTP).',
    warn: true,
    warnedAt: HOUR,
  });
  assert.equal(skewNews(HOUR + 999, HOUR), undefined, 'about as far off: told once');
  assert.equal(skewNews(HOUR + 1_000, HOUR)?.warnedAt, HOUR + 1_000);
  assert.match(skewNews(-2_500, undefined)?.text ?? '', /is 2\.5 s behind the database's/);
  assert.equal(skewNews(1_500, -2_500), undefined, 'between the two bounds: nothing new');
  assert.deepEqual(skewNews(999, -2_500), {
    text: "This node's clock agrees with the database's again.",
    warn: false,
    warnedAt: undefined,
  });
  assert.equal(skewNews(999, undefined), undefined);
});
