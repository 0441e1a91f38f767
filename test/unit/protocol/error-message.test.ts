import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage } from '../../../src/protocol/error-message.js';

class CustomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CustomError';
  }
}

void test('an Error gives its message, not its name or stack', () => {
  assert.equal(errorMessage(new Error('disk full')), 'disk full');
  assert.equal(errorMessage(new Error('')), '');
});

void test('an Error subclass gives its message', () => {
  assert.equal(errorMessage(new CustomError('bad input')), 'bad input');
  assert.equal(errorMessage(new TypeError('not a function')), 'not a function');
});

void test('anything else is String()ed', () => {
  assert.equal(errorMessage('plain text'), 'plain text');
  assert.equal(errorMessage(undefined), 'undefined');
  assert.equal(errorMessage(null), 'null');
  assert.equal(errorMessage(42), '42');
  assert.equal(errorMessage({ message: 'not an Error' }), '[object Object]');
  assert.equal(errorMessage({ toString: () => 'custom' }), 'custom');
});
