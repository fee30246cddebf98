'use strict';
// Client: the omniroute.v1 API of one server (or of the nodes of a cluster),
// for one tenant, as promises and async iterators.

const grpc = require('@grpc/grpc-js');
const { Schema } = require('./schema');
const { OmnirouteError, Status } = require('./errors');
const { ServerStream, Attempts, Resume, ResumeAgain, ResumeEvents, ResumeOffers } = require('./stream');
const retry = require('./retry');
const security = require('./security');

const SERVICES = [
  'TenantService',
  'CustomerService',
  'ConversationService',
  'RoutingService',
  'CommitmentService',
  'EventService',
  'DiagnosticsService',
];

// [method, service, rpc, argument]. The argument is 'request' when the method
// takes the request object (less tenantId), or the name of the one request
// field the method takes on its own (an id, a configuration, an identity).
// What the promise resolves to follows from the response: nothing for an
// empty one, the value of its field when it has one, the object otherwise.
const UNARY = [
  ['createTenant', 'TenantService', 'CreateTenant', 'settings'],
  ['listTenants', 'TenantService', 'ListTenants', null],

  ['getCustomer', 'CustomerService', 'GetCustomer', 'customerId'],
  ['findCustomer', 'CustomerService', 'FindCustomer', 'identity'],
  ['linkIdentity', 'CustomerService', 'LinkIdentity', 'request'],
  ['mergeCustomers', 'CustomerService', 'MergeCustomers', 'request'],
  ['unmergeCustomer', 'CustomerService', 'UnmergeCustomer', 'request'],
  ['eraseCustomer', 'CustomerService', 'EraseCustomer', 'request'],
  ['listConversationsPage', 'CustomerService', 'ListConversations', 'request'],

  ['ingest', 'ConversationService', 'IngestMessage', 'request'],
  ['recordOutbound', 'ConversationService', 'RecordOutbound', 'request'],
  ['handoff', 'ConversationService', 'Handoff', 'request'],
  ['setConversationStatus', 'ConversationService', 'SetConversationStatus', 'request'],
  ['mergeConversations', 'ConversationService', 'MergeConversations', 'request'],
  ['splitConversation', 'ConversationService', 'SplitConversation', 'request'],
  ['getConversation', 'ConversationService', 'GetConversation', 'conversationId'],
  ['timelinePage', 'ConversationService', 'GetTimeline', 'request'],

  ['configureRouting', 'RoutingService', 'ConfigureRouting', 'settings'],
  ['getRoutingSettings', 'RoutingService', 'GetRoutingSettings', null],
  ['upsertQueue', 'RoutingService', 'UpsertQueue', 'queue'],
  ['getQueue', 'RoutingService', 'GetQueue', 'queueId'],
  ['queueStats', 'RoutingService', 'GetQueueStats', 'queueId'],
  ['queueStatistics', 'RoutingService', 'GetQueueStatistics', 'queueIds'],
  ['upsertAgent', 'RoutingService', 'UpsertAgent', 'agent'],
  ['getAgent', 'RoutingService', 'GetAgent', 'agentId'],
  ['agentStatistics', 'RoutingService', 'GetAgentStatistics', 'agentId'],
  ['intervalReport', 'RoutingService', 'GetIntervalReport', 'request'],
  ['setPresence', 'RoutingService', 'SetAgentPresence', 'request'],
  ['acceptOffer', 'RoutingService', 'AcceptOffer', 'request'],
  ['declineOffer', 'RoutingService', 'DeclineOffer', 'request'],
  ['completeTask', 'RoutingService', 'CompleteTask', 'request'],
  ['transferTask', 'RoutingService', 'TransferTask', 'request'],
  ['abandonTask', 'RoutingService', 'AbandonTask', 'taskId'],
  ['getTask', 'RoutingService', 'GetTask', 'taskId'],
  ['conversationRouting', 'RoutingService', 'GetConversationRouting', 'conversationId'],
  ['runDueTimers', 'RoutingService', 'RunDueTimers', null],

  ['recordCommitment', 'CommitmentService', 'RecordCommitment', 'request'],
  ['closeCommitment', 'CommitmentService', 'CloseCommitment', 'request'],
  ['getCommitment', 'CommitmentService', 'GetCommitment', 'commitmentId'],
  ['listCommitments', 'CommitmentService', 'ListCommitments', 'conversationId'],

  ['lastSequence', 'EventService', 'GetLastSequence', null],
  ['ping', 'DiagnosticsService', 'Ping', 'request'],
];

// [method, page method, id field, items field, rpc] of the lists the server
// reads a page at a time: the method takes the id and resolves to the items
// of every page, read one after the other with the page method.
const WHOLE_LISTS = [
  ['listConversations', 'listConversationsPage', 'customerId', 'conversations', 'ListConversations'],
  ['timeline', 'timelinePage', 'conversationId', 'entries', 'GetTimeline'],
];

// [method, service, rpc, argument] of the server streams.
const STREAMS = [
  ['watch', 'EventService', 'WatchEvents', 'request'],
  ['offers', 'RoutingService', 'StreamOffers', 'agentId'],
  ['watchQueueStatistics', 'RoutingService', 'WatchQueueStatistics', 'request'],
  ['exportCustomer', 'CustomerService', 'ExportCustomer', 'customerId'],
];

const DEFAULT_TIMEOUT_MS = 30000;

// One schema per proto folder, loaded on first use.
const schemas = new Map();
function schemaFor(protoRoot) {
  const key = protoRoot || '';
  if (!schemas.has(key)) schemas.set(key, protoRoot ? new Schema(protoRoot) : new Schema());
  return schemas.get(key);
}

// What the connections are: shared by a Client and the views forTenant makes.
// One channel per server address, opened on first use; the address that
// answered each tenant last; the open streams.
class Connection {
  constructor(addresses, options) {
    this.schema = schemaFor(options.protoRoot || process.env.OMNIROUTE_PROTO_DIR);
    this.timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs;
    this.policy = retry.retryPolicy(options.retry);
    this.addresses = Object.freeze([...addresses]);
    const credentials = security.channelCredentials(options);
    const authorization = security.bearer(options.token);
    security.checkPlaintextToken(this.addresses, credentials === null, authorization !== null, Boolean(options.insecure));
    this.credentials_ = credentials || grpc.credentials.createInsecure();
    this.channelOptions_ = { ...(options.channelOptions || {}) };
    if (authorization !== null) {
      // Every call of every stub (unary, stream, a retry, another address)
      // carries it.
      this.channelOptions_.interceptors = [security.bearerInterceptor(authorization), ...(this.channelOptions_.interceptors || [])];
    }
    this.endpoints_ = new Map();
    this.servedAt_ = new Map();
    this.streams = new Set();
    this.closed = false;
    this.endpoint(this.addresses[0]);
  }

  // { address, channel, stubs } for `address`, opened on first use.
  endpoint(address) {
    if (this.closed) throw closedError(null);
    let endpoint = this.endpoints_.get(address);
    if (endpoint) return endpoint;
    const stubs = {};
    let channel = null;
    for (const name of SERVICES) {
      const Stub = grpc.makeGenericClientConstructor(this.schema.service(name), name);
      const stub = channel
        ? new Stub(address, this.credentials_, { ...this.channelOptions_, channelOverride: channel })
        : new Stub(address, this.credentials_, this.channelOptions_);
      channel = channel || stub.getChannel();
      stubs[name] = stub;
    }
    endpoint = { address, channel, stubs };
    this.endpoints_.set(address, endpoint);
    return endpoint;
  }

  // The address to try first for `tenant`'s calls.
  first(tenant) {
    return this.servedAt_.get(tenant) || this.servedAt_.get(null) || this.addresses[0];
  }

  // `address` answered a call of `tenant`: its next calls go there first,
  // and so do those of tenants not called yet.
  served(tenant, address) {
    this.servedAt_.set(tenant, address);
    this.servedAt_.set(null, address);
  }

  // The address of the list after `address` (the first after one not in it).
  nextAddress(address) {
    const i = this.addresses.indexOf(address);
    return this.addresses[(i + 1) % this.addresses.length];
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams]) s.cancel();
    for (const endpoint of this.endpoints_.values()) endpoint.channel.close();
  }
}

function closedError(rpc) {
  return new OmnirouteError(Status.UNAVAILABLE, 'the client is closed', { method: rpc, local: true });
}

class Client {
  // address: 'host:port', 'a:1,b:2' or an array of them. options.tenant: the
  // tenant every call is for; options.retry: the retry policy (retry.js).
  constructor(address, options = {}) {
    if (address instanceof Connection) {
      this.connection_ = address;
    } else {
      this.connection_ = new Connection(retry.parseAddresses(address), options);
    }
    this.tenant = options.tenant === undefined ? null : options.tenant;
    // The server addresses the client was made for, in order.
    this.addresses = this.connection_.addresses;
  }

  // A client for another tenant on the same connections.
  forTenant(tenant) {
    return new Client(this.connection_, { tenant });
  }

  // Resolves once the connection to one of the addresses is up (the calls
  // then go there first); rejects with DEADLINE_EXCEEDED after timeoutMs.
  waitForReady(timeoutMs = 10000) {
    const connection = this.connection_;
    const deadline = Date.now() + timeoutMs;
    if (connection.closed) return Promise.reject(closedError(null));
    return new Promise((resolve, reject) => {
      let pending = connection.addresses.length;
      let settled = false;
      let lastError = null;
      for (const address of connection.addresses) {
        connection.endpoint(address).stubs.DiagnosticsService.waitForReady(deadline, (error) => {
          pending -= 1;
          if (settled) return;
          if (!error) {
            settled = true;
            connection.served(null, address);
            resolve();
            return;
          }
          lastError = error;
          if (pending === 0) {
            settled = true;
            reject(new OmnirouteError(Status.DEADLINE_EXCEEDED, `not connected after ${timeoutMs} ms: ${lastError.message}`, { local: true, cause: lastError }));
          }
        });
      }
    });
  }

  // Cancels the open streams and closes the connections (shared with the
  // forTenant views).
  close() {
    this.connection_.close();
  }

  // ---------------------------------------------------------------- plumbing

  request_(method, rpc, service, argument, value) {
    const schema = this.connection_.schema;
    const definition = schema.service(service)[rpc];
    const requestType = schema.message(requestTypeName(definition));
    let request;
    if (argument === 'request') {
      if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
        throw new OmnirouteError(Status.INVALID_ARGUMENT, `request: ${method}() takes the request as an object`, { method: rpc, local: true });
      }
      request = { ...(value || {}) };
    } else if (argument) {
      request = value === undefined || value === null ? {} : { [argument]: value };
    } else {
      request = {};
    }
    if (requestType.fields.has('tenantId') && request.tenantId === undefined && this.tenant !== null) {
      request.tenantId = this.tenant;
    }
    try {
      return schema.toWire(requestType, request, '');
    } catch (e) {
      throw OmnirouteError.from(e, rpc);
    }
  }

  timeoutMs_(options, stream) {
    if (options && options.timeoutMs !== undefined) return options.timeoutMs;
    return stream ? 0 : this.connection_.timeoutMs;
  }

  metadata_(options) {
    const metadata = new grpc.Metadata();
    if (options && options.metadata) {
      for (const [k, v] of Object.entries(options.metadata)) metadata.set(k, v);
    }
    return metadata;
  }

  // One attempt of a unary call on `address`: resolves to the wire response,
  // rejects with grpc-js's error.
  attempt_(address, service, rpc, request, metadata, timeoutMs, signal) {
    return new Promise((resolve, reject) => {
      let call = null;
      const onAbort = () => {
        if (call) call.cancel();
      };
      const callOptions = timeoutMs ? { deadline: Date.now() + timeoutMs } : {};
      call = this.connection_.endpoint(address).stubs[service][rpc](request, metadata, callOptions, (error, response) => {
        if (signal) signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(response);
      });
      if (signal) {
        if (signal.aborted) call.cancel();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  // The call, retried as the policy and the RPC allow (retry.js).
  async unary_(method, service, rpc, argument, value, options) {
    const connection = this.connection_;
    if (connection.closed) throw closedError(rpc);
    const schema = connection.schema;
    const definition = schema.service(service)[rpc];
    const responseType = schema.message(responseTypeName(definition));
    const request = this.request_(method, rpc, service, argument, value);
    const metadata = this.metadata_(options);
    const signal = options && options.signal;
    const tenant = request.tenantId || null;
    const policy = connection.policy;
    const safe = retry.isSafe(rpc, request);
    const timeoutMs = this.timeoutMs_(options, false);
    const start = Date.now();
    // A deadline for the whole call when there is a budget; a call without a
    // timeout keeps its attempts without one.
    const bounded = policy !== null && (policy.budgetMs !== null || Boolean(timeoutMs));
    const budgetMs = policy !== null && policy.budgetMs !== null ? policy.budgetMs : timeoutMs || retry.DEFAULT_BUDGET_MS;
    const deadline = start + budgetMs;
    let address = connection.first(tenant);
    let tried = new Set();
    let backoffMs = policy ? policy.initialBackoffMs : 0;
    let attempts = 0;
    let unknown = false; // an attempt may have been applied
    let last = null;
    const exhausted = () =>
      OmnirouteError.from(last, rpc, { outcomeUnknown: unknown, note: `(gave up after ${attempts} attempts in ${Date.now() - start} ms)` });
    for (;;) {
      if (tried.has(address)) {
        // Every address of this round failed: wait before the next one.
        const pause = retry.pauseMs(policy, backoffMs);
        if (Date.now() + pause >= deadline) throw exhausted();
        await retry.sleep(pause, signal, () => new OmnirouteError(Status.CANCELLED, 'the call was aborted', { method: rpc, local: true }));
        if (connection.closed) throw closedError(rpc);
        backoffMs = retry.nextBackoffMs(policy, backoffMs);
        tried = new Set();
      }
      tried.add(address);
      let attemptMs = timeoutMs;
      if (bounded) {
        const remaining = deadline - Date.now();
        if (attempts > 0 && remaining <= 0) throw exhausted();
        attemptMs = Math.max(1, timeoutMs ? Math.min(timeoutMs, remaining) : remaining);
      }
      attempts += 1;
      let response;
      try {
        response = await this.attempt_(address, service, rpc, request, metadata.clone(), attemptMs, signal);
      } catch (error) {
        if (connection.closed) throw closedError(rpc);
        last = error;
        if ((signal && signal.aborted) || !retry.retryableCode(error.code)) {
          // After an attempt whose outcome is unknown, an error
          // (ALREADY_EXISTS, FAILED_PRECONDITION) may be that attempt's doing.
          throw OmnirouteError.from(error, rpc, { outcomeUnknown: unknown });
        }
        const hint = error.code === Status.UNAVAILABLE ? retry.ownerHint(error) : null;
        const refused = error.code === Status.UNAVAILABLE && retry.notApplied(error, hint);
        unknown = unknown || !refused;
        if (policy === null || !(safe || refused)) {
          // Not retried: an unsafe call whose outcome is unknown is the
          // caller's to check.
          throw OmnirouteError.from(error, rpc, { outcomeUnknown: unknown });
        }
        if (Date.now() >= deadline) throw exhausted();
        address = hint || connection.nextAddress(address);
        continue;
      }
      connection.served(tenant, address);
      try {
        return unwrap(responseType, schema.fromWire(responseType, response));
      } catch (e) {
        throw OmnirouteError.from(e, rpc);
      }
    }
  }

  stream_(method, service, rpc, argument, value, options) {
    const connection = this.connection_;
    if (connection.closed) throw closedError(rpc);
    const schema = connection.schema;
    const definition = schema.service(service)[rpc];
    const responseType = schema.message(responseTypeName(definition));
    const signal = options && options.signal;
    const request = this.request_(method, rpc, service, argument, value);
    const metadata = this.metadata_(options);
    const timeoutMs = this.timeoutMs_(options, true);
    const callOptions = timeoutMs ? { deadline: Date.now() + timeoutMs } : {};
    let resume;
    if (rpc === 'WatchEvents') resume = new ResumeEvents();
    else if (rpc === 'StreamOffers') resume = new ResumeOffers();
    else if (rpc === 'WatchQueueStatistics') resume = new ResumeAgain();
    else resume = new Resume();
    const attempts = new Attempts({
      connection,
      tenant: request.tenantId || null,
      open: (address, req) => connection.endpoint(address).stubs[service][rpc](req, metadata.clone(), callOptions),
      request,
      resume,
    });
    const streams = connection.streams;
    const onAbort = () => stream.cancel();
    const stream = new ServerStream(attempts, (m) => schema.fromWire(responseType, m), rpc, (s) => {
      streams.delete(s);
      if (signal) signal.removeEventListener('abort', onAbort);
    });
    streams.add(stream);
    if (signal) {
      if (signal.aborted) stream.cancel();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    return stream;
  }
}

function requestTypeName(definition) {
  return definition.requestType.type.name;
}
function responseTypeName(definition) {
  return definition.responseType.type.name;
}

function unwrap(type, value) {
  const names = [...type.fields.keys()];
  if (names.length === 0) return undefined;
  if (names.length === 1) return value[names[0]];
  return value;
}

for (const [method, service, rpc, argument] of UNARY) {
  Client.prototype[method] = function unaryMethod(value, options) {
    if (argument === null) {
      // No argument: the first parameter is the options.
      return this.unary_(method, service, rpc, argument, undefined, value);
    }
    return this.unary_(method, service, rpc, argument, value, options);
  };
}
// RecordOutbound with an externalId is retried after a dropped connection;
// when the retry finds the answer stored (ALREADY_EXISTS after an attempt
// whose outcome was unknown), that attempt stored it: its id is read from the
// timeline.
const recordOutboundOnce = Client.prototype.recordOutbound;
Client.prototype.recordOutbound = async function recordOutbound(request, options) {
  try {
    return await recordOutboundOnce.call(this, request, options);
  } catch (error) {
    if (!(error instanceof OmnirouteError) || error.code !== Status.ALREADY_EXISTS || !error.outcomeUnknown) throw error;
    const wire = this.request_('recordOutbound', 'RecordOutbound', 'ConversationService', 'request', request);
    const channels = this.connection_.schema.message('RecordOutboundRequest').fields.get('channel').ref;
    const channel = channels.shorten(wire.channel);
    let found = null;
    const reader = wire.tenantId && wire.tenantId !== this.tenant ? this.forTenant(wire.tenantId) : this;
    for (const e of await reader.timeline(wire.conversationId, options)) {
      const m = e.message;
      if (e.entry === 'message' && m.externalId === wire.externalId && m.channel === channel && m.direction === 'OUTBOUND') {
        found = m.messageId;
      }
    }
    if (found === null) throw error;
    return found;
  }
};
for (const [method, pageMethod, idField, itemsField, rpc] of WHOLE_LISTS) {
  Client.prototype[method] = async function wholeListMethod(id, options) {
    const items = [];
    let pageToken = '';
    for (;;) {
      const page = await this[pageMethod]({ [idField]: id, pageToken }, options);
      items.push(...page[itemsField]);
      if (page.nextPageToken === '') return items;
      if (page.nextPageToken === pageToken) {
        // It would never end.
        throw new OmnirouteError(Status.INTERNAL, `the server gave back the page token it was sent (${JSON.stringify(pageToken)})`, { method: rpc });
      }
      pageToken = page.nextPageToken;
    }
  };
}
for (const [method, service, rpc, argument] of STREAMS) {
  Client.prototype[method] = function streamMethod(value, options) {
    return this.stream_(method, service, rpc, argument, value, options);
  };
}

module.exports = { Client, UNARY, STREAMS, WHOLE_LISTS };
