'use strict';
// Limits per tenant seen from the client: a call over its tenant's request
// rate, or a stream over its tenant's stream limit, rejects with an
// OmnirouteError RESOURCE_EXHAUSTED whose retryDelay is the server's (the
// google.rpc.RetryInfo of the status details); other errors have none.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { OmnirouteError, email } = require('..');
const { retryDelayOf } = require('../lib/errors');
const { startServer, nextWithin } = require('./support/server');

const WAIT_MS = 10000;

// One request per ten seconds after a burst of two: a third call within the
// test is refused, and the delay it is told is between 5 and 10 seconds
// whatever the machine's speed.
let server;
before(async () => {
  server = await startServer({
    args: ['--tenant_requests_per_second=0.1', '--tenant_burst=2', '--tenant_max_streams=1'],
  });
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'the server stops cleanly on SIGTERM');
});

function mail(c, n, externalId = `<${n}@example.com>`) {
  return c.ingest({ channel: 'EMAIL', sender: email(`${n}@example.com`), externalId, body: n });
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof OmnirouteError, String(e));
    return e;
  }
  assert.fail('the call succeeded');
}

describe('limits per tenant', () => {
  it('gives a tenant over its rate the retry delay', async () => {
    const c = server.client('rate', { timeoutMs: WAIT_MS });
    try {
      await c.createTenant(); // The first of the burst's two.
      await mail(c, 'a1');
      const e = await rejection(mail(c, 'a2'));
      assert.equal(e.codeName, 'RESOURCE_EXHAUSTED', e.message);
      assert.match(e.details, /tenant "rate"/);
      assert.equal(typeof e.retryDelay, 'number');
      assert.ok(e.retryDelay > 5 && e.retryDelay <= 10, `retryDelay ${e.retryDelay}`);

      // Another tenant has its own bucket; an error of another kind has no delay.
      const other = server.client('rate-other', { timeoutMs: WAIT_MS });
      try {
        await other.createTenant();
        const invalid = await rejection(mail(other, 'b1', ''));
        assert.equal(invalid.codeName, 'INVALID_ARGUMENT');
        assert.equal(invalid.retryDelay, null);
      } finally {
        other.close();
      }
    } finally {
      c.close();
    }
  });

  it('gives a tenant holding its streams the retry delay', async () => {
    const c = server.client('streams', { timeoutMs: WAIT_MS });
    await c.createTenant();
    const first = c.watch({ fromSequence: 1 });
    try {
      const { value } = await nextWithin(first, WAIT_MS, 'the first event');
      assert.equal(String(value.sequence), '1');
      const second = c.watch({ fromSequence: 1 });
      const e = await rejection(nextWithin(second, WAIT_MS, 'the refusal'));
      assert.equal(e.codeName, 'RESOURCE_EXHAUSTED', e.message);
      assert.match(e.details, /open streams/);
      assert.equal(e.retryDelay, 1);
    } finally {
      first.cancel();
      c.close();
    }
  });

  it('reads no delay from metadata without one, or with damaged details', () => {
    const { Metadata } = require('@grpc/grpc-js');
    assert.equal(retryDelayOf(null), null);
    assert.equal(retryDelayOf(new Metadata()), null);
    const damaged = new Metadata();
    damaged.set('grpc-status-details-bin', Buffer.from([0x1a, 0x7f, 0x01]));
    assert.equal(retryDelayOf(damaged), null);
  });
});
