'use strict';
// The omniroute.v1 schema as the client sees it: the .proto files loaded at
// run time with @grpc/proto-loader, and the conversions between the objects
// callers write and the objects proto-loader encodes.
//
// Conventions (the same on the way in and on the way out):
//   - field names are lowerCamelCase (externalId, not external_id);
//   - enums are strings without their type's prefix ('EMAIL' for
//     CHANNEL_EMAIL, 'OFFERED' for OfferUpdate.KIND_OFFERED); the full proto
//     name and the number are accepted too;
//   - 64-bit integers (ids, sequences, reach) are decimal strings; numbers
//     and bigints are accepted;
//   - google.protobuf.Timestamp is a Date (a number of milliseconds since the
//     epoch, an ISO 8601 string or {seconds, nanos} are accepted);
//   - google.protobuf.Duration is a number of milliseconds ('90s', '1h30m',
//     '500ms' or {seconds, nanos} are accepted);
//   - a message field that is not set is null; a repeated field is an array.
//
// Requests are checked before they are sent: an unknown field, a value of the
// wrong type or an unknown enum name is an INVALID_ARGUMENT OmnirouteError
// that names the field, rather than a value silently dropped.

const path = require('node:path');
const protoLoader = require('@grpc/proto-loader');
const { OmnirouteError, Status } = require('./errors');

const PACKAGE = 'omniroute.v1';
const SERVICE_FILE = 'omniroute/v1/service.proto';
const DEFAULT_PROTO_ROOT = path.resolve(__dirname, '..', '..', '..', 'proto');

const LOADER_OPTIONS = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
});

const TIMESTAMP = 'google.protobuf.Timestamp';
const DURATION = 'google.protobuf.Duration';
const LONG_TYPES = new Set(['TYPE_INT64', 'TYPE_UINT64', 'TYPE_SINT64', 'TYPE_FIXED64', 'TYPE_SFIXED64']);
const UNSIGNED_LONG_TYPES = new Set(['TYPE_UINT64', 'TYPE_FIXED64']);
const INT_TYPES = new Set(['TYPE_INT32', 'TYPE_UINT32', 'TYPE_SINT32', 'TYPE_FIXED32', 'TYPE_SFIXED32']);
const FLOAT_TYPES = new Set(['TYPE_DOUBLE', 'TYPE_FLOAT']);

function invalid(pathText, reason) {
  return new OmnirouteError(Status.INVALID_ARGUMENT, `${pathText}: ${reason}`, { local: true });
}

// One enum: its values by full name, by short name and by number.
class EnumType {
  constructor(fullName, descriptor) {
    this.fullName = fullName;
    this.name = fullName.slice(fullName.lastIndexOf('.') + 1);
    const values = descriptor.value || [];
    const zero = values.find((v) => v.number === 0);
    // Every omniroute enum starts with <PREFIX>_UNSPECIFIED = 0.
    this.prefix = zero && zero.name.endsWith('UNSPECIFIED') ? zero.name.slice(0, -'UNSPECIFIED'.length) : '';
    this.byName = new Map();
    this.byNumber = new Map();
    this.shortNames = [];
    for (const v of values) {
      const short = this.shorten(v.name);
      this.byName.set(v.name, v.name);
      this.byName.set(short, v.name);
      this.byNumber.set(v.number, v.name);
      if (v.number !== 0) this.shortNames.push(short);
    }
  }

  shorten(fullValueName) {
    return this.prefix && fullValueName.startsWith(this.prefix)
      ? fullValueName.slice(this.prefix.length)
      : fullValueName;
  }

  // A caller's value → the full value name proto-loader encodes.
  toWire(value, at) {
    if (typeof value === 'string') {
      const full = this.byName.get(value) || this.byName.get(value.toUpperCase());
      if (full !== undefined) return full;
    } else if (typeof value === 'number' && this.byNumber.has(value)) {
      return this.byNumber.get(value);
    }
    throw invalid(at, `${JSON.stringify(value)} is not a ${this.name} (one of ${this.shortNames.join(', ')})`);
  }

  // proto-loader's value (a full name, or a number it does not know) → the
  // short name.
  fromWire(value) {
    return typeof value === 'string' ? this.shorten(value) : value;
  }
}

// One message: its fields, with the type each refers to resolved.
class MessageType {
  constructor(fullName, descriptor) {
    this.fullName = fullName;
    this.name = fullName.slice(fullName.lastIndexOf('.') + 1);
    this.descriptor = descriptor;
    this.fields = new Map();
    // Real oneofs give a virtual field naming the member that is set; the
    // synthetic ones of proto3 `optional` (named _field) are dropped.
    this.oneofNames = new Set(
      (descriptor.oneofDecl || []).map((o) => o.name).filter((n) => !n.startsWith('_')),
    );
    this.syntheticOneofs = new Set(
      (descriptor.oneofDecl || []).map((o) => o.name).filter((n) => n.startsWith('_')),
    );
  }
}

class Schema {
  // protoRoot: the folder that holds omniroute/v1/*.proto.
  constructor(protoRoot = DEFAULT_PROTO_ROOT) {
    this.protoRoot = protoRoot;
    this.definition = protoLoader.loadSync(SERVICE_FILE, { ...LOADER_OPTIONS, includeDirs: [protoRoot] });
    this.types = new Map();
    for (const [name, def] of Object.entries(this.definition)) {
      if (def && def.format === 'Protocol Buffer 3 DescriptorProto') this.addMessage(name, def.type);
      else if (def && def.format === 'Protocol Buffer 3 EnumDescriptorProto') this.types.set(name, new EnumType(name, def.type));
    }
    for (const type of this.types.values()) {
      if (type instanceof MessageType) this.resolveFields(type);
    }
  }

  addMessage(fullName, descriptor) {
    if (this.types.has(fullName)) return;
    this.types.set(fullName, new MessageType(fullName, descriptor));
    for (const nested of descriptor.nestedType || []) this.addMessage(`${fullName}.${nested.name}`, nested);
    for (const nested of descriptor.enumType || []) {
      this.types.set(`${fullName}.${nested.name}`, new EnumType(`${fullName}.${nested.name}`, nested));
    }
  }

  // Type names in proto-loader's descriptors are relative to the message's
  // scope ("Channel", "Kind") or full ("google.protobuf.Timestamp"): look
  // them up the way protoc does, innermost scope first.
  resolve(scope, typeName) {
    const name = typeName.startsWith('.') ? typeName.slice(1) : typeName;
    let prefix = scope;
    for (;;) {
      const candidate = prefix ? `${prefix}.${name}` : name;
      if (this.types.has(candidate)) return this.types.get(candidate);
      if (!prefix) break;
      const dot = prefix.lastIndexOf('.');
      prefix = dot < 0 ? '' : prefix.slice(0, dot);
    }
    throw new Error(`omniroute: cannot resolve type ${typeName} from ${scope}`);
  }

  resolveFields(type) {
    for (const f of type.descriptor.field || []) {
      const field = {
        name: f.name,
        kind: f.type,
        repeated: f.label === 'LABEL_REPEATED',
        ref: null,
      };
      if (f.type === 'TYPE_MESSAGE' || f.type === 'TYPE_ENUM') field.ref = this.resolve(type.fullName, f.typeName);
      type.fields.set(f.name, field);
    }
  }

  message(name) {
    const type = this.types.get(name.includes('.') ? name : `${PACKAGE}.${name}`);
    if (!(type instanceof MessageType)) throw new Error(`omniroute: no message ${name}`);
    return type;
  }

  service(name) {
    const service = this.definition[`${PACKAGE}.${name}`];
    if (!service) throw new Error(`omniroute: no service ${name} in ${this.protoRoot}`);
    return service;
  }

  // ---------------------------------------------------------------- requests

  // A caller's object → what proto-loader encodes. `at` names the value in
  // error messages.
  toWire(type, value, at) {
    if (value === null || value === undefined) return undefined;
    if (type.fullName === TIMESTAMP) return timestampToWire(value, at);
    if (type.fullName === DURATION) return durationToWire(value, at);
    if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date) {
      throw invalid(at, `must be an object (${type.name})`);
    }
    const out = {};
    for (const [key, v] of Object.entries(value)) {
      const field = type.fields.get(key);
      if (!field) {
        if (type.oneofNames.has(key)) continue;
        throw invalid(joinPath(at, key), `no such field in ${type.name}`);
      }
      if (v === null || v === undefined) continue;
      const fieldPath = joinPath(at, key);
      if (field.repeated) {
        if (!Array.isArray(v)) throw invalid(fieldPath, 'must be an array');
        out[key] = v.map((item, i) => this.fieldToWire(field, item, `${fieldPath}[${i}]`));
      } else {
        out[key] = this.fieldToWire(field, v, fieldPath);
      }
    }
    return out;
  }

  fieldToWire(field, value, at) {
    if (value === null || value === undefined) throw invalid(at, 'must not be null');
    if (field.kind === 'TYPE_MESSAGE') return this.toWire(field.ref, value, at);
    if (field.kind === 'TYPE_ENUM') return field.ref.toWire(value, at);
    if (LONG_TYPES.has(field.kind)) return longToWire(value, UNSIGNED_LONG_TYPES.has(field.kind), at);
    if (INT_TYPES.has(field.kind)) {
      if (!Number.isInteger(value)) throw invalid(at, `${JSON.stringify(value)} is not an integer`);
      return value;
    }
    if (FLOAT_TYPES.has(field.kind)) {
      if (typeof value !== 'number') throw invalid(at, 'must be a number');
      return value;
    }
    if (field.kind === 'TYPE_BOOL') {
      if (typeof value !== 'boolean') throw invalid(at, 'must be true or false');
      return value;
    }
    if (field.kind === 'TYPE_STRING') {
      if (typeof value !== 'string') throw invalid(at, 'must be a string');
      return value;
    }
    if (field.kind === 'TYPE_BYTES') {
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      if (value instanceof Uint8Array) return value;
      throw invalid(at, 'must be a Buffer, a Uint8Array or a string');
    }
    return value;
  }

  // ---------------------------------------------------------------- responses

  // proto-loader's object → what callers get.
  fromWire(type, value) {
    if (value === null || value === undefined) return null;
    if (type.fullName === TIMESTAMP) return timestampFromWire(value);
    if (type.fullName === DURATION) return durationFromWire(value);
    // In declaration order; a oneof member that is not set stays absent, and
    // the oneof's own name says which one is.
    const out = {};
    for (const [key, field] of type.fields) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      const v = value[key];
      if (field.repeated) {
        out[key] = (v || []).map((item) => this.fieldFromWire(field, item));
      } else {
        out[key] = this.fieldFromWire(field, v);
      }
    }
    for (const name of type.oneofNames) {
      if (Object.prototype.hasOwnProperty.call(value, name)) out[name] = value[name];
    }
    return out;
  }

  fieldFromWire(field, value) {
    if (field.kind === 'TYPE_MESSAGE') return this.fromWire(field.ref, value);
    if (field.kind === 'TYPE_ENUM') return field.ref.fromWire(value);
    return value;
  }
}

function joinPath(at, key) {
  return at ? `${at}.${key}` : key;
}

function longToWire(value, unsigned, at) {
  let text;
  if (typeof value === 'bigint') {
    text = value.toString();
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw invalid(at, `${value} is not an integer that a number holds exactly (pass a string or a bigint)`);
    }
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw invalid(at, 'must be a decimal string, a number or a bigint');
  }
  if (!/^-?\d+$/.test(text)) throw invalid(at, `${JSON.stringify(value)} is not an integer`);
  const big = BigInt(text);
  const [min, max] = unsigned ? [0n, (1n << 64n) - 1n] : [-(1n << 63n), (1n << 63n) - 1n];
  if (big < min || big > max) throw invalid(at, `${text} is out of range`);
  return big.toString();
}

function timestampToWire(value, at) {
  let ms;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') ms = Date.parse(value);
  else if (typeof value === 'object' && 'seconds' in value) {
    return { seconds: longToWire(value.seconds, false, `${at}.seconds`), nanos: value.nanos || 0 };
  } else {
    throw invalid(at, 'must be a Date, milliseconds since the epoch or an ISO 8601 string');
  }
  if (!Number.isFinite(ms)) throw invalid(at, `${JSON.stringify(value)} is not a valid time`);
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

function timestampFromWire(value) {
  const ms = Number(value.seconds) * 1000 + Math.floor((value.nanos || 0) / 1e6);
  return new Date(ms);
}

const DURATION_UNITS = { h: 3600000, m: 60000, s: 1000, ms: 1 };

// '1h30m', '90s', '1.5s', '500ms' → milliseconds.
function parseDuration(text) {
  const trimmed = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  let m;
  while ((m = re.exec(trimmed)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    matched = re.lastIndex;
  }
  return trimmed.length > 0 && matched === trimmed.length ? total : NaN;
}

function durationToWire(value, at) {
  let ms;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') ms = parseDuration(value);
  else if (typeof value === 'object' && 'seconds' in value) {
    return { seconds: longToWire(value.seconds, false, `${at}.seconds`), nanos: value.nanos || 0 };
  } else {
    throw invalid(at, "must be milliseconds or a string such as '90s', '1h30m' or '500ms'");
  }
  if (!Number.isFinite(ms)) throw invalid(at, `${JSON.stringify(value)} is not a duration`);
  const sign = ms < 0 ? -1 : 1;
  const abs = Math.abs(ms);
  const seconds = Math.floor(abs / 1000);
  const nanos = Math.round((abs - seconds * 1000) * 1e6);
  return { seconds: String(sign * seconds), nanos: sign * nanos };
}

function durationFromWire(value) {
  return Number(value.seconds) * 1000 + (value.nanos || 0) / 1e6;
}

module.exports = { Schema, DEFAULT_PROTO_ROOT, parseDuration };
