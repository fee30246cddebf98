'use strict';
// Several server addresses, and which calls the client retries on another one.
//
// A call that fails UNAVAILABLE is retried: on the address the server named in
// the trailing metadata `omniroute-owner` (a node that does not serve the
// tenant answers so, without applying the call), else on the next address of
// the list, waiting before an address already tried during the call (50 ms,
// doubling up to 1 s, ±20 % jitter), until the call's budget runs out (by
// default its timeout). README.md lists which calls are retried and why:
// reads and the commands a repeat changes nothing more with always; the other
// commands only when they surely were not applied (the owner hint, a node's
// own refusal, or no connection made).

const { status: grpcStatus } = require('@grpc/grpc-js');

const OWNER_METADATA_KEY = 'omniroute-owner';

// The budget of a call when neither the policy nor the client gives one.
const DEFAULT_BUDGET_MS = 30000;

const DEFAULT_RETRY = Object.freeze({
  initialBackoffMs: 50,
  maxBackoffMs: 1000,
  multiplier: 2,
  jitter: 0.2,
  // The longest a unary call goes on, its retries included; null: the call's
  // timeoutMs (30000 when it has none).
  budgetMs: null,
  // How long a stream keeps reconnecting after a break.
  streamBudgetMs: 30000,
});

// Calls that read: retried whatever happened to the attempt.
const READS = new Set([
  'ListTenants', 'GetCustomer', 'FindCustomer', 'ListConversations', 'ExportCustomer',
  'GetConversation', 'GetTimeline', 'GetRoutingSettings', 'GetQueue', 'GetQueueStats',
  'GetQueueStatistics', 'GetAgent', 'GetAgentStatistics', 'GetIntervalReport', 'GetTask',
  'GetConversationRouting', 'GetCommitment', 'ListCommitments', 'GetLastSequence',
  'WatchEvents', 'StreamOffers', 'WatchQueueStatistics', 'Ping',
]);

// Commands a repeat changes nothing more with: a redelivered message is
// recognised (IngestMessage), a value set again records nothing, an erased
// customer may be erased again, due timers fire once.
const IDEMPOTENT = new Set([
  'IngestMessage', 'ConfigureRouting', 'UpsertQueue', 'UpsertAgent', 'SetAgentPresence',
  'SetConversationStatus', 'EraseCustomer', 'RunDueTimers',
]);

// The starts of grpc-js's own messages for a call that never reached a server.
const NOT_SENT = ['No connection established', 'Name resolution failed'];
// The start of a node's refusal of a tenant it does not serve.
const REFUSED = 'tenant_id: ';

// Whether `rpc` may be retried after an attempt whose outcome is unknown.
// `request` is the request as sent (RecordOutbound is, with an externalId).
function isSafe(rpc, request) {
  if (READS.has(rpc) || IDEMPOTENT.has(rpc)) return true;
  if (rpc === 'RecordOutbound') return Boolean(request && request.externalId);
  return false;
}

// The address a node named as the tenant's owner, or null.
function ownerHint(error) {
  const metadata = error && error.metadata;
  if (!metadata || typeof metadata.get !== 'function') return null;
  const values = metadata.get(OWNER_METADATA_KEY);
  if (!values || values.length === 0) return null;
  const value = Buffer.isBuffer(values[0]) ? values[0].toString('utf8') : String(values[0]);
  return value || null;
}

// Whether a failed attempt surely changed nothing on any server.
function notApplied(error, hint) {
  if (hint) return true;
  const details = (error && typeof error.details === 'string' && error.details) || '';
  return NOT_SENT.some((p) => details.startsWith(p)) || details.startsWith(REFUSED);
}

// The codes a retry is considered for (CANCELLED: by the server, as a node
// that stops cancels the calls it has not started).
function retryableCode(code) {
  return code === grpcStatus.UNAVAILABLE || code === grpcStatus.CANCELLED;
}

// options.retry → the policy (null: no retries). Throws a TypeError or a
// RangeError naming the option for a bad value.
function retryPolicy(retry) {
  if (retry === false || retry === null) return null;
  if (retry === undefined || retry === true) return DEFAULT_RETRY;
  if (typeof retry !== 'object' || Array.isArray(retry)) {
    throw new TypeError('omniroute: options.retry must be an object, false or null');
  }
  for (const key of Object.keys(retry)) {
    if (!(key in DEFAULT_RETRY)) throw new TypeError(`omniroute: options.retry.${key}: no such option`);
  }
  const policy = { ...DEFAULT_RETRY, ...retry };
  const check = (ok, key, what) => {
    if (!ok) throw new RangeError(`omniroute: options.retry.${key}: ${what}, got ${policy[key]}`);
  };
  const num = (v) => typeof v === 'number' && Number.isFinite(v);
  check(num(policy.initialBackoffMs) && policy.initialBackoffMs > 0, 'initialBackoffMs', 'must be positive');
  check(num(policy.maxBackoffMs) && policy.maxBackoffMs >= policy.initialBackoffMs, 'maxBackoffMs', 'must be at least initialBackoffMs');
  check(num(policy.multiplier) && policy.multiplier >= 1, 'multiplier', 'must be at least 1');
  check(num(policy.jitter) && policy.jitter >= 0 && policy.jitter < 1, 'jitter', 'must be in [0, 1)');
  check(policy.budgetMs === null || (num(policy.budgetMs) && policy.budgetMs > 0), 'budgetMs', 'must be positive or null');
  check(num(policy.streamBudgetMs) && policy.streamBudgetMs >= 0, 'streamBudgetMs', 'must be 0 or more');
  return Object.freeze(policy);
}

// The wait before a retry: `backoffMs` with the policy's jitter.
function pauseMs(policy, backoffMs) {
  return backoffMs * (1 - policy.jitter + Math.random() * 2 * policy.jitter);
}

function nextBackoffMs(policy, backoffMs) {
  return Math.min(backoffMs * policy.multiplier, policy.maxBackoffMs);
}

// 'host:port', 'a:1,b:2' or an array of them → the addresses, in order, once each.
function parseAddresses(address) {
  let parts;
  if (typeof address === 'string') parts = address.split(',');
  else if (Array.isArray(address)) {
    for (const a of address) {
      if (typeof a !== 'string') throw new TypeError('omniroute: each server address must be a string, as host:port');
    }
    parts = address;
  } else {
    throw new TypeError('omniroute: Client needs the server address, as host:port, or an array of them');
  }
  const addresses = [];
  for (const part of parts) {
    const a = part.trim();
    if (a && !addresses.includes(a)) addresses.push(a);
  }
  if (addresses.length === 0) throw new TypeError('omniroute: Client needs the server address, as host:port');
  return addresses;
}

// Resolves after `ms`, or rejects with `abortError()` once `signal` aborts.
function sleep(ms, signal, abortError) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(abortError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

module.exports = {
  DEFAULT_RETRY,
  DEFAULT_BUDGET_MS,
  OWNER_METADATA_KEY,
  isSafe,
  ownerHint,
  notApplied,
  retryableCode,
  retryPolicy,
  pauseMs,
  nextBackoffMs,
  parseAddresses,
  sleep,
};
