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

module.exports = { OmnirouteError, Status, STATUS_NAMES };
