'use strict';
// A server stream as an async iterator: `for await (const x of stream)`.
// Leaving the loop (break, return, throw) cancels the call; a call the server
// ends with an error makes the loop throw an OmnirouteError.

const { status: grpcStatus } = require('@grpc/grpc-js');
const { OmnirouteError } = require('./errors');

// Messages received but not yet taken; past this the call is paused, so a
// slow consumer pushes back on the server rather than filling memory.
const HIGH_WATER = 256;
const LOW_WATER = 64;

class ServerStream {
  // call: a grpc-js ClientReadableStream; convert: wire object → caller's.
  constructor(call, convert, method, onClose) {
    this.method = method;
    this.call_ = call;
    this.convert_ = convert;
    this.onClose_ = onClose;
    this.buffer_ = [];
    this.waiters_ = [];
    this.error_ = null;
    this.done_ = false;
    this.cancelled_ = false;
    this.paused_ = false;
    this.reported_ = false;

    call.on('data', (message) => {
      if (this.done_) return;
      let item;
      try {
        item = this.convert_(message);
      } catch (e) {
        this.fail_(OmnirouteError.from(e, method));
        this.call_.cancel();
        return;
      }
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
    // every message received has been delivered.
    call.on('error', (error) => {
      if (this.cancelled_ && error.code === grpcStatus.CANCELLED) return;
      if (!this.error_) this.error_ = OmnirouteError.from(error, method);
    });
    call.on('end', () => this.finish_());
    call.on('close', () => this.finish_());
  }

  // Cancels the call; a pending or later next() reports the end.
  cancel() {
    if (this.cancelled_) return;
    this.cancelled_ = true;
    this.buffer_ = [];
    this.call_.cancel();
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

module.exports = { ServerStream };
