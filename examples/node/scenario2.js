#!/usr/bin/env node
'use strict';
// Scenario 2 of SCENARIOS.md, support on a microblog, played against a
// running omniroute-server:
//
//   A customer complains about their new phone in a short public post. Agent
//   Ana takes the offer from her offer stream and answers in public, moves the
//   exchange to private messages to take personal data, then to email because
//   the case needs documents. She keeps the conversation on every channel: one
//   conversation, one SLA clock, one agent. Once it is resolved, the answer is
//   closed off in public too.
//
// It prints the thread and the routing, checks the story, and exits 0 if it
// holds, 1 if it does not, 2 if it could not be played.
//
//   node examples/node/scenario2.js [host:port] [--tenant=NAME] [--timeout=MS]
//
// The address defaults to $OMNIROUTE_ADDRESS, then 127.0.0.1:50051. The
// tenant defaults to a new one per run. Run `npm ci` in bindings/node first.

const { Client, OmnirouteError, handle, email, agent } = require('../../bindings/node');

const AGENT = 'agent-ana';
const NETWORK = 'x';
const CHANNELS = ['PUBLIC_SOCIAL', 'PRIVATE_SOCIAL', 'EMAIL'];

function parseArgs(argv) {
  const args = { address: process.env.OMNIROUTE_ADDRESS || '127.0.0.1:50051', tenant: null, timeoutMs: 10000 };
  for (const arg of argv) {
    if (arg.startsWith('--tenant=')) args.tenant = arg.slice('--tenant='.length);
    else if (arg.startsWith('--timeout=')) args.timeoutMs = Number(arg.slice('--timeout='.length));
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (!arg.startsWith('--')) args.address = arg;
    else throw new Error(`unknown option ${arg}`);
  }
  if (!Number.isFinite(args.timeoutMs) || args.timeoutMs <= 0) throw new Error('--timeout: a positive number of milliseconds');
  if (!args.tenant) args.tenant = `microblog-${Date.now().toString(36)}-${process.pid}`;
  return args;
}

// The story's checks: each prints ok or FAIL; any FAIL makes the exit code 1.
const checks = [];
function check(what, holds, detail = '') {
  checks.push({ what, holds: Boolean(holds), detail });
}

// The next OFFERED update of the offer stream (other updates are logged).
async function nextOffer(iterator, timeoutMs, log) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), Math.max(left, 0));
    });
    const step = await Promise.race([iterator.next(), late]);
    clearTimeout(timer);
    if (step === null) throw new Error(`no offer reached ${AGENT} within ${timeoutMs} ms`);
    if (step.done) throw new Error('the offer stream ended');
    const update = step.value;
    log.push(`${update.kind} task ${update.task.taskId}`);
    if (update.kind === 'OFFERED') return update;
  }
}

function since(start, at) {
  return at ? `+${((at.getTime() - start.getTime()) / 1000).toFixed(3)}s` : '?';
}

function pad(text, width) {
  return String(text).padEnd(width);
}

async function play(c, args) {
  // ------------------------------------------------------------ the brand
  await c.createTenant();
  await c.upsertQueue({ queueId: 'social', displayName: 'Social media', channels: ['PUBLIC_SOCIAL', 'PRIVATE_SOCIAL'] });
  await c.upsertQueue({ queueId: 'email', displayName: 'Email', channels: ['EMAIL'] });
  await c.configureRouting({
    rules: [
      { name: 'social', channels: ['PUBLIC_SOCIAL', 'PRIVATE_SOCIAL'], queueId: 'social' },
      { name: 'email', channels: ['EMAIL'], queueId: 'email' },
    ],
  });
  await c.upsertAgent({ agentId: AGENT, displayName: 'Ana', channels: CHANNELS });
  await c.setPresence({ agentId: AGENT, presence: 'AVAILABLE' });
  const offers = c.offers(AGENT);
  const streamLog = [];

  try {
    // ---------------------------------------------------------- public post
    const post = await c.ingest({
      channel: 'PUBLIC_SOCIAL',
      sender: handle(NETWORK, '@PhoneOwner'),
      profile: { displayName: 'Phone Owner', reach: 1200 },
      externalId: 'post-1',
      body: '@brand my new phone died after two days. Great quality...',
    });
    const id = post.conversationId;
    const clock = (await c.getConversation(id)).firstResponseDue;
    check('the public post opened a conversation for a new customer', post.outcome === 'OPENED' && post.customerCreated);

    const offer = await nextOffer(offers, args.timeoutMs, streamLog);
    check(
      `the first offer on ${AGENT}'s stream is the post's task`,
      offer.task.taskId === (post.task && post.task.taskId) && offer.task.channel === 'PUBLIC_SOCIAL',
      `task ${offer.task.taskId} on ${offer.task.channel}`,
    );
    const accepted = await c.acceptOffer({ taskId: offer.task.taskId, agentId: AGENT });
    check(`${AGENT} accepted it`, accepted.status === 'ASSIGNED' && accepted.agentId === AGENT, accepted.status);

    await c.recordOutbound({
      conversationId: id,
      channel: 'PUBLIC_SOCIAL',
      externalId: 'post-2',
      references: ['post-1'],
      body: "@PhoneOwner so sorry! Send us a DM with your order number and we'll sort it out.",
      agentId: AGENT,
    });

    // ---------------------------------------------------------- → private message
    const toDm = await c.handoff({ conversationId: id, toChannel: 'PRIVATE_SOCIAL', reason: 'take personal data', actor: agent(AGENT) });
    const dmTask = toDm.tasks.find((t) => t.channel === 'PRIVATE_SOCIAL' && t.reason === 'HANDOFF');
    check(
      `${AGENT} keeps the conversation on the private channel`,
      dmTask && dmTask.status === 'ASSIGNED' && dmTask.agentId === AGENT && toDm.ownerAgentId === AGENT,
      dmTask ? `${dmTask.status} to ${dmTask.agentId || 'nobody'}` : 'no handoff task',
    );
    const clockAfterDm = (await c.getConversation(id)).firstResponseDue;

    const dm = await c.ingest({
      channel: 'PRIVATE_SOCIAL',
      sender: handle(NETWORK, 'phoneowner'),
      externalId: 'dm-1',
      body: 'Order 12345, bought on the 3rd. It will not switch on any more.',
    });
    check('the DM joined the same conversation by continuity', dm.conversationId === id && dm.outcome === 'JOINED_BY_CONTINUITY', dm.outcome);

    await c.recordOutbound({
      conversationId: id,
      channel: 'PRIVATE_SOCIAL',
      externalId: 'dm-2',
      body: 'Thanks! We need the invoice: please email it to us, we will reply from support.',
      agentId: AGENT,
    });

    // ---------------------------------------------------------- → email
    const toEmail = await c.handoff({ conversationId: id, toChannel: 'EMAIL', reason: 'documents needed', actor: agent(AGENT) });
    const emailTask = toEmail.tasks.find((t) => t.channel === 'EMAIL' && t.reason === 'HANDOFF');
    check(
      `${AGENT} keeps the conversation on email`,
      emailTask && emailTask.status === 'ASSIGNED' && emailTask.agentId === AGENT,
      emailTask ? `${emailTask.status} to ${emailTask.agentId || 'nobody'}` : 'no handoff task',
    );
    const clockAfterEmail = (await c.getConversation(id)).firstResponseDue;

    // The address the customer gave in the DM.
    const link = await c.linkIdentity({ customerId: post.customerId, identity: email('owner@example.com'), actor: agent(AGENT) });
    check('the email address belongs to the same customer', link.customerId === post.customerId && link.absorbedCustomerId === '0');

    await c.recordOutbound({
      conversationId: id,
      channel: 'EMAIL',
      externalId: '<case-12345@support.brand.example>',
      body: 'Hello, as promised: please reply with the invoice attached.',
      agentId: AGENT,
    });
    const mail = await c.ingest({
      channel: 'EMAIL',
      sender: email('Owner@Example.com'),
      externalId: '<reply-1@example.com>',
      references: ['<case-12345@support.brand.example>'],
      body: 'Invoice attached.',
    });
    check(
      'the customer\'s email joined the same conversation by its In-Reply-To',
      mail.conversationId === id && mail.customerId === post.customerId && mail.outcome === 'JOINED_BY_REFERENCE',
      mail.outcome,
    );
    await c.recordOutbound({
      conversationId: id,
      channel: 'EMAIL',
      externalId: '<case-12345-2@support.brand.example>',
      body: 'Thank you. A replacement phone is on its way; tracking number to follow.',
      agentId: AGENT,
    });
    await c.completeTask({ taskId: emailTask.taskId, agentId: AGENT });

    // ---------------------------------------------------------- closed off in public
    await c.setConversationStatus({ conversationId: id, status: 'RESOLVED', actor: agent(AGENT) });
    const loop = await nextOffer(offers, args.timeoutMs, streamLog);
    const loopTask = await c.getTask(loop.task.taskId);
    check(
      `resolving leaves a task to close the loop in public, offered to ${AGENT}`,
      loopTask.reason === 'CLOSE_PUBLIC_LOOP' && loopTask.channel === 'PUBLIC_SOCIAL' && loopTask.preferredAgentId === AGENT,
      `${loopTask.reason} on ${loopTask.channel}`,
    );
    await c.acceptOffer({ taskId: loop.task.taskId, agentId: AGENT });
    // Answering in public means the conversation goes back to the public channel.
    await c.handoff({ conversationId: id, toChannel: 'PUBLIC_SOCIAL', reason: 'close the loop in public', actor: agent(AGENT) });
    await c.recordOutbound({
      conversationId: id,
      channel: 'PUBLIC_SOCIAL',
      externalId: 'post-3',
      references: ['post-1'],
      body: '@PhoneOwner thanks for your patience: your replacement is on its way. Anyone else with this issue, DM us!',
      agentId: AGENT,
    });
    await c.completeTask({ taskId: loop.task.taskId, agentId: AGENT });

    // ---------------------------------------------------------- what it looks like
    const conversation = await c.getConversation(id);
    const customer = await c.getCustomer(post.customerId);
    const thread = await c.timeline(id);
    const routing = await c.conversationRouting(id);
    const start = conversation.openedAt;

    const who = customer.identities.map((i) => (i.network ? `${i.network}/${i.value}` : i.value)).join(', ');
    console.log(`Thread of conversation ${id} (customer ${customer.customerId}: ${who})`);
    for (const e of thread) {
      if (e.entry === 'handoff') {
        const h = e.handoff;
        console.log(`  ${pad(since(start, e.at), 9)} handoff ${h.fromChannel} -> ${h.toChannel} (${h.actor.id || h.actor.kind}: ${h.reason})`);
      } else {
        const m = e.message;
        const from = m.direction === 'INBOUND' ? `<- ${m.sender.network ? `${m.sender.network}/` : ''}${m.sender.value}` : `-> ${m.agentId}`;
        console.log(`  ${pad(since(start, e.at), 9)} ${pad(m.channel, 15)} ${pad(from, 22)} ${m.body}`);
      }
    }
    console.log('');
    console.log(`Routing of conversation ${id}`);
    for (const t of routing.tasks) {
      console.log(
        `  task ${pad(t.taskId, 3)} ${pad(t.channel, 15)} ${pad(t.reason, 18)} ${pad(t.status, 10)} ${pad(t.agentId || '-', 10)} ended ${t.end}`,
      );
    }
    console.log(
      `  owner ${routing.ownerAgentId}; ${routing.agents} agent(s); ${routing.handoffs} handoffs; ${routing.transfers} transfers; ` +
        `same agent throughout: ${routing.sameAgentThroughout ? 'yes' : 'no'}`,
    );
    console.log(`  offer stream of ${AGENT}: ${streamLog.join(', ')}`);
    console.log(
      `  SLA clock: first response due ${clock.toISOString()} (set by the public post), ` +
        `first answer at ${since(start, conversation.firstRespondedAt)}`,
    );
    console.log(`  published: ${AGENT} is looking after ${NETWORK}/phoneowner`);
    console.log('');

    check(
      'one conversation: public post -> private message -> email are handoffs inside it',
      JSON.stringify(conversation.channelsUsed) === JSON.stringify(CHANNELS) &&
        conversation.handoffs.length >= 2 &&
        conversation.handoffs[0].fromChannel === 'PUBLIC_SOCIAL' &&
        conversation.handoffs[0].toChannel === 'PRIVATE_SOCIAL' &&
        conversation.handoffs[1].fromChannel === 'PRIVATE_SOCIAL' &&
        conversation.handoffs[1].toChannel === 'EMAIL',
      conversation.channelsUsed.join(' -> '),
    );
    check(
      'the customer has this one conversation',
      JSON.stringify(customer.conversationIds) === JSON.stringify([id]),
      customer.conversationIds.join(', '),
    );
    const messages = thread.filter((e) => e.entry === 'message');
    check('the thread holds every message of every channel', messages.length === 8 && conversation.messageCount === 8, `${messages.length} messages`);
    check(
      'the SLA clock runs on from the public post: no handoff restarted it',
      clock && [clockAfterDm, clockAfterEmail, conversation.firstResponseDue].every((d) => d && d.getTime() === clock.getTime()),
    );
    const agents = new Set(routing.tasks.map((t) => t.agentId));
    check(
      `the same agent throughout: every task went to ${AGENT}`,
      routing.sameAgentThroughout && routing.agents === 1 && routing.ownerAgentId === AGENT && agents.size === 1 && agents.has(AGENT),
      [...agents].join(', '),
    );
    check('no transfer was needed', routing.transfers === 0, `${routing.transfers}`);
    check(
      'the answer is closed off in public too',
      messages.at(-1).message.channel === 'PUBLIC_SOCIAL' && messages.at(-1).message.direction === 'OUTBOUND' && conversation.status === 'RESOLVED',
      `${messages.at(-1).message.channel}, ${conversation.status}`,
    );
  } finally {
    offers.cancel();
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`scenario2: ${e.message}`);
    return 2;
  }
  if (args.help) {
    console.log('usage: node examples/node/scenario2.js [host:port] [--tenant=NAME] [--timeout=MS]');
    return 0;
  }
  const c = new Client(args.address, { tenant: args.tenant, timeoutMs: args.timeoutMs });
  try {
    try {
      await c.waitForReady(args.timeoutMs);
    } catch (e) {
      console.error(`scenario2: cannot reach omniroute-server at ${args.address}: ${e.message}`);
      return 2;
    }
    console.log(`Scenario 2, support on a microblog: tenant ${args.tenant} on ${args.address}`);
    console.log('');
    try {
      await play(c, args);
    } catch (e) {
      const what = e instanceof OmnirouteError ? `${e.method}: ${e.codeName}: ${e.details}` : e.message;
      console.error(`scenario2: the story stopped: ${what}`);
      return 2;
    }
  } finally {
    c.close();
  }

  console.log('Checks');
  for (const k of checks) console.log(`  ${k.holds ? 'ok  ' : 'FAIL'} ${k.what}${k.holds || !k.detail ? '' : ` (${k.detail})`}`);
  const failed = checks.filter((k) => !k.holds).length;
  console.log('');
  if (failed > 0) {
    console.log(`The story does not hold: ${failed} of ${checks.length} checks failed.`);
    return 1;
  }
  console.log(`The story holds: ${AGENT} kept the conversation from the public post to the DM to the email, and closed it off in public.`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`scenario2: ${e.stack || e}`);
    process.exitCode = 2;
  },
);
