/** The welcome's numberedThrough on a manager alone on its store (first-hellos.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FirstHellos } from '../../../src/manager/first-hellos.js';

describe('first hellos', () => {
  test("an agent's first welcome stops below the first order stored since the start", () => {
    const h = new FirstHellos();
    assert.equal(h.numberedThrough('001', 5), 5, 'nothing stored since: its counter');
    h.stored([
      { agentId: '001', seq: 4 },
      { agentId: '002', seq: 9 },
    ]);
    h.stored([
      { agentId: '001', seq: 5 },
      { agentId: '001', seq: 3 },
    ]);
    assert.equal(h.numberedThrough('001', 5), 2);
    assert.equal(h.numberedThrough('002', 9), 8);
    assert.equal(h.numberedThrough('003', 7), 7);
  });

  test('once welcomed, the counter: orders stored since may have gone out on its link', () => {
    const h = new FirstHellos();
    h.stored([{ agentId: '001', seq: 4 }]);
    h.welcome('001');
    assert.equal(h.numberedThrough('001', 5), 5);
    h.stored([{ agentId: '001', seq: 6 }]);
    assert.equal(h.numberedThrough('001', 6), 6);
  });
});
