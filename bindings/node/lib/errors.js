'use strict';
// OmnirouteError: the one error class every call of the client rejects with.

const { status: grpcStatus } = require('@grpc/grpc-js');

// gRPC status codes by name (Status.INVALID_ARGUMENT === 3) and names by code.
const Status = Object.freeze({ ...grpcStatus });
const STATUS_NAMES = Object.freeze(
  Object.fromEntries(Object.entries(grpcStatus).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k])),
);

// The server's messages start with the field they are about:
// "external_id: required", "agent.skills[0].level: 11 is above 10".
const FIELD_PREFIX = /^([A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])*)*): /;

class OmnirouteError extends Error {
  // code: a gRPC status code (a number); details: the server's message.
  constructor(code, details, { method = null, metadata = null, local = false, outcomeUnknown = false, cause } = {}) {
    const codeName = STATUS_NAMES[code] || `CODE_${code}`;
    const unknown = outcomeUnknown ? ' (the call may have been applied)' : '';
    super(`${method ? `${method}: ` : ''}${codeName}: ${details}${unknown}`, cause ? { cause } : undefined);
    this.name = 'OmnirouteError';
    // The gRPC status code as a number (3) and its name ('INVALID_ARGUMENT').
    this.code = code;
    this.codeName = codeName;
    // The server's message, which names the field and the reason.
    this.details = details;
    // The field the message names ('external_id', 'agent.skills[0].level'),
    // as the server spells it; null when the message names none.
    const match = FIELD_PREFIX.exec(details || '');
    this.field = match ? match[1] : null;
    // The RPC ('IngestMessage'), when the error came from one.
    this.method = method;
    // The trailing metadata the server sent, if any.
    this.metadata = metadata;
    // True when the client refused the request before sending it.
    this.local = local;
    // True when the call may have been applied although it failed: the
    // connection dropped after it was sent, and the call is not one the
    // client repeats safely (README.md, "Several addresses").
    this.outcomeUnknown = outcomeUnknown;
    // Seconds to wait before trying again, when the server said so: a call
    // refused RESOURCE_EXHAUSTED because its tenant is over the server's
    // per-tenant limits (the google.rpc.RetryInfo of the status details).
    // null otherwise.
    this.retryDelay = retryDelayOf(metadata);
  }

  // A grpc-js error (or any error) → an OmnirouteError.
  // `extra`: { outcomeUnknown, note } (a note is appended to the details).
  static from(error, method = null, extra = {}) {
    const outcomeUnknown = Boolean(extra.outcomeUnknown);
    const note = extra.note ? ` ${extra.note}` : '';
    if (error instanceof OmnirouteError) {
      if ((method && !error.method) || outcomeUnknown || note) {
        return new OmnirouteError(error.code, `${error.details}${note}`, {
          method: error.method || method,
          metadata: error.metadata,
          local: error.local,
          outcomeUnknown: outcomeUnknown || error.outcomeUnknown,
          cause: error.cause,
        });
      }
      return error;
    }
    if (error && typeof error.code === 'number') {
      return new OmnirouteError(error.code, `${error.details || error.message}${note}`, {
        method,
        metadata: error.metadata || null,
        outcomeUnknown,
        cause: error,
      });
    }
    return new OmnirouteError(grpcStatus.UNKNOWN, (error && error.message) || String(error), { method, cause: error });
  }
}

// The status details gRPC sends in the trailing metadata: google.rpc.Status
// (proto/omniroute/v1/status_details.proto has the same fields), read here
// from the protobuf wire format so that an error needs no loaded schema.
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

// The fields of one encoded message: [{ number, value }], value a BigInt for
// a varint and a Buffer for a length-delimited field; null when malformed.
function wireFields(buffer) {
  const fields = [];
  let at = 0;
  const varint = () => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= buffer.length) return null;
      const byte = buffer[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    return null;
  };
  while (at < buffer.length) {
    const key = varint();
    if (key === null) return null;
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === 0) {
      const value = varint();
      if (value === null) return null;
      fields.push({ number, value });
    } else if (wireType === 2) {
      const length = varint();
      if (length === null || at + Number(length) > buffer.length) return null;
      fields.push({ number, value: buffer.subarray(at, at + Number(length)) });
      at += Number(length);
    } else if (wireType === 1 || wireType === 5) {
      at += wireType === 1 ? 8 : 4;
      if (at > buffer.length) return null;
    } else {
      return null;
    }
  }
  return fields;
}

// The retry delay in seconds of a call's trailing metadata, or null.
function retryDelayOf(metadata) {
  if (!metadata || typeof metadata.get !== 'function') return null;
  for (const encoded of metadata.get(STATUS_DETAILS_KEY)) {
    const status = wireFields(Buffer.isBuffer(encoded) ? encoded : Buffer.from(encoded));
    for (const detail of (status || []).filter((f) => f.number === 3 && Buffer.isBuffer(f.value))) {
      const any = wireFields(detail.value) || [];
      const url = any.find((f) => f.number === 1 && Buffer.isBuffer(f.value));
      const value = any.find((f) => f.number === 2 && Buffer.isBuffer(f.value));
      if (!url || url.value.toString('utf8') !== RETRY_INFO_TYPE_URL) continue;
      const info = wireFields(value ? value.value : Buffer.alloc(0)) || [];
      const delay = info.find((f) => f.number === 1 && Buffer.isBuffer(f.value));
      const duration = wireFields(delay ? delay.value : Buffer.alloc(0)) || [];
      const seconds = duration.find((f) => f.number === 1 && typeof f.value === 'bigint');
      const nanos = duration.find((f) => f.number === 2 && typeof f.value === 'bigint');
      return Number(seconds ? seconds.value : 0n) + Number(nanos ? nanos.value : 0n) / 1e9;
    }
  }
  return null;
}

module.exports = { OmnirouteError, Status, STATUS_NAMES, retryDelayOf };
