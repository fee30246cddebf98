// Compiled by test/types.test.js (tsc --noEmit): the declarations of
// index.d.ts allow what the client does and refuse what it refuses.

import {
  Client,
  OmnirouteError,
  Status,
  email,
  handle,
  agent,
  type Event,
  type OfferUpdate,
  type Task,
  type TimelineEntry,
  type TimelinePage,
  type Conversation,
  type ConversationsPage,
  type ConversationRouting,
  type GetQueueStatisticsResponse,
  type QueueStatisticsUpdate,
  type IntervalReport,
  type IntervalFigures,
  type AgentStatistics,
  type WaitEstimate,
} from '../..';

async function story(c: Client): Promise<void> {
  await c.createTenant();
  await c.createTenant({ closePublicLoop: true, mergeThreadsOnCustomerMerge: true, channels: [{ channel: 'EMAIL', continuityWindow: '6h' }] });
  await c.upsertQueue({ queueId: 'social', channels: ['PUBLIC_SOCIAL'], offerTimeout: 30000, expansionSteps: [{ after: '5m', relaxLevels: 1 }] });
  await c.upsertAgent({ agentId: 'ana', channels: ['PUBLIC_SOCIAL', 'EMAIL'], skills: [{ skill: 'phones', level: 5 }] });
  await c.configureRouting({ rules: [{ channels: ['PUBLIC_SOCIAL'], queueId: 'social' }], defaultOfferTimeout: '45s' });
  await c.setPresence({ agentId: 'ana', presence: 'AVAILABLE' });

  const r = await c.ingest({ channel: 'EMAIL', sender: email('a@b.c'), externalId: 'e-1', body: 'hi' });
  const id: string = r.conversationId;
  const task: Task | null = r.task;
  if (task && task.offer) {
    const expires: Date | null = task.offer.expiresAt;
    void expires;
  }
  const messageId: string = await c.recordOutbound({ conversationId: id, channel: 'EMAIL', externalId: 'o-1', body: 'hello' });
  void messageId;
  const routing: ConversationRouting = await c.handoff({ conversationId: id, toChannel: 'VOICE', actor: agent('ana') });
  const same: boolean = routing.sameAgentThroughout;
  void same;
  const entries: TimelineEntry[] = await c.timeline(id);
  for (const e of entries) {
    if (e.entry === 'message' && e.message) console.log(e.message.body, e.message.sender?.value);
  }
  // One page at a time: the token of each page asks for the next.
  let pageToken = '';
  do {
    const page: TimelinePage = await c.timelinePage({ conversationId: id, pageSize: 50, pageToken });
    for (const e of page.entries) console.log(e.at);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  const conversations: ConversationsPage = await c.listConversationsPage({ customerId: r.customerId });
  const all: Conversation[] = await c.listConversations(r.customerId);
  void conversations.nextPageToken;
  void all;
  // @ts-expect-error: a page size is a number
  await c.timelinePage({ conversationId: id, pageSize: '50' });
  await c.linkIdentity({ customerId: r.customerId, identity: handle('x', '@a'), actor: agent('ana') });
  await c.getCustomer(1n);
  await c.getCustomer(1);
  await c.recordCommitment({ conversationId: id, kind: 'CALLBACK', dueAt: new Date(), actor: agent('ana') });
  const fired: number = await c.runDueTimers();
  const last: string = await c.lastSequence();
  void fired;
  void last;
  const echoed: Buffer = await c.ping({ payload: 'x' });
  void echoed;

  for await (const u of c.offers('ana')) {
    const update: OfferUpdate = u;
    if (update.kind === 'OFFERED' && update.task) {
      await c.acceptOffer({ taskId: update.task.taskId, agentId: 'ana' });
      break;
    }
  }
  const controller = new AbortController();
  for await (const e of c.watch({ fromSequence: 1 }, { signal: controller.signal })) {
    const event: Event = e;
    if (event.payload === 'messageRecorded') console.log(event.messageRecorded.body);
    if (event.payload === 'taskOffered') console.log(event.taskOffered.agentId);
    break;
  }

  // Queue and agent statistics, and a waiting task's estimate.
  const stats: GetQueueStatisticsResponse = await c.queueStatistics(['social']);
  const every: GetQueueStatisticsResponse = await c.queueStatistics();
  void every;
  for (const q of stats.queues) {
    const waiting: number = q.waiting;
    const level: number | undefined = q.last_15Minutes?.serviceLevel;
    const offered: string | undefined = q.last_60Minutes?.offered;
    const estimate: WaitEstimate | null = q.channels[0].newTaskWait;
    console.log(waiting, level, offered, estimate?.wait);
  }
  const ana: AgentStatistics = await c.agentStatistics('ana', { timeoutMs: 1000 });
  const occupancy: number | undefined = ana.occupancy;
  const handled: string = ana.handled;
  void occupancy;
  void handled;
  const waitingTask: Task = await c.getTask('42');
  const position: number | undefined = waitingTask.waitEstimate?.position;
  void position;
  for await (const u of c.watchQueueStatistics({ queueIds: ['social'], interval: '5s' })) {
    const update: QueueStatisticsUpdate = u;
    console.log(update.at, update.queues.map((q) => q.queueId));
    break;
  }
  c.watchQueueStatistics().cancel();
  // @ts-expect-error: queue ids are an array
  await c.queueStatistics('social');
  // @ts-expect-error: no such field
  c.watchQueueStatistics({ every: 5 });

  // The interval report: times as Dates, ISO strings or milliseconds.
  const report: IntervalReport = await c.intervalReport({ from: '2026-12-07T09:00:00Z', to: new Date() });
  const spanStart: Date | null = report.from;
  const read: string = report.eventsRead;
  void spanStart;
  void read;
  for (const row of report.rows) {
    const r: IntervalFigures = row;
    const sl: number | undefined = r.serviceLevel;
    const asa: number | null = r.averageSpeedOfAnswer;
    console.log(r.start, r.queueId, r.channel, r.offered, r.handedOff, sl, asa, r.sameAgentRate);
  }
  await c.intervalReport({ from: Date.now() - 3600000, to: Date.now() }, { timeoutMs: 1000 });
  // @ts-expect-error: to is required
  await c.intervalReport({ from: new Date() });
  // @ts-expect-error: the request is an object
  await c.intervalReport('2026-12-07T09:00:00Z');

  try {
    await c.getTask('42', { timeoutMs: 1000 });
  } catch (e) {
    if (e instanceof OmnirouteError && e.code === Status.NOT_FOUND) console.log(e.codeName, e.details, e.field);
  }

  // @ts-expect-error: not a channel
  await c.ingest({ channel: 'EMAL', sender: email('a@b.c'), externalId: 'x' });
  // @ts-expect-error: externalId is required
  await c.ingest({ channel: 'EMAIL', sender: email('a@b.c') });
  // @ts-expect-error: no such field
  await c.ingest({ channel: 'EMAIL', sender: email('a@b.c'), externalId: 'x', externalID: 'x' });
  // @ts-expect-error: ids are strings in responses
  const n: number = r.customerId;
  void n;
  c.close();
}

void story(new Client('127.0.0.1:50051', { tenant: 'acme', timeoutMs: 5000 }).forTenant('other'));

async function cluster(): Promise<void> {
  const c = new Client(['10.0.0.5:50051', '10.0.0.6:50051'], {
    tenant: 'acme',
    retry: { initialBackoffMs: 20, maxBackoffMs: 500, budgetMs: null, streamBudgetMs: 10000 },
  });
  const addresses: readonly string[] = c.addresses;
  void addresses;
  const events = c.watch({ fromSequence: 1 });
  const where: string = events.address;
  const reconnects: number = events.reconnects;
  void where;
  void reconnects;
  events.cancel();
  try {
    await c.completeTask({ taskId: '7', agentId: 'ana' });
  } catch (e) {
    if (e instanceof OmnirouteError && e.outcomeUnknown) await c.getTask('7');
  }
  new Client('a:1,b:2', { retry: false }).close();
  // @ts-expect-error: no such retry option
  new Client('a:1', { retry: { often: true } }).close();
  c.close();
}
void cluster();

function secured(): void {
  new Client('10.0.0.5:50051', { tenant: 'acme', token: 'omr_crm_x', tlsCa: '/etc/omniroute/ca.pem' }).close();
  new Client('10.0.0.5:50051', {
    token: 'omr_crm_x',
    tlsCa: Buffer.from('-----BEGIN CERTIFICATE-----'),
    tlsCert: 'client.pem',
    tlsKey: Buffer.from('-----BEGIN PRIVATE KEY-----'),
  }).close();
  new Client('omniroute.example.com:443', { token: 'jwt', tls: true }).close();
  new Client('10.0.0.5:50051', { token: 'omr_crm_x', insecure: true }).close();
  // @ts-expect-error: a token is a string
  new Client('127.0.0.1:1', { token: 42 }).close();
  // @ts-expect-error: a CA is a path or PEM bytes
  new Client('127.0.0.1:1', { tlsCa: true }).close();
}
void secured;
