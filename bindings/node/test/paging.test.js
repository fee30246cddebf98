'use strict';
// Lists the server reads a page at a time, against a real omniroute-server:
// timeline/listConversations read every page; timelinePage and
// listConversationsPage read one, with the token of the next. Expected ids
// are those the test itself got back when it ingested.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { OmnirouteError, Status, email, agent } = require('..');
const { startServer, newTenant } = require('./support/server');

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'the server stops cleanly on SIGTERM');
});

// n emails of one customer in one conversation: { conversationId, messageIds }.
async function emails(c, n, address = 'owner@example.com') {
  const messageIds = [];
  let conversationId = null;
  for (let i = 0; i < n; i++) {
    const r = await c.ingest({ channel: 'EMAIL', sender: email(address), externalId: `<p${i}.${address}>`, body: `email ${i}` });
    assert.equal(r.duplicate, false, `email ${i} is new`);
    conversationId = conversationId || r.conversationId;
    assert.equal(r.conversationId, conversationId, `email ${i} joins the conversation`);
    messageIds.push(r.messageId);
  }
  return { conversationId, messageIds };
}

// A customer with n conversations, each closed before the next opens:
// { customerId, conversationIds }.
async function conversations(c, n, address = 'buyer@example.com') {
  const conversationIds = [];
  let customerId = null;
  for (let i = 0; i < n; i++) {
    const r = await c.ingest({ channel: 'EMAIL', sender: email(address), externalId: `<c${i}.${address}>`, body: `problem ${i}` });
    assert.equal(r.outcome, 'OPENED', `email ${i} opens a conversation`);
    customerId = customerId || r.customerId;
    conversationIds.push(r.conversationId);
    await c.setConversationStatus({ conversationId: r.conversationId, status: 'CLOSED', actor: agent('ana') });
  }
  return { customerId, conversationIds };
}

const byNumber = (a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

describe('timeline pages', () => {
  it('read page after page, hold every entry once, in order', async () => {
    const c = await newTenant(server, 'tpages');
    const { conversationId, messageIds } = await emails(c, 23);
    const read = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await c.timelinePage({ conversationId, pageSize: 5, pageToken });
      pages += 1;
      assert.ok(page.entries.length <= 5, `page ${pages} holds at most 5`);
      read.push(...page.entries.map((e) => e.message.messageId));
      pageToken = page.nextPageToken;
      assert.ok(pages < 50, 'the pages end');
    } while (pageToken !== '');
    assert.deepEqual(read, messageIds);
    assert.ok(pages === 5 || pages === 6, `23 entries in pages of 5: ${pages} pages`);

    const whole = await c.timeline(conversationId);
    assert.deepEqual(whole.map((e) => e.message.messageId), messageIds);
    assert.deepEqual(whole.map((e) => e.message.body), messageIds.map((_, i) => `email ${i}`));

    const one = await c.timelinePage({ conversationId, pageSize: 1000 });
    assert.deepEqual(one.entries.map((e) => e.message.messageId), messageIds);
    assert.equal(one.nextPageToken, '');
  });
});

describe('conversation pages', () => {
  it('read page after page, hold each of the customer\'s conversations once, by id', async () => {
    const c = await newTenant(server, 'cpages');
    const { customerId, conversationIds } = await conversations(c, 7);
    await c.ingest({ channel: 'EMAIL', sender: email('someone.else@example.com'), externalId: '<other@example.com>' });
    const read = [];
    let pageToken = '';
    for (let pages = 1; ; pages++) {
      const page = await c.listConversationsPage({ customerId, pageSize: 3, pageToken });
      assert.ok(page.conversations.length <= 3);
      read.push(...page.conversations.map((x) => x.conversationId));
      pageToken = page.nextPageToken;
      if (pageToken === '') break;
      assert.ok(pages < 50, 'the pages end');
    }
    const expected = [...conversationIds].sort(byNumber);
    assert.deepEqual(read, expected);
    assert.deepEqual((await c.listConversations(customerId)).map((x) => x.conversationId), expected);
  });
});

describe('bad pages', () => {
  it('a page size out of range or a token of another list is INVALID_ARGUMENT naming it', async () => {
    const c = await newTenant(server, 'badpages');
    const { conversationId } = await emails(c, 4);
    const elsewhere = (await emails(c, 1, 'someone.else@example.com')).conversationId;
    const { customerId } = await conversations(c, 3);
    // The same ids in another tenant.
    const other = await newTenant(server, 'badpages');
    const otherConversation = (await emails(other, 4)).conversationId;
    await emails(other, 1, 'someone.else@example.com');
    const otherCustomer = (await conversations(other, 3)).customerId;
    assert.deepEqual([otherConversation, otherCustomer], [conversationId, customerId]);

    const token = (await c.timelinePage({ conversationId, pageSize: 2 })).nextPageToken;
    assert.notEqual(token, '');
    const listToken = (await c.listConversationsPage({ customerId, pageSize: 1 })).nextPageToken;
    assert.notEqual(listToken, '');

    const cases = [
      ['page_size', () => c.timelinePage({ conversationId, pageSize: -1 })],
      ['page_size', () => c.timelinePage({ conversationId, pageSize: 1001 })],
      ['page_size', () => c.listConversationsPage({ customerId, pageSize: 1001 })],
      ['page_token', () => c.timelinePage({ conversationId, pageToken: 'forged' })],
      ['page_token', () => c.timelinePage({ conversationId: elsewhere, pageToken: token })],
      ['page_token', () => other.timelinePage({ conversationId: otherConversation, pageToken: token })],
      ['page_token', () => c.timelinePage({ conversationId, pageToken: listToken })],
      ['page_token', () => c.listConversationsPage({ customerId, pageToken: 'forged' })],
      ['page_token', () => c.listConversationsPage({ customerId, pageToken: token })],
      ['page_token', () => other.listConversationsPage({ customerId: otherCustomer, pageToken: listToken })],
    ];
    for (const [i, [field, call]] of cases.entries()) {
      await assert.rejects(call(), (e) => {
        assert.ok(e instanceof OmnirouteError, `case ${i}`);
        assert.equal(e.code, Status.INVALID_ARGUMENT, `case ${i}: ${e.message}`);
        assert.match(e.details, new RegExp(field), `case ${i}`);
        assert.equal(e.local, false, `case ${i}: the server refused it`);
        return true;
      });
    }
    // A value of the wrong type never reaches the server.
    await assert.rejects(c.timelinePage({ conversationId, pageSize: '5' }), (e) => {
      assert.ok(e instanceof OmnirouteError);
      assert.equal(e.code, Status.INVALID_ARGUMENT);
      assert.equal(e.field, 'pageSize');
      assert.equal(e.local, true);
      return true;
    });
  });
});
