'use strict';
// Client: the omniroute.v1 API of one server, for one tenant, as promises and
// async iterators.

const grpc = require('@grpc/grpc-js');
const { Schema } = require('./schema');
const { OmnirouteError, Status } = require('./errors');
const { ServerStream } = require('./stream');

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
  ['upsertAgent', 'RoutingService', 'UpsertAgent', 'agent'],
  ['getAgent', 'RoutingService', 'GetAgent', 'agentId'],
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

// What the connection is: shared by a Client and the views forTenant makes.
class Connection {
  constructor(address, options) {
    this.schema = schemaFor(options.protoRoot || process.env.OMNIROUTE_PROTO_DIR);
    this.timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs;
    const credentials = options.credentials || grpc.credentials.createInsecure();
    const channelOptions = options.channelOptions || {};
    this.stubs = {};
    let channel = null;
    for (const name of SERVICES) {
      const Stub = grpc.makeGenericClientConstructor(this.schema.service(name), name);
      const stub = channel
        ? new Stub(address, credentials, { ...channelOptions, channelOverride: channel })
        : new Stub(address, credentials, channelOptions);
      channel = channel || stub.getChannel();
      this.stubs[name] = stub;
    }
    this.channel = channel;
    this.streams = new Set();
    this.closed = false;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams]) s.cancel();
    this.channel.close();
  }
}

class Client {
  // address: 'host:port'. options.tenant: the tenant every call is for.
  constructor(address, options = {}) {
    if (address instanceof Connection) {
      this.connection_ = address;
    } else {
      if (typeof address !== 'string' || address === '') {
        throw new TypeError('omniroute: Client needs the server address, as host:port');
      }
      this.connection_ = new Connection(address, options);
    }
    this.tenant = options.tenant === undefined ? null : options.tenant;
  }

  // A client for another tenant on the same connection.
  forTenant(tenant) {
    return new Client(this.connection_, { tenant });
  }

  // Resolves once the channel is connected; rejects with DEADLINE_EXCEEDED
  // after timeoutMs.
  waitForReady(timeoutMs = 10000) {
    const stub = this.connection_.stubs.DiagnosticsService;
    return new Promise((resolve, reject) => {
      stub.waitForReady(Date.now() + timeoutMs, (error) => {
        if (!error) resolve();
        else reject(new OmnirouteError(Status.DEADLINE_EXCEEDED, `not connected after ${timeoutMs} ms: ${error.message}`, { local: true, cause: error }));
      });
    });
  }

  // Cancels the open streams and closes the connection (shared with the
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

  callOptions_(options, stream) {
    const out = {};
    const timeoutMs = options && options.timeoutMs !== undefined ? options.timeoutMs : stream ? 0 : this.connection_.timeoutMs;
    if (timeoutMs) out.deadline = Date.now() + timeoutMs;
    return out;
  }

  metadata_(options) {
    const metadata = new grpc.Metadata();
    if (options && options.metadata) {
      for (const [k, v] of Object.entries(options.metadata)) metadata.set(k, v);
    }
    return metadata;
  }

  unary_(method, service, rpc, argument, value, options) {
    return new Promise((resolve, reject) => {
      if (this.connection_.closed) {
        reject(new OmnirouteError(Status.UNAVAILABLE, 'the client is closed', { method: rpc, local: true }));
        return;
      }
      const schema = this.connection_.schema;
      const definition = schema.service(service)[rpc];
      const responseType = schema.message(responseTypeName(definition));
      const signal = options && options.signal;
      let call = null;
      const onAbort = () => {
        if (call) call.cancel();
      };
      const done = (error, response) => {
        if (signal) signal.removeEventListener('abort', onAbort);
        if (error) {
          reject(OmnirouteError.from(error, rpc));
          return;
        }
        try {
          resolve(unwrap(responseType, schema.fromWire(responseType, response)));
        } catch (e) {
          reject(OmnirouteError.from(e, rpc));
        }
      };
      try {
        const request = this.request_(method, rpc, service, argument, value);
        call = this.connection_.stubs[service][rpc](request, this.metadata_(options), this.callOptions_(options, false), done);
      } catch (e) {
        reject(OmnirouteError.from(e, rpc));
        return;
      }
      if (signal) {
        if (signal.aborted) call.cancel();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  stream_(method, service, rpc, argument, value, options) {
    if (this.connection_.closed) {
      throw new OmnirouteError(Status.UNAVAILABLE, 'the client is closed', { method: rpc, local: true });
    }
    const schema = this.connection_.schema;
    const definition = schema.service(service)[rpc];
    const responseType = schema.message(responseTypeName(definition));
    const signal = options && options.signal;
    let call;
    try {
      const request = this.request_(method, rpc, service, argument, value);
      call = this.connection_.stubs[service][rpc](request, this.metadata_(options), this.callOptions_(options, true));
    } catch (e) {
      throw OmnirouteError.from(e, rpc);
    }
    const streams = this.connection_.streams;
    const onAbort = () => stream.cancel();
    const stream = new ServerStream(call, (m) => schema.fromWire(responseType, m), rpc, (s) => {
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
