'use strict';
// Several addresses and retries, against real omniroute-servers: an address
// that refuses connections before a live server; a proxy that drops the
// connection after the server handled a call (its outcome unknown to the
// client) or under a stream; a cluster of two nodes (tools/cluster.sh,
// PostgreSQL 15): a client given the non-owner's address only, and the change
// feed across a node killed with SIGKILL. The cluster tests fail without
// PostgreSQL 15 ($PG_BIN, default /usr/lib/postgresql/15/bin).

const { describe, it, before, after, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { Client, OmnirouteError, email, agent } = require('..');
const { startServer, nextWithin } = require('./support/server');
const { waitFor, refusedAddress, missingUnixSocket, DroppingProxy, startCluster, postgresMissing } = require('./support/faults');

const WAIT_MS = 10000;
let names = 0;
function tenantName(prefix) {
  names += 1;
  return `${prefix}-${process.pid}-${names}`;
}

// The events of `stream` up to and including sequence `last`.
async function readThrough(stream, last, timeoutMs) {
  const got = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length === 0 || BigInt(got[got.length - 1].sequence) < BigInt(last)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`the stream did not reach sequence ${last} within ${timeoutMs} ms`);
    const { value, done } = await nextWithin(stream, left, `event ${last}`);
    assert.equal(done, false, 'the stream ended');
    got.push(value);
  }
  return got;
}

function sequencesOf(events) {
  return events.map((e) => Number(e.sequence));
}

function oneToN(n) {
  return Array.from({ length: n }, (_, i) => i + 1);
}

async function rejectsWith(promise, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof OmnirouteError, e);
    assert.equal(e.codeName, code, e.message);
    return e;
  }
  throw new Error(`expected ${code}`);
}

describe('several addresses', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    if (server) await server.stop();
  });

  it('takes a list, or one string with commas', async () => {
    const a = await refusedAddress();
    const b = server.address;
    for (const target of [[a, b], `${a}, ${b}`, `${a},${b},${a}`]) {
      const c = new Client(target);
      assert.deepEqual([...c.addresses], [a, b]);
      c.close();
    }
    assert.throws(() => new Client([]), TypeError);
    assert.throws(() => new Client(' , '), TypeError);
    assert.throws(() => new Client([a, 5]), TypeError);
    assert.throws(() => new Client(a, { retry: { initialBackoffMs: 0 } }), RangeError);
    assert.throws(() => new Client(a, { retry: { often: true } }), TypeError);
  });

  it('skips addresses that refuse connections', async () => {
    const tenant = tenantName('refused');
    const c = new Client([await refusedAddress(), missingUnixSocket(), server.address], { tenant, timeoutMs: WAIT_MS });
    try {
      await c.createTenant(); // not idempotent: retried because nothing was sent
      const r = await c.ingest({ channel: 'EMAIL', sender: email('a@example.com'), externalId: '<m1@example.com>', body: 'Hello' });
      assert.equal(r.duplicate, false);
      const linked = await c.linkIdentity({ customerId: r.customerId, identity: email('b@example.com'), actor: agent('ana') });
      assert.equal(linked.customerId, r.customerId);
      const stream = c.watch({ fromSequence: 1 });
      const got = await readThrough(stream, await c.lastSequence(), WAIT_MS);
      assert.deepEqual(sequencesOf(got), oneToN(got.length));
      assert.equal(stream.address, server.address);
      stream.cancel();
      const other = c.forTenant(tenantName('refused-b'));
      await other.createTenant();
      assert.equal(await other.lastSequence(), '1');
    } finally {
      c.close();
    }
  });

  it('waits for any address to be ready', async () => {
    const c = new Client([await refusedAddress(), server.address]);
    await c.waitForReady(WAIT_MS);
    c.close();
    const none = new Client([await refusedAddress(), missingUnixSocket()]);
    await rejectsWith(none.waitForReady(300), 'DEADLINE_EXCEEDED');
    none.close();
  });

  it('fails on the first address without retries', async () => {
    const c = new Client([await refusedAddress(), server.address], { retry: false });
    const e = await rejectsWith(c.ping(), 'UNAVAILABLE');
    assert.equal(e.outcomeUnknown, false);
    c.close();
  });

  it('ends its retries within the timeout', async () => {
    const c = new Client([await refusedAddress(), missingUnixSocket()], {
      tenant: 't',
      timeoutMs: 500,
      retry: { initialBackoffMs: 10, maxBackoffMs: 50 },
    });
    const start = Date.now();
    const e = await rejectsWith(c.lastSequence(), 'UNAVAILABLE');
    assert.ok(Date.now() - start < 2000, `${Date.now() - start} ms`);
    assert.match(e.details, /gave up after/);
    c.close();
  });
});

describe('a connection dropped after the server handled the call', () => {
  let server;
  let proxy;
  let c;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    if (server) await server.stop();
  });
  beforeEach(async () => {
    proxy = await DroppingProxy.start(server.address);
    c = new Client(proxy.address, { tenant: tenantName('drop'), timeoutMs: WAIT_MS });
    await c.createTenant();
  });
  afterEach(() => {
    c.close();
    proxy.close();
  });

  const ingest = (externalId, from = 'a@example.com') =>
    c.ingest({ channel: 'EMAIL', sender: email(from), externalId, body: 'Hello' });

  it('retries an ingest, stored once', async () => {
    proxy.dropNextAnswer();
    const r = await ingest('<m1@example.com>');
    assert.equal(proxy.dropped, 1);
    assert.equal(r.duplicate, true, 'the dropped attempt stored it; the retry found it');
    assert.equal((await c.getConversation(r.conversationId)).messageCount, 1);
  });

  it('does not repeat a link whose answer was lost', async () => {
    const r = await ingest('<m1@example.com>');
    proxy.dropNextAnswer();
    const e = await rejectsWith(c.linkIdentity({ customerId: r.customerId, identity: email('b@example.com'), actor: agent('ana') }), 'UNAVAILABLE');
    assert.equal(e.outcomeUnknown, true);
    assert.match(e.message, /may have been applied/);
    assert.equal((await c.findCustomer(email('b@example.com'))).customerId, r.customerId, 'applied, once');
  });

  it('does not repeat a commitment whose answer was lost', async () => {
    const r = await ingest('<m1@example.com>');
    proxy.dropNextAnswer();
    const e = await rejectsWith(
      c.recordCommitment({ conversationId: r.conversationId, kind: 'CALLBACK', dueAt: new Date(Date.now() + 3600000), actor: agent('ana') }),
      'UNAVAILABLE',
    );
    assert.equal(e.outcomeUnknown, true);
    assert.equal((await c.listCommitments(r.conversationId)).length, 1);
  });

  it('retries an answer with an external id and finds its id', async () => {
    const r = await ingest('<m1@example.com>');
    proxy.dropNextAnswer();
    const answer = { conversationId: r.conversationId, channel: 'EMAIL', externalId: '<a1@brand.example>', body: 'Hi' };
    const messageId = await c.recordOutbound(answer);
    assert.equal(proxy.dropped, 1);
    const outbound = (await c.timeline(r.conversationId)).filter((e) => e.entry === 'message' && e.message.direction === 'OUTBOUND');
    assert.deepEqual(outbound.map((e) => e.message.messageId), [messageId]);
    const e = await rejectsWith(c.recordOutbound(answer), 'ALREADY_EXISTS');
    assert.equal(e.outcomeUnknown, false);
  });

  it('resumes the change feed after a drop without gap or repeat', async () => {
    const stream = c.watch({ fromSequence: 1 });
    for (let i = 0; i < 3; i += 1) await ingest(`<a${i}@x>`);
    const got = await readThrough(stream, await c.lastSequence(), WAIT_MS);
    proxy.dropConnections();
    for (let i = 0; i < 3; i += 1) await ingest(`<b${i}@x>`);
    got.push(...(await readThrough(stream, await c.lastSequence(), WAIT_MS)));
    assert.ok(stream.reconnects >= 1);
    stream.cancel();
    assert.deepEqual(sequencesOf(got), oneToN(got.length));
  });

  it('subscribes to the offers again without repeating an open offer', async () => {
    await c.upsertQueue({ queueId: 'care', channels: ['EMAIL'] });
    await c.configureRouting({ defaultQueueId: 'care' });
    await c.upsertAgent({ agentId: 'ana', channels: ['EMAIL'] });
    await c.setPresence({ agentId: 'ana', presence: 'AVAILABLE' });
    const offers = c.offers('ana');
    const first = await ingest('<m1@x>');
    const { value: update } = await nextWithin(offers, WAIT_MS, 'the first offer');
    assert.deepEqual([update.kind, update.task.taskId], ['OFFERED', first.task.taskId]);
    proxy.dropConnections();
    await waitFor(() => offers.reconnects >= 1, WAIT_MS, 'the offer stream reconnects');
    // The first offer is still open: the new subscription sends it among the
    // pending ones, and the stream drops it.
    const second = await ingest('<m2@x>', 'b@example.com');
    const seen = [];
    while (!seen.some((u) => u.kind === 'OFFERED' && u.task.taskId === second.task.taskId)) {
      seen.push((await nextWithin(offers, WAIT_MS, 'the second offer')).value);
    }
    offers.cancel();
    assert.ok(!seen.some((u) => u.kind === 'OFFERED' && u.task.taskId === first.task.taskId), JSON.stringify(seen));
    assert.equal((await c.acceptOffer({ taskId: first.task.taskId, agentId: 'ana' })).status, 'ASSIGNED');
  });
});

// Two nodes on one PostgreSQL, lease 1 s; `forward`: whether they forward
// calls for the tenants they do not serve. Each test stays under 60 s.
function clusterSuite(forward) {
  const state = { cluster: null, started: 0 };
  beforeEach(async () => {
    state.started = Date.now();
    const missing = postgresMissing();
    if (missing) throw new Error(`${missing}: the cluster tests need it (bash tools/install-deps.sh)`);
    const serverArgs = forward ? [] : ['--forward=false'];
    state.cluster = await startCluster({ nodes: 2, leaseMs: 1000, serverArgs });
  });
  afterEach(async () => {
    if (state.cluster) await state.cluster.stop();
    state.cluster = null;
    assert.ok(Date.now() - state.started < 60000, `the test took ${Date.now() - state.started} ms`);
  });
  return state;
}

// The address of the one node that holds `tenant` (GetNodeStatus), or null.
async function holderOf(cluster, tenant) {
  const holders = [];
  for (const address of cluster.all) {
    const c = new Client(address, { retry: false });
    try {
      const stub = c.connection_.endpoint(address).stubs.DiagnosticsService;
      const status = await new Promise((resolve, reject) =>
        stub.GetNodeStatus({}, { deadline: Date.now() + 2000 }, (e, r) => (e ? reject(e) : resolve(r))),
      );
      if (status.heldTenantIds.includes(tenant)) holders.push(address);
    } finally {
      c.close();
    }
  }
  return holders.length === 1 ? holders[0] : null;
}

// The address of the node that serves `tenant`, once both nodes agree: the
// owner answers, the other refuses naming it.
function ownerOf(cluster, tenant) {
  return waitFor(
    async () => {
      const answers = new Map();
      for (const address of cluster.all) {
        const c = new Client(address, { tenant, retry: false, timeoutMs: 2000 });
        try {
          await c.lastSequence();
          answers.set(address, 'serves');
        } catch (e) {
          answers.set(address, e.details);
        } finally {
          c.close();
        }
      }
      const serving = cluster.all.filter((a) => answers.get(a) === 'serves');
      if (serving.length !== 1) return null;
      const others = cluster.all.filter((a) => a !== serving[0]);
      return others.every((a) => answers.get(a).includes(serving[0])) ? serving[0] : null;
    },
    20000,
    `one node serves ${tenant} and the other names it`,
  );
}

// The change feed read through the SIGKILL of the tenant's owner (found by
// findOwner once the tenant exists): every sequence once.
async function watchAcrossAKill(cluster, tenant, findOwner) {
  const c = new Client(cluster.all, { tenant, timeoutMs: 20000 });
  try {
    await c.createTenant();
    const owner = await findOwner();
    const ingest = (externalId) => c.ingest({ channel: 'EMAIL', sender: email('a@example.com'), externalId, body: 'b' });
    for (let i = 0; i < 3; i += 1) await ingest(`<before${i}@x>`);
    const stream = c.watch({ fromSequence: 1 });
    const got = await readThrough(stream, await c.lastSequence(), WAIT_MS);
    const before = stream.address;

    cluster.kill(cluster.nodeOf(owner));
    const killed = Date.now();
    // Retried until the survivor takes the tenant (lease 1 s).
    for (let i = 0; i < 3; i += 1) await ingest(`<after${i}@x>`);
    const failoverMs = Date.now() - killed;
    got.push(...(await readThrough(stream, await c.lastSequence(), 30000)));
    const after = stream.address;
    const { reconnects } = stream;
    stream.cancel();
    assert.deepEqual(sequencesOf(got), oneToN(got.length), 'no gap and no repeat across the kill');
    assert.notEqual(after, owner);
    const customer = await c.findCustomer(email('a@example.com'));
    assert.equal((await c.getConversation(customer.conversationIds[0])).messageCount, 6);
    assert.ok(failoverMs < 20000, `${failoverMs} ms`);
    return { owner, before, after, reconnects };
  } finally {
    c.close();
  }
}

describe('a cluster of two nodes that do not forward calls', () => {
  const state = clusterSuite(false);

  it('a client given only the non-owner follows the owner hint', async () => {
    const { cluster } = state;
    const tenant = tenantName('hint');
    const both = new Client(cluster.all, { tenant, timeoutMs: 20000 });
    await both.createTenant();
    both.close();
    const owner = await ownerOf(cluster, tenant);
    const other = cluster.all.find((a) => a !== owner);

    // Without retries the non-owner refuses, naming the owner.
    const plain = new Client(other, { tenant, retry: false });
    const refusal = await rejectsWith(plain.lastSequence(), 'UNAVAILABLE');
    assert.ok(refusal.details.includes(owner), refusal.details);
    plain.close();

    const c = new Client(other, { tenant, timeoutMs: 20000 });
    try {
      const r = await c.ingest({ channel: 'EMAIL', sender: email('a@example.com'), externalId: '<m1@x>', body: 'Hello' });
      // Not idempotent, refused with the hint before being applied: retried
      // on the owner, recorded once.
      await c.recordCommitment({ conversationId: r.conversationId, kind: 'CALLBACK', dueAt: new Date(Date.now() + 3600000), actor: agent('ana') });
      assert.equal((await c.listCommitments(r.conversationId)).length, 1);
      const stream = c.watch({ fromSequence: 1 });
      const got = await readThrough(stream, await c.lastSequence(), WAIT_MS);
      assert.equal(stream.address, owner);
      stream.cancel();
      assert.deepEqual(sequencesOf(got), oneToN(got.length));
    } finally {
      c.close();
    }

    // A fresh client whose first call is a stream finds the owner too.
    const fresh = new Client(other, { tenant, timeoutMs: 20000 });
    const stream = fresh.watch({ fromSequence: 1 });
    assert.equal((await nextWithin(stream, WAIT_MS, 'the first event')).value.sequence, '1');
    assert.equal(stream.address, owner);
    fresh.close();

    // Tenants created through one node land where they are placed.
    const viaOne = new Client(other, { timeoutMs: 20000 });
    for (let i = 0; i < 4; i += 1) {
      const t = viaOne.forTenant(tenantName('placed'));
      await t.createTenant();
      assert.equal(await t.lastSequence(), '1');
    }
    viaOne.close();
  });

  it('resumes the change feed on the other node after the owner is killed', async () => {
    const { cluster } = state;
    const tenant = tenantName('kill');
    const { owner, before, after, reconnects } = await watchAcrossAKill(cluster, tenant, () => ownerOf(cluster, tenant));
    // The stream read from the owner (the client followed its hint), then
    // from the survivor.
    assert.equal(before, owner);
    assert.equal(after, cluster.all.find((a) => a !== owner));
    assert.ok(reconnects >= 1);
  });
});

describe('a cluster of two nodes that forward calls', () => {
  const state = clusterSuite(true);

  it('resumes the change feed after the owner is killed, the stream relayed or not', async () => {
    const { cluster } = state;
    const tenant = tenantName('kill-fw');
    await watchAcrossAKill(cluster, tenant, () => waitFor(() => holderOf(cluster, tenant), 20000, `one node holds ${tenant}`));
  });
});
