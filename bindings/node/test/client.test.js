'use strict';
// The client against a real omniroute-server: ingest, identity links and
// merges, the timeline, an offer accepted through the offer stream, the
// change feed resumed from a sequence number, queue and agent statistics
// (and their stream), and bad requests.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { OmnirouteError, Status, email, handle, agent } = require('..');
const { startServer, newTenant, nextWithin } = require('./support/server');

const STREAM_WAIT_MS = 10000;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'the server stops cleanly on SIGTERM');
});

// A queue for the social and email channels and one available agent.
async function withAgent(c, agentId = 'ana') {
  const channels = ['PUBLIC_SOCIAL', 'PRIVATE_SOCIAL', 'EMAIL'];
  await c.upsertQueue({ queueId: 'support', channels });
  await c.configureRouting({ defaultQueueId: 'support' });
  await c.upsertAgent({ agentId, displayName: 'Ana', channels });
  await c.setPresence({ agentId, presence: 'AVAILABLE' });
}

describe('ingest', () => {
  it('creates the customer, opens a conversation and recognises a redelivery', async () => {
    const c = await newTenant(server, 'ingest');
    const first = await c.ingest({
      channel: 'EMAIL',
      sender: email('  Parent@Example.COM '),
      externalId: '<m1@example.com>',
      body: 'The jar was spoiled.',
    });
    assert.equal(first.customerCreated, true);
    assert.equal(first.outcome, 'OPENED');
    assert.equal(first.duplicate, false);
    assert.match(first.customerId, /^[1-9]\d*$/, 'ids are decimal strings');
    assert.equal(first.task.status, 'WAITING');
    assert.equal(first.task.queueId, '', 'no queue is configured: the task waits unrouted');
    assert.equal(first.task.offer, null, 'a message field that is not set is null');

    const again = await c.ingest({
      channel: 'EMAIL',
      sender: email('parent@example.com'),
      externalId: '<m1@example.com>',
      body: 'The jar was spoiled.',
    });
    assert.equal(again.duplicate, true);
    assert.equal(again.messageId, first.messageId);

    const second = await c.ingest({
      channel: 'EMAIL',
      sender: email('parent@example.com'),
      externalId: '<m2@example.com>',
      body: 'Photo attached.',
    });
    assert.equal(second.outcome, 'JOINED_BY_CONTINUITY');
    assert.equal(second.conversationId, first.conversationId);
    assert.equal(second.customerCreated, false);

    const customer = await c.findCustomer(email('PARENT@example.com'));
    assert.equal(customer.customerId, first.customerId);
    assert.deepEqual(customer.identities, [{ kind: 'EMAIL', network: '', value: 'parent@example.com' }]);
    assert.deepEqual(customer.conversationIds, [first.conversationId]);
    assert.ok(customer.createdAt instanceof Date);

    const conversation = await c.getConversation(first.conversationId);
    assert.equal(conversation.messageCount, 2);
    assert.equal(conversation.status, 'OPEN');
    assert.equal(conversation.firstChannel, 'EMAIL');
  });

  it('routes the message to the available agent as an offer', async () => {
    const c = await newTenant(server, 'routed');
    await withAgent(c);
    const r = await c.ingest({ channel: 'PUBLIC_SOCIAL', sender: handle('x', '@Someone'), externalId: 'p-1', body: 'Hi' });
    assert.equal(r.task.status, 'OFFERED');
    assert.equal(r.task.reason, 'INBOUND');
    assert.equal(r.task.queueId, 'support');
    assert.equal(r.task.offer.agentId, 'ana');
    assert.ok(r.task.offer.expiresAt > r.task.offer.offeredAt);
  });
});

describe('link identity and merge', () => {
  it('merges the customer who owned the identity into the older one, and unmerge restores it', async () => {
    const c = await newTenant(server, 'merge');
    const post = await c.ingest({
      channel: 'PUBLIC_SOCIAL',
      sender: handle('x', '@BabyParent'),
      externalId: 'post-1',
      body: 'Spoiled jar, see photo.',
    });
    const mail = await c.ingest({
      channel: 'EMAIL',
      sender: email('parent@example.com'),
      externalId: '<complaint@example.com>',
      body: 'Complaint about a spoiled jar.',
    });
    assert.notEqual(post.customerId, mail.customerId);

    const link = await c.linkIdentity({
      customerId: post.customerId,
      identity: email('Parent@Example.com'),
      actor: agent('community-manager'),
    });
    assert.equal(link.customerId, post.customerId, 'the older customer survives');
    assert.equal(link.absorbedCustomerId, mail.customerId);
    assert.deepEqual(link.mergedThreads, [
      { targetConversationId: post.conversationId, sourceConversationId: mail.conversationId },
    ]);

    const survivor = await c.getCustomer(post.customerId);
    assert.deepEqual(
      survivor.identities.map((i) => `${i.kind}:${i.network}:${i.value}`).sort(),
      ['EMAIL::parent@example.com', 'SOCIAL_HANDLE:x:babyparent'],
    );
    const absorbed = await c.getCustomer(mail.customerId);
    assert.equal(absorbed.mergedIntoCustomerId, post.customerId);
    assert.equal((await c.findCustomer(email('parent@example.com'))).customerId, post.customerId);

    const thread = await c.timeline(post.conversationId);
    assert.deepEqual(
      thread.map((e) => e.message.externalId),
      ['post-1', '<complaint@example.com>'],
      'one thread holds the post and the email',
    );

    await c.unmergeCustomer({ customerId: mail.customerId, actor: agent('supervisor') });
    const restored = await c.getCustomer(mail.customerId);
    assert.equal(restored.mergedIntoCustomerId, '0');
    assert.deepEqual(restored.identities, [{ kind: 'EMAIL', network: '', value: 'parent@example.com' }]);
    assert.equal((await c.findCustomer(email('parent@example.com'))).customerId, mail.customerId);
    assert.deepEqual(
      (await c.timeline(post.conversationId)).map((e) => e.message.externalId),
      ['post-1'],
    );
  });

  it('mergeCustomers merges two customers explicitly', async () => {
    const c = await newTenant(server, 'explicit');
    const a = await c.ingest({ channel: 'EMAIL', sender: email('a@example.com'), externalId: 'a-1', body: 'a' });
    const b = await c.ingest({ channel: 'SMS', sender: { kind: 'PHONE', value: '+33 6 12 34 56 78' }, externalId: 'b-1', body: 'b' });
    const merged = await c.mergeCustomers({ customerId: b.customerId, otherCustomerId: a.customerId, actor: agent('ana') });
    assert.equal(merged.customerId, a.customerId, 'the older customer survives whichever is named first');
    assert.equal(merged.absorbedCustomerId, b.customerId);
    const phoneOwner = await c.findCustomer({ kind: 'PHONE', value: '+33612345678' });
    assert.equal(phoneOwner.customerId, a.customerId);
  });
});

describe('erasure and export', () => {
  it('eraseCustomer erases what was merged into the customer; exportCustomer then gives the erasure only', async () => {
    const c = await newTenant(server, 'erase');
    const post = await c.ingest({ channel: 'PUBLIC_SOCIAL', sender: handle('x', '@node_erased'), externalId: 'n-post-1', body: 'node-erased-body' });
    const mail = await c.ingest({ channel: 'EMAIL', sender: email('node.erased@example.com'), externalId: '<n1@example.com>', body: 'node-erased-mail' });
    const kept = await c.ingest({ channel: 'EMAIL', sender: email('node.kept@example.com'), externalId: '<n2@example.com>', body: 'node-kept-body' });
    for (const r of [post, mail, kept]) if (r.task) await c.abandonTask(r.task.taskId);
    await c.linkIdentity({ customerId: post.customerId, identity: email('node.erased@example.com'), actor: agent('cm') });

    await assert.rejects(c.eraseCustomer({ customerId: mail.customerId, actor: agent('dpo') }), (e) => {
      assert.equal(e.code, Status.FAILED_PRECONDITION);
      assert.match(e.message, new RegExp(`customer/${post.customerId}`));
      return true;
    });
    await c.eraseCustomer({ customerId: post.customerId, actor: agent('dpo') });
    await c.eraseCustomer({ customerId: post.customerId, actor: agent('dpo') });

    for (const id of [post.customerId, mail.customerId]) {
      const customer = await c.getCustomer(id);
      assert.equal(customer.erased, true);
      assert.deepEqual(customer.identities, []);
      const records = [];
      for await (const r of c.exportCustomer(id)) records.push(r);
      assert.deepEqual(records.map((r) => r.record), ['erasure']);
      assert.equal(records[0].erasure.customerId, post.customerId);
      assert.deepEqual(records[0].erasure.erasedWithCustomerIds, [mail.customerId]);
    }
    const bodies = (await c.timeline(post.conversationId)).filter((e) => e.message).map((e) => e.message.body);
    assert.ok(bodies.length > 0);
    assert.deepEqual([...new Set(bodies)], ['']);

    const records = [];
    for await (const r of c.exportCustomer(kept.customerId)) records.push(r);
    assert.deepEqual(records.map((r) => r.record), ['customer', 'conversation', 'message']);
    assert.equal(records[2].message.message.body, 'node-kept-body');
  });

  it('unknown customers are NOT_FOUND, a missing one INVALID_ARGUMENT naming customer_id', async () => {
    const c = await newTenant(server, 'erase-bad');
    await assert.rejects(c.eraseCustomer({ customerId: 99, actor: agent('dpo') }), (e) => e.code === Status.NOT_FOUND);
    await assert.rejects(async () => {
      for await (const r of c.exportCustomer(99)) assert.fail(`unexpected ${r.record}`);
    }, (e) => e.code === Status.NOT_FOUND);
    await assert.rejects(async () => {
      for await (const r of c.exportCustomer(0)) assert.fail(`unexpected ${r.record}`);
    }, (e) => e.code === Status.INVALID_ARGUMENT && /customer_id/.test(e.message));
  });
});

describe('timeline', () => {
  it('lists messages and handoffs across channels, oldest first', async () => {
    const c = await newTenant(server, 'timeline');
    const post = await c.ingest({ channel: 'PUBLIC_SOCIAL', sender: handle('x', 'owner'), externalId: 'tw-1', body: 'My phone died.' });
    const id = post.conversationId;
    const replyId = await c.recordOutbound({
      conversationId: id,
      channel: 'PUBLIC_SOCIAL',
      externalId: 'tw-2',
      references: ['tw-1'],
      body: 'Sorry! Send us a DM?',
      agentId: 'ana',
    });
    assert.match(replyId, /^\d+$/, 'recordOutbound resolves to the message id');
    await c.handoff({ conversationId: id, toChannel: 'PRIVATE_SOCIAL', reason: 'take personal data', actor: agent('ana') });
    const dm = await c.ingest({ channel: 'PRIVATE_SOCIAL', sender: handle('x', '@Owner'), externalId: 'dm-1', body: 'Order 12345' });
    assert.equal(dm.conversationId, id);

    const entries = await c.timeline(id);
    assert.deepEqual(
      entries.map((e) =>
        e.entry === 'message'
          ? `${e.message.channel} ${e.message.direction} ${e.message.body}`
          : `handoff ${e.handoff.fromChannel}->${e.handoff.toChannel} ${e.handoff.reason}`,
      ),
      [
        'PUBLIC_SOCIAL INBOUND My phone died.',
        'PUBLIC_SOCIAL OUTBOUND Sorry! Send us a DM?',
        'handoff PUBLIC_SOCIAL->PRIVATE_SOCIAL take personal data',
        'PRIVATE_SOCIAL INBOUND Order 12345',
      ],
    );
    for (let i = 1; i < entries.length; i++) {
      assert.ok(entries[i].at instanceof Date);
      assert.ok(entries[i].at >= entries[i - 1].at, 'oldest first');
    }
    assert.equal(entries[0].message.sender.value, 'owner');
    assert.equal(entries[1].message.sender, null, 'an outbound message has no sender');
    assert.equal(entries[1].message.agentId, 'ana');
    assert.deepEqual(entries[2].handoff.actor, { kind: 'AGENT', id: 'ana' });
    assert.equal(entries[2].message, undefined, 'only the member of the oneof that is set is there');
  });
});

describe('offer stream', () => {
  it('delivers the offer, which the agent accepts; breaking out of the loop cancels the stream', async () => {
    const c = await newTenant(server, 'offers');
    await withAgent(c);
    const stream = c.offers('ana');
    const ingested = await c.ingest({ channel: 'EMAIL', sender: email('buyer@example.com'), externalId: 'e-1', body: 'Where is my order?' });
    const taskId = ingested.task.taskId;

    const seen = [];
    let accepted = null;
    const deadline = setTimeout(() => stream.cancel(), STREAM_WAIT_MS);
    try {
      for await (const update of stream) {
        seen.push(`${update.kind} ${update.task.taskId}`);
        if (update.kind === 'OFFERED') {
          assert.equal(update.task.conversationId, ingested.conversationId);
          assert.equal(update.task.channel, 'EMAIL');
          assert.ok(update.task.offer.expiresAt instanceof Date);
          accepted = await c.acceptOffer({ taskId: update.task.taskId, agentId: 'ana' });
        } else if (update.kind === 'ASSIGNED') {
          break;
        }
      }
    } finally {
      clearTimeout(deadline);
    }
    assert.deepEqual(seen, [`OFFERED ${taskId}`, `ASSIGNED ${taskId}`]);
    assert.equal(accepted.status, 'ASSIGNED');
    assert.equal(accepted.agentId, 'ana');
    assert.deepEqual(await stream.next(), { value: undefined, done: true }, 'the loop ended the stream');

    const agentView = await c.getAgent('ana');
    assert.deepEqual(agentView.assignedTaskIds, [taskId]);
    const done = await c.completeTask({ taskId, agentId: 'ana' });
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.end, 'DONE');
  });

  it('sends the offers pending when it opens', async () => {
    const c = await newTenant(server, 'pending');
    await withAgent(c);
    const ingested = await c.ingest({ channel: 'EMAIL', sender: email('b@example.com'), externalId: 'e-1', body: 'Hello' });
    const stream = c.offers('ana');
    try {
      const { value } = await nextWithin(stream, STREAM_WAIT_MS, 'pending offer');
      assert.equal(value.kind, 'OFFERED');
      assert.equal(value.task.taskId, ingested.task.taskId);
      const declined = await c.declineOffer({ taskId: value.task.taskId, agentId: 'ana', reason: 'not my area' });
      assert.deepEqual(declined.excludedAgentIds, ['ana']);
      const next = await nextWithin(stream, STREAM_WAIT_MS, 'decline update');
      assert.equal(next.value.kind, 'DECLINED');
    } finally {
      stream.cancel();
    }
  });
});

describe('change feed', () => {
  it('resumes from a sequence number with no gap and no repeat', async () => {
    const c = await newTenant(server, 'feed');
    for (let i = 1; i <= 3; i++) {
      await c.ingest({ channel: 'EMAIL', sender: email(`c${i}@example.com`), externalId: `m-${i}`, body: `message ${i}` });
    }
    const last = BigInt(await c.lastSequence());
    assert.ok(last >= 10n, `several events were logged (${last})`);

    // The whole log, for reference.
    const all = [];
    for await (const e of c.watch({ fromSequence: 1 })) {
      all.push(e);
      if (BigInt(e.sequence) === last) break;
    }
    assert.deepEqual(all.map((e) => e.sequence), range(1n, last));
    assert.equal(all[0].payload, 'tenantConfigured');
    assert.ok(all[0].time instanceof Date);

    // Read part of it, disconnect, resume from the last received + 1.
    const cut = 5n;
    const received = [];
    for await (const e of c.watch({ fromSequence: 1 })) {
      received.push(e);
      if (BigInt(e.sequence) === cut) break;
    }
    const resumed = c.watch({ fromSequence: (BigInt(received.at(-1).sequence) + 1n).toString() });
    try {
      for (;;) {
        const { value, done } = await nextWithin(resumed, STREAM_WAIT_MS, 'resumed event');
        assert.equal(done, false);
        received.push(value);
        if (BigInt(value.sequence) === last) break;
      }
      // Then live: a new message arrives on the open stream, right after.
      await c.ingest({ channel: 'EMAIL', sender: email('c1@example.com'), externalId: 'm-4', body: 'live' });
      const newLast = BigInt(await c.lastSequence());
      while (BigInt(received.at(-1).sequence) < newLast) {
        const { value } = await nextWithin(resumed, STREAM_WAIT_MS, 'live event');
        received.push(value);
      }
    } finally {
      resumed.cancel();
    }
    const sequences = received.map((e) => BigInt(e.sequence));
    assert.deepEqual(sequences, range(1n, sequences.at(-1)).map(BigInt), 'no gap, no repeat');
    assert.deepEqual(received.slice(0, all.length), all, 'the resumed feed is the same log');
    const live = received.find((e) => e.payload === 'messageRecorded' && e.messageRecorded.externalId === 'm-4');
    assert.ok(live, 'the live message came through the resumed stream');
    assert.equal(live.messageRecorded.outcome, 'JOINED_BY_CONTINUITY');
  });

  it('watching an unknown tenant throws NOT_FOUND from the loop', async () => {
    const c = server.client('no-such-tenant');
    await assert.rejects(
      (async () => {
        for await (const e of c.watch()) assert.fail(`unexpected event ${e.sequence}`);
      })(),
      (e) => e instanceof OmnirouteError && e.code === Status.NOT_FOUND && e.field === 'tenant_id',
    );
  });
});

describe('streams and the connection', () => {
  it('an AbortSignal ends a stream quietly', async () => {
    const c = await newTenant(server, 'abort');
    const controller = new AbortController();
    const seen = [];
    for await (const e of c.watch({ fromSequence: 1 }, { signal: controller.signal })) {
      seen.push(e.sequence);
      controller.abort();
    }
    assert.deepEqual(seen, ['1']);
  });

  it('close() ends the open streams quietly, and later calls reject', async () => {
    const c = await newTenant(server, 'close');
    const stream = c.watch();
    const first = await nextWithin(stream, STREAM_WAIT_MS, 'first event');
    assert.equal(first.value.payload, 'tenantConfigured');
    const pending = stream.next();
    c.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    await assert.rejects(c.lastSequence(), (e) => e instanceof OmnirouteError && e.code === Status.UNAVAILABLE);
  });

  it('a view for another tenant shares the connection', async () => {
    const c = await newTenant(server, 'views');
    const other = await newTenant(server, 'views');
    const view = c.forTenant(other.tenant);
    assert.equal(view.tenant, other.tenant);
    await view.ingest({ channel: 'CHAT', sender: email('chat@example.com'), externalId: 'c-1', body: 'hi' });
    assert.equal((await other.listConversations((await other.findCustomer(email('chat@example.com'))).customerId)).length, 1);
    await assert.rejects(c.findCustomer(email('chat@example.com')), (e) => e.code === Status.NOT_FOUND, 'tenants are isolated');
    assert.ok((await c.listTenants()).includes(other.tenant));
    const payload = await c.ping({ payload: Buffer.from('echo') });
    assert.equal(payload.toString(), 'echo');
  });
});

describe('statistics', () => {
  // Queues 'care' (the default: email waits there) and 'sales', nobody to serve them.
  async function queuesWithoutAgents(c) {
    await c.upsertQueue({ queueId: 'care', channels: ['EMAIL', 'CHAT'] });
    await c.upsertQueue({ queueId: 'sales', channels: ['EMAIL'] });
    await c.configureRouting({ defaultQueueId: 'care' });
  }
  function waitingEmail(c, n) {
    return c.ingest({ channel: 'EMAIL', sender: email(`waiting${n}@example.com`), externalId: `<w${n}@example.com>`, body: 'Anyone there?' });
  }
  // The first update `predicate` holds for, read within STREAM_WAIT_MS.
  async function updateWhere(stream, what, predicate) {
    const deadline = Date.now() + STREAM_WAIT_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`no update with ${what} within ${STREAM_WAIT_MS} ms`);
      const { value, done } = await nextWithin(stream, left, `update with ${what}`);
      assert.equal(done, false, `the stream ended before an update with ${what}`);
      if (predicate(value)) return value;
    }
  }

  it('queueStatistics counts a waiting email; an unknown queue is NOT_FOUND naming queue_ids[i]', async () => {
    const c = await newTenant(server, 'qstats');
    await queuesWithoutAgents(c);
    const r = await waitingEmail(c, 1);
    assert.equal(r.task.status, 'WAITING');
    assert.equal(r.task.queueId, 'care');

    const every = await c.queueStatistics();
    assert.ok(every.at instanceof Date);
    assert.deepEqual(every.queues.map((q) => q.queueId), ['care', 'sales'], 'every queue, in configuration order');
    const [care, sales] = every.queues;
    assert.deepEqual([care.waiting, care.offered, care.assigned], [1, 0, 0]);
    assert.equal(care.last_15Minutes.offered, '1');
    assert.equal(care.last_60Minutes.offered, '1');
    assert.equal(care.last_15Minutes.window, 15 * 60 * 1000, 'durations are milliseconds');
    assert.equal(care.last_15Minutes.serviceLevel, undefined, 'nothing answered or abandoned: no service level');
    assert.ok(care.longestWait >= 0);
    assert.deepEqual(care.channels.map((ch) => `${ch.channel} ${ch.waiting}`), ['EMAIL 1', 'CHAT 0']);
    assert.equal(sales.waiting, 0);
    assert.equal(sales.longestWait, null);

    const some = await c.queueStatistics(['sales', 'care']);
    assert.deepEqual(some.queues.map((q) => `${q.queueId} ${q.waiting}`), ['sales 0', 'care 1'], 'in the order asked for');

    await assert.rejects(c.queueStatistics(['nope']), (e) => {
      assert.ok(e instanceof OmnirouteError);
      assert.equal(e.code, Status.NOT_FOUND);
      assert.equal(e.field, 'queue_ids[0]');
      assert.equal(e.method, 'GetQueueStatistics');
      return true;
    });
    await assert.rejects(c.queueStatistics(['care', 'nope']), (e) => e.code === Status.NOT_FOUND && e.field === 'queue_ids[1]');
  });

  it('getTask gives a waiting task its position in the queue', async () => {
    const c = await newTenant(server, 'position');
    await queuesWithoutAgents(c);
    const first = await waitingEmail(c, 1);
    const second = await waitingEmail(c, 2);
    assert.notEqual(first.task.taskId, second.task.taskId);
    const task = await c.getTask(first.task.taskId);
    assert.equal(task.status, 'WAITING');
    assert.equal(task.waitEstimate.position, 1);
    assert.equal((await c.getTask(second.task.taskId)).waitEstimate.position, 2);
  });

  it('agentStatistics gives an agent\'s last hour; an unknown agent is NOT_FOUND', async () => {
    const c = await newTenant(server, 'astats');
    await c.upsertAgent({ agentId: 'ana', channels: ['EMAIL'] });
    await c.setPresence({ agentId: 'ana', presence: 'AVAILABLE' });
    const stats = await c.agentStatistics('ana');
    assert.equal(stats.agentId, 'ana');
    assert.equal(stats.presence, 'AVAILABLE');
    assert.equal(stats.handled, '0');
    assert.equal(stats.window, 60 * 60 * 1000);
    assert.ok(stats.at instanceof Date);

    await assert.rejects(c.agentStatistics('nobody'), (e) => {
      assert.ok(e instanceof OmnirouteError);
      assert.equal(e.code, Status.NOT_FOUND);
      assert.equal(e.field, 'agent_id');
      assert.match(e.details, /nobody/);
      assert.equal(e.method, 'GetAgentStatistics');
      return true;
    });
  });

  it('watchQueueStatistics sends every queue, then the changes; cancel() ends it', async () => {
    const c = await newTenant(server, 'qwatch');
    await queuesWithoutAgents(c);
    const stream = c.watchQueueStatistics({ interval: 100 });
    try {
      assert.equal(stream.method, 'WatchQueueStatistics');
      const first = await nextWithin(stream, STREAM_WAIT_MS, 'first update');
      assert.equal(first.done, false);
      assert.deepEqual(first.value.queues.map((q) => `${q.queueId} ${q.waiting}`), ['care 0', 'sales 0'], 'every queue');
      assert.ok(first.value.at instanceof Date);

      await waitingEmail(c, 1);
      const changed = await updateWhere(stream, 'care waiting 1', (u) => u.queues.some((q) => q.queueId === 'care' && q.waiting === 1));
      const care = changed.queues.find((q) => q.queueId === 'care');
      assert.equal(care.last_15Minutes.offered, '1');
      assert.ok(!changed.queues.some((q) => q.queueId === 'sales'), 'only the queues whose figures changed');
    } finally {
      stream.cancel();
    }
    assert.deepEqual(await stream.next(), { value: undefined, done: true }, 'cancel() ended the stream quietly');

    // Some queues only, the interval as a string.
    const sales = c.watchQueueStatistics({ queueIds: ['sales'], interval: '100ms' });
    try {
      const { value } = await nextWithin(sales, STREAM_WAIT_MS, 'first update of sales');
      assert.deepEqual(value.queues.map((q) => q.queueId), ['sales']);
    } finally {
      sales.cancel();
    }
  });

  it('watchQueueStatistics refuses an interval out of range or an unknown queue from the loop', async () => {
    const c = await newTenant(server, 'qwatch-bad');
    await queuesWithoutAgents(c);
    for (const interval of [10, '10ms', '2m']) {
      const stream = c.watchQueueStatistics({ interval });
      await assert.rejects(nextWithin(stream, STREAM_WAIT_MS, 'stream error'), (e) => {
        assert.ok(e instanceof OmnirouteError, String(e));
        assert.equal(e.code, Status.INVALID_ARGUMENT);
        assert.equal(e.field, 'interval');
        assert.equal(e.method, 'WatchQueueStatistics');
        assert.equal(e.local, false, 'the server refused it');
        return true;
      }, `interval ${interval}`);
    }
    const unknown = c.watchQueueStatistics({ queueIds: ['nope'] });
    await assert.rejects(nextWithin(unknown, STREAM_WAIT_MS, 'stream error'), (e) => e.code === Status.NOT_FOUND && e.field === 'queue_ids[0]');
  });

  it('the client refuses statistics arguments of the wrong type before sending', async () => {
    const c = await newTenant(server, 'stats-local');
    await assert.rejects(c.queueStatistics('care'), (e) => e instanceof OmnirouteError && e.local && e.field === 'queueIds');
    await assert.rejects(c.queueStatistics([7]), (e) => e instanceof OmnirouteError && e.local && e.field === 'queueIds[0]');
    await assert.rejects(c.agentStatistics(7), (e) => e instanceof OmnirouteError && e.local && e.field === 'agentId');
    assert.throws(() => c.watchQueueStatistics({ interval: 'soon' }), (e) => e instanceof OmnirouteError && e.local && e.field === 'interval');
    assert.throws(() => c.watchQueueStatistics({ queues: ['care'] }), (e) => e instanceof OmnirouteError && e.local && e.field === 'queues');
  });
});

describe('interval report', () => {
  const HOUR_MS = 60 * 60 * 1000;
  const QUARTER_MS = 15 * 60 * 1000;

  it('counts an ingested email as offered in its interval, queue and channel', async () => {
    const c = await newTenant(server, 'report');
    await c.upsertQueue({ queueId: 'care', channels: ['EMAIL'] });
    await c.configureRouting({ defaultQueueId: 'care' });
    const before = Date.now();
    const r = await c.ingest({ channel: 'EMAIL', sender: email('report@example.com'), externalId: '<r1@example.com>', body: 'How much?' });
    const after = Date.now();
    assert.equal(r.task.queueId, 'care');

    const report = await c.intervalReport({ from: new Date(before - HOUR_MS), to: new Date(after + HOUR_MS) });
    assert.equal(report.rows.length, 1, JSON.stringify(report.rows));
    const [row] = report.rows;
    assert.deepEqual([row.queueId, row.channel, row.offered, row.answered, row.abandoned], ['care', 'EMAIL', '1', '0', '0']);
    assert.equal(row.averageSpeedOfAnswer, null, 'nothing answered: nothing to average');
    assert.equal(row.serviceLevel, undefined);
    assert.equal(row.sameAgentRate, undefined);
    assert.ok(row.start instanceof Date);
    assert.equal(row.start.getTime() % QUARTER_MS, 0, 'a quarter hour of UTC');
    assert.ok(row.start.getTime() <= after && row.start.getTime() + QUARTER_MS > before, `${row.start.toISOString()} holds the email`);
    assert.equal(report.from.getTime() % QUARTER_MS, 0, 'the span is widened to whole intervals');
    assert.ok(report.from.getTime() <= before - HOUR_MS);
    assert.equal(report.to.getTime() % QUARTER_MS, 0);
    assert.ok(report.to.getTime() >= after + HOUR_MS);
    assert.match(report.eventsRead, /^[1-9]\d*$/);

    // ISO strings and milliseconds, the same.
    const again = await c.intervalReport({ from: new Date(before - HOUR_MS).toISOString(), to: after + HOUR_MS });
    assert.deepEqual(again.rows.map((x) => `${x.queueId} ${x.offered}`), ['care 1']);
    // A span before the email: no rows.
    const empty = await c.intervalReport({ from: before - 3 * HOUR_MS, to: before - 2 * HOUR_MS });
    assert.deepEqual(empty.rows, []);
  });

  it('to before from is INVALID_ARGUMENT naming to; bad times are refused before sending', async () => {
    const c = await newTenant(server, 'report-bad');
    const now = Date.now();
    await assert.rejects(c.intervalReport({ from: new Date(now), to: new Date(now - HOUR_MS) }), (e) => {
      assert.ok(e instanceof OmnirouteError, String(e));
      assert.equal(e.code, Status.INVALID_ARGUMENT);
      assert.equal(e.field, 'to');
      assert.equal(e.method, 'GetIntervalReport');
      assert.equal(e.local, false, 'the server refused it');
      return true;
    });
    await assert.rejects(c.intervalReport({ from: now - 40 * 24 * HOUR_MS, to: now }), (e) => e.code === Status.INVALID_ARGUMENT && e.field === 'to');
    await assert.rejects(c.intervalReport({ to: now }), (e) => e.code === Status.INVALID_ARGUMENT && e.field === 'from');
    await assert.rejects(c.intervalReport({ from: 'yesterday', to: now }), (e) => e instanceof OmnirouteError && e.local && e.field === 'from');
    await assert.rejects(c.intervalReport({ from: now, to: [2026, 12, 7] }), (e) => e instanceof OmnirouteError && e.local && e.field === 'to');
    await assert.rejects(c.intervalReport({ since: now }), (e) => e instanceof OmnirouteError && e.local && e.field === 'since');
  });
});

describe('bad requests', () => {
  it('a missing field is INVALID_ARGUMENT naming it, and nothing is applied', async () => {
    const c = await newTenant(server, 'bad');
    const before = await c.lastSequence();
    const error = await c
      .ingest({ channel: 'EMAIL', sender: email('a@example.com'), body: 'no external id' })
      .then(() => null, (e) => e);
    assert.ok(error instanceof OmnirouteError, 'rejects with an OmnirouteError');
    assert.ok(error instanceof Error);
    assert.equal(error.code, Status.INVALID_ARGUMENT);
    assert.equal(error.code, 3);
    assert.equal(error.codeName, 'INVALID_ARGUMENT');
    assert.equal(error.field, 'external_id');
    assert.match(error.details, /^external_id: /);
    assert.equal(error.method, 'IngestMessage');
    assert.equal(error.local, false, 'the server refused it');
    assert.equal(await c.lastSequence(), before, 'nothing was applied');
  });

  it('an identity that cannot be normalized names the field and says why', async () => {
    const c = await newTenant(server, 'badid');
    await assert.rejects(c.ingest({ channel: 'EMAIL', sender: email('not an address'), externalId: 'x', body: 'b' }), (e) => {
      assert.ok(e instanceof OmnirouteError);
      assert.equal(e.codeName, 'INVALID_ARGUMENT');
      assert.equal(e.field, 'sender.value');
      assert.match(e.details, /whitespace/);
      return true;
    });
  });

  it('unknown ids are NOT_FOUND, a second tenant of the same name ALREADY_EXISTS', async () => {
    const c = await newTenant(server, 'notfound');
    await assert.rejects(c.getCustomer('999'), (e) => e instanceof OmnirouteError && e.code === Status.NOT_FOUND);
    await assert.rejects(c.createTenant(), (e) => e instanceof OmnirouteError && e.codeName === 'ALREADY_EXISTS');
  });

  it('the client refuses unknown fields and enum names before sending, the same way', async () => {
    const c = await newTenant(server, 'local');
    await assert.rejects(c.ingest({ channel: 'EMAL', sender: email('a@b.c'), externalId: 'x' }), (e) => {
      assert.ok(e instanceof OmnirouteError);
      assert.equal(e.code, Status.INVALID_ARGUMENT);
      assert.equal(e.field, 'channel');
      assert.match(e.details, /EMAIL/);
      assert.equal(e.local, true);
      return true;
    });
    await assert.rejects(
      c.ingest({ channel: 'EMAIL', sender: email('a@b.c'), externalID: 'x' }),
      (e) => e instanceof OmnirouteError && e.field === 'externalID' && /no such field/.test(e.details),
    );
    await assert.rejects(
      c.getTask(2 ** 60),
      (e) => e instanceof OmnirouteError && e.field === 'taskId' && /bigint/.test(e.details),
    );
    assert.equal(await c.lastSequence(), '1', 'only the tenant was ever logged');
  });

  it('an unknown agent on the offer stream throws NOT_FOUND from the loop', async () => {
    const c = await newTenant(server, 'noagent');
    const stream = c.offers('nobody');
    await assert.rejects(nextWithin(stream, STREAM_WAIT_MS, 'stream error'), (e) => e instanceof OmnirouteError && e.code === Status.NOT_FOUND);
  });
});

function range(from, to) {
  const out = [];
  for (let i = from; i <= to; i++) out.push(i.toString());
  return out;
}
