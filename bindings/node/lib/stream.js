'use strict';
// A server stream as an async iterator: `for await (const x of stream)`.
// Leaving the loop (break, return, throw) cancels the call; a call the server
// ends with an error makes the loop throw an OmnirouteError.
//
// A break of the connection (UNAVAILABLE, or CANCELLED by the server) does
// not end the stream: it opens the call again, on the tenant's owner when a
// node names it, else on the client's next address, for up to the policy's
// streamBudgetMs per break. The change feed resumes from the last sequence
// received + 1 (nothing missed, nothing repeated); an agent's offers are
// subscribed to again (an offer already reported and still open is not
// reported twice); queue statistics are subscribed to again (the first update
// again holds every queue asked for); ExportCustomer starts again only before
// its first record.

const { status: grpcStatus } = require('@grpc/grpc-js');
const { OmnirouteError } = require('./errors');
const retry = require('./retry');

// Messages received but not yet taken; past this the call is paused, so a
// slow consumer pushes back on the server rather than filling memory.
const HIGH_WATER = 256;
const LOW_WATER = 64;

// A reopened call that lived this long was serving: its break is a new one,
// with a fresh budget.
const SETTLED_MS = 1000;

// What a stream resumes from. This base starts again only before its first
// message (ExportCustomer).
class Resume {
  constructor() {
    this.received_ = false;
  }

  request(request) {
    return request;
  }

  // Records a message; false to drop it (already delivered).
  keep() {
    this.received_ = true;
    return true;
  }

  resumable() {
    return !this.received_;
  }
}

// The change feed: from the last sequence received + 1; nothing twice.
class ResumeEvents extends Resume {
  constructor() {
    super();
    this.last = 0n;
  }

  request(request) {
    if (this.last === 0n) return request;
    return { ...request, fromSequence: (this.last + 1n).toString() };
  }

  keep(event) {
    const sequence = BigInt(event.sequence);
    if (sequence <= this.last) return false;
    this.last = sequence;
    return true;
  }

  resumable() {
    return true;
  }
}

// A stream whose first message says it all again (queue statistics: every
// queue asked for): subscribed to again.
class ResumeAgain extends Resume {
  resumable() {
    return true;
  }
}

// An agent's offers: subscribed to again; an open offer reported once.
class ResumeOffers extends Resume {
  constructor() {
    super();
    this.open_ = new Set();
  }

  keep(update) {
    const taskId = update.task ? update.task.taskId : null;
    if (update.kind === 'OFFERED') {
      if (this.open_.has(taskId)) return false;
      this.open_.add(taskId);
    } else {
      this.open_.delete(taskId);
    }
    return true;
  }

  resumable() {
    return true;
  }
}

// The calls a stream reads, one after the other: where each is opened, and
// when.
class Attempts {
  // connection: the client's; open(address, request): a grpc-js call.
  constructor({ connection, tenant, open, request, resume }) {
    this.connection_ = connection;
    this.tenant_ = tenant;
    this.open_ = open;
    this.request_ = request;
    this.resume = resume;
    this.address = connection.first(tenant);
    this.reconnects = 0;
    this.opens_ = 0;
    this.openedAt_ = 0;
    this.delivered_ = false;
    this.breakStart_ = null;
    this.tried_ = new Set();
    this.backoffMs_ = 0;
  }

  open() {
    const call = this.open_(this.address, this.resume.request(this.request_));
    if (this.opens_ > 0) this.reconnects += 1;
    this.opens_ += 1;
    this.tried_.add(this.address);
    this.openedAt_ = Date.now();
    this.delivered_ = false;
    return call;
  }

  // Records a converted message; false to drop it.
  keep(item) {
    if (!this.delivered_) {
      this.delivered_ = true;
      this.connection_.served(this.tenant_, this.address);
    }
    return this.resume.keep(item);
  }

  // The milliseconds to wait before the next open(), or null: the stream
  // ends with `error`.
  retryAfter(error) {
    const policy = this.connection_.policy;
    if (policy === null || this.connection_.closed || !retry.retryableCode(error.code)) return null;
    if (!this.resume.resumable()) return null;
    const now = Date.now();
    if (this.breakStart_ === null || this.delivered_ || now - this.openedAt_ >= SETTLED_MS) {
      // A new break: a fresh budget.
      this.breakStart_ = now;
      this.backoffMs_ = policy.initialBackoffMs;
      this.tried_ = new Set([this.address]);
    }
    const left = this.breakStart_ + policy.streamBudgetMs - now;
    if (left <= 0) return null;
    const hint = error.code === grpcStatus.UNAVAILABLE ? retry.ownerHint(error) : null;
    this.address = hint || this.connection_.nextAddress(this.address);
    if (!this.tried_.has(this.address)) return 0;
    // Every address of this round failed: wait before the next one.
    const pause = retry.pauseMs(policy, this.backoffMs_);
    this.backoffMs_ = retry.nextBackoffMs(policy, this.backoffMs_);
    this.tried_ = new Set();
    return Math.min(pause, left);
  }
}

class ServerStream {
  // attempts: an Attempts; convert: wire object → caller's.
  constructor(attempts, convert, method, onClose) {
    this.method = method;
    this.attempts_ = attempts;
    this.convert_ = convert;
    this.onClose_ = onClose;
    this.buffer_ = [];
    this.waiters_ = [];
    this.error_ = null;
    this.done_ = false;
    this.cancelled_ = false;
    this.paused_ = false;
    this.reported_ = false;
    this.call_ = null;
    // Each call's events are handled only while it is the stream's current one.
    this.generation_ = 0;
    this.timer_ = null;
    this.start_();
  }

  // The server address the stream reads from now (or tried last).
  get address() {
    return this.attempts_.address;
  }

  // How many times the stream was opened again after a break.
  get reconnects() {
    return this.attempts_.reconnects;
  }

  start_() {
    this.timer_ = null;
    if (this.done_) return;
    let call;
    try {
      call = this.attempts_.open();
    } catch (e) {
      this.fail_(OmnirouteError.from(e, this.method));
      return;
    }
    this.call_ = call;
    this.paused_ = false;
    const generation = ++this.generation_;
    const current = () => generation === this.generation_ && !this.done_;

    call.on('data', (message) => {
      if (!current()) return;
      let item;
      try {
        item = this.convert_(message);
      } catch (e) {
        this.fail_(OmnirouteError.from(e, this.method));
        call.cancel();
        return;
      }
      if (!this.attempts_.keep(item)) return;
      const waiter = this.waiters_.shift();
      if (waiter) {
        waiter.resolve({ value: item, done: false });
        return;
      }
      this.buffer_.push(item);
      if (this.buffer_.length >= HIGH_WATER && !this.paused_) {
        this.paused_ = true;
        call.pause();
      }
    });
    // grpc-js emits 'error' (non-OK status) before 'end'; the end comes once
    // every message received has been delivered. Then the stream ends, or
    // opens the call again after a break.
    let failed = null;
    let settled = false;
    call.on('error', (error) => {
      if (!current()) return;
      if (this.cancelled_ && error.code === grpcStatus.CANCELLED) return;
      failed = error;
    });
    const ended = () => {
      if (!current() || settled) return;
      settled = true;
      if (failed === null) {
        this.finish_();
        return;
      }
      // The call is no longer the stream's: open another, or end.
      this.generation_ += 1;
      const waitMs = this.attempts_.retryAfter(failed);
      if (waitMs === null) {
        this.fail_(OmnirouteError.from(failed, this.method));
        return;
      }
      this.timer_ = setTimeout(() => this.start_(), waitMs);
    };
    call.on('end', ended);
    call.on('close', ended);
  }

  // Cancels the call; a pending or later next() reports the end.
  cancel() {
    if (this.cancelled_) return;
    this.cancelled_ = true;
    this.buffer_ = [];
    if (this.timer_ !== null) clearTimeout(this.timer_);
    this.timer_ = null;
    if (this.call_) this.call_.cancel();
    this.finish_();
  }

  next() {
    if (this.buffer_.length > 0) {
      const value = this.buffer_.shift();
      if (this.paused_ && this.buffer_.length <= LOW_WATER) {
        this.paused_ = false;
        this.call_.resume();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done_) {
      const error = this.takeError_();
      return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiters_.push({ resolve, reject }));
  }

  return() {
    this.cancel();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error) {
    this.cancel();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  // The error that ended the call, once; null after that, or if the caller
  // cancelled.
  takeError_() {
    if (!this.error_ || this.cancelled_ || this.reported_) return null;
    this.reported_ = true;
    return this.error_;
  }

  fail_(error) {
    if (!this.error_) this.error_ = error;
    this.finish_();
  }

  finish_() {
    if (this.done_) return;
    this.done_ = true;
    if (this.timer_ !== null) clearTimeout(this.timer_);
    this.timer_ = null;
    if (this.onClose_) this.onClose_(this);
    // Waiters exist only while the buffer is empty: each gets the end, the
    // first the error if there is one.
    const waiters = this.waiters_;
    this.waiters_ = [];
    for (const w of waiters) {
      const error = this.takeError_();
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }
}

module.exports = { ServerStream, Attempts, Resume, ResumeAgain, ResumeEvents, ResumeOffers };
