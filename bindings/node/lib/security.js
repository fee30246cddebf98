'use strict';
// TLS and the bearer token of a Client: the credentials its channels are made
// with, and the interceptor that puts `authorization: Bearer <token>` on every
// call they carry.

const fs = require('node:fs');
const net = require('node:net');
const grpc = require('@grpc/grpc-js');
const { OmnirouteError, Status } = require('./errors');

const CERTIFICATE = '-----BEGIN CERTIFICATE-----';
const PRIVATE_KEY = 'PRIVATE KEY-----';

function refused(message) {
  return new OmnirouteError(Status.INVALID_ARGUMENT, message, { local: true });
}

// A path → the file's bytes; a Buffer (or Uint8Array) of PEM as it is.
// Throws an OmnirouteError naming `name`, the file and the reason.
function readPem(value, name, marker, what) {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) {
    const data = Buffer.from(value);
    if (!data.includes(marker)) throw refused(`${name}: the bytes given hold no PEM ${what}`);
    return data;
  }
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw refused(`${name}: expected a file path or a Buffer of PEM, got ${typeof value}`);
  }
  const path = value instanceof URL ? value.pathname : value;
  let data;
  try {
    data = fs.readFileSync(value);
  } catch (e) {
    throw refused(`${name}: cannot read ${path}: ${describeFsError(e)}`);
  }
  if (!data.includes(marker)) throw refused(`${name}: ${path} holds no PEM ${what}`);
  return data;
}

const FS_REASONS = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

function describeFsError(e) {
  const reason = FS_REASONS[e.code];
  return reason ? `${reason} (${e.code})` : e.message;
}

// The channels' credentials: options.credentials as given, TLS from
// tls/tlsCa/tlsCert/tlsKey, or null (plain text).
function channelCredentials(options) {
  const { credentials, tls, tlsCa, tlsCert, tlsKey } = options;
  const given = (v) => v !== undefined && v !== null;
  const usesTls = Boolean(tls) || given(tlsCa) || given(tlsCert) || given(tlsKey);
  if (given(credentials)) {
    if (usesTls) throw refused('credentials: give either credentials or tls/tlsCa/tlsCert/tlsKey, not both');
    if (!(credentials instanceof grpc.ChannelCredentials)) {
      throw refused('credentials: expected grpc.ChannelCredentials (grpc.credentials.createSsl(...))');
    }
    return credentials;
  }
  if (!usesTls) return null;
  if (given(tlsCert) !== given(tlsKey)) {
    throw refused('tlsCert, tlsKey: give both (the client certificate and its key), or neither');
  }
  const ca = readPem(tlsCa, 'tlsCa', CERTIFICATE, 'certificate');
  const cert = readPem(tlsCert, 'tlsCert', CERTIFICATE, 'certificate');
  const key = readPem(tlsKey, 'tlsKey', PRIVATE_KEY, 'private key');
  // No CA: Node's trusted roots (grpc-js's default).
  return grpc.credentials.createSsl(ca, key, cert);
}

// The `authorization` value for `token` ('Bearer <token>'), or null.
function bearer(token) {
  if (token === undefined || token === null) return null;
  if (typeof token !== 'string') throw refused(`token: expected a string, got ${typeof token}`);
  if (token === '') throw refused('token: empty (leave it out for no credential)');
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw refused('token: only printable ASCII without spaces may be sent in a header (an API key or a JWT is)');
  }
  return `Bearer ${token}`;
}

// The host of a gRPC target ('10.0.0.5:50051', 'dns:///h:1', '[::1]:1',
// 'ipv4:127.0.0.1:1'), or null for a local socket ('unix:/path').
function hostOf(address) {
  let target = address.trim();
  const lowered = target.toLowerCase();
  if (lowered.startsWith('unix:') || lowered.startsWith('unix-abstract:') || lowered.startsWith('vsock:')) return null;
  for (const scheme of ['dns:', 'ipv4:', 'ipv6:']) {
    if (lowered.startsWith(scheme)) {
      target = target.slice(scheme.length);
      if (target.startsWith('//')) {
        // dns://authority/host:port: the authority is the DNS server.
        const rest = target.slice(2);
        const slash = rest.indexOf('/');
        target = slash >= 0 ? rest.slice(slash + 1) : rest;
      }
      target = target.split(',')[0]; // ipv4:a:1,b:2: the first one
      break;
    }
  }
  if (target.startsWith('[')) {
    const end = target.indexOf(']');
    return end > 0 ? target.slice(1, end) : target;
  }
  if (target.split(':').length > 2) return target; // IPv6 without brackets (and port)
  const colon = target.lastIndexOf(':');
  return colon >= 0 ? target.slice(0, colon) : target;
}

// True when `address` is on this machine: localhost, 127.0.0.0/8, ::1, or a
// unix socket.
function isLoopback(address) {
  const raw = hostOf(address);
  if (raw === null) return true;
  const host = raw.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.split('.')[0] === '127';
  if (net.isIPv6(host)) {
    // The URL parser writes an IPv6 address in its shortest form.
    const short = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    if (short === '::1') return true;
    const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(short); // ::ffff:127.x.y.z
    return Boolean(mapped) && (parseInt(mapped[1], 16) >> 8) === 127;
  }
  return false;
}

// Refuses a token that would travel in clear text to another machine.
function checkPlaintextToken(addresses, plaintext, hasToken, insecure) {
  if (!plaintext || !hasToken || insecure) return;
  const remote = addresses.filter((a) => !isLoopback(a));
  if (remote.length > 0) {
    throw refused(
      `token: refused over plain text to ${remote.join(', ')} (not a loopback address): ` +
        'the credential would travel in clear text; give tlsCa (or tls: true) for TLS, ' +
        'or insecure: true if something else encrypts the link',
    );
  }
}

// A grpc-js client interceptor that sets `authorization` on every call.
function bearerInterceptor(value) {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}

module.exports = { channelCredentials, bearer, bearerInterceptor, checkPlaintextToken, isLoopback, hostOf };
