'use strict';
// TLS and bearer tokens against a real omniroute-server. The certificates are
// made by the openssl command in a temporary directory (a CA, a server
// certificate for IP 127.0.0.1, a client certificate, and a second CA that
// signed none of them); the API keys by `omniroute-server --new_api_key`. One
// server speaks TLS and requires credentials (--api_keys); another one also
// requires a client certificate (--tls_client_ca).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client, OmnirouteError, Status, email } = require('..');
const { startServer, nextWithin } = require('./support/server');
const { DroppingProxy, refusedAddress } = require('./support/faults');
const { makeCertificates, newApiKey } = require('./support/tls');

const WAIT_MS = 10000;
const TENANT = 'acme';

let dir;
let certs;
let keysFile;
const keys = {};

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omniroute-node-security-'));
  certs = makeCertificates(dir);
  const entries = [];
  for (const [name, spec] of [
    ['admin', 'root:admin:*'],
    ['acme', 'crm:integration:acme'],
    ['other', 'erp:integration:other'],
  ]) {
    const { token, entry } = newApiKey(spec);
    keys[name] = token;
    entries.push(entry);
  }
  keysFile = path.join(dir, 'keys.textproto');
  fs.writeFileSync(keysFile, entries.join(''));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function tlsServer(...extra) {
  return startServer({ args: [`--tls_cert=${certs.serverCert}`, `--tls_key=${certs.serverKey}`, `--api_keys=${keysFile}`, ...extra] });
}

async function rejectsWith(promise, codeName) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${codeName}, the call succeeded`);
  assert.ok(error instanceof OmnirouteError, `expected an OmnirouteError, got ${error}`);
  assert.equal(error.codeName, codeName, error.message);
  assert.equal(error.code, Status[codeName]);
  return error;
}

// The events of `stream` up to sequence `last`, each waited for at most WAIT_MS.
async function readThrough(stream, last) {
  const got = [];
  while (got.length === 0 || BigInt(got[got.length - 1].sequence) < BigInt(last)) {
    const { value, done } = await nextWithin(stream, WAIT_MS, `event ${last}`);
    assert.equal(done, false, 'the stream ended');
    got.push(value);
  }
  return got;
}

function ingest(c, n) {
  return c.ingest({ channel: 'EMAIL', sender: email(`${n}@example.com`), externalId: `<${n}@example.com>`, body: `message ${n}` });
}

describe('TLS and a token', () => {
  let server;
  const client = (options) => server.client(TENANT, { timeoutMs: WAIT_MS, ...options });

  before(async () => {
    server = await tlsServer();
    await client({ tlsCa: certs.ca, token: keys.admin }).createTenant();
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0, 'the server stops cleanly on SIGTERM');
  });

  it('makes unary calls and a stream work with the right CA and token', async () => {
    const c = client({ tlsCa: certs.ca, token: keys.acme });
    const r = await ingest(c, 'u1');
    assert.equal(r.customerCreated, true);
    assert.equal((await c.getCustomer(r.customerId)).customerId, r.customerId);
    const stream = c.watch({ fromSequence: 1 });
    try {
      const first = await nextWithin(stream, WAIT_MS, 'the first event');
      assert.equal(first.value.sequence, '1');
      const later = await ingest(c, 'u2');
      const got = await readThrough(stream, await c.lastSequence());
      const recorded = got.filter((e) => e.payload === 'messageRecorded').map((e) => e.messageRecorded.messageId);
      assert.ok(recorded.includes(later.messageId), 'the stream delivers the ingest made meanwhile');
    } finally {
      stream.cancel();
    }
  });

  it('takes the CA as a Buffer of PEM', async () => {
    const c = client({ tlsCa: fs.readFileSync(certs.ca), token: keys.acme });
    assert.ok(BigInt(await c.lastSequence()) > 0n);
  });

  it('answers UNAUTHENTICATED without a token, to a unary call and a stream', async () => {
    const c = client({ tlsCa: certs.ca });
    await rejectsWith(c.lastSequence(), 'UNAUTHENTICATED');
    const stream = c.watch({ fromSequence: 1 });
    const e = await rejectsWith(nextWithin(stream, WAIT_MS, 'the error'), 'UNAUTHENTICATED');
    assert.equal(e.method, 'WatchEvents');
  });

  it('answers UNAUTHENTICATED to a key it does not know', async () => {
    const token = keys.acme.slice(0, -4) + (keys.acme.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await rejectsWith(client({ tlsCa: certs.ca, token }).lastSequence(), 'UNAUTHENTICATED');
  });

  it('answers PERMISSION_DENIED to a token of another tenant', async () => {
    const c = client({ tlsCa: certs.ca, token: keys.other });
    const e = await rejectsWith(c.lastSequence(), 'PERMISSION_DENIED');
    assert.equal(e.method, 'GetLastSequence');
    await rejectsWith(ingest(c, 'denied'), 'PERMISSION_DENIED');
    const stream = c.watch({ fromSequence: 1 });
    await rejectsWith(nextWithin(stream, WAIT_MS, 'the error'), 'PERMISSION_DENIED');
  });

  it('fails UNAVAILABLE with a CA that did not sign the server certificate', async () => {
    const c = client({ tlsCa: certs.otherCa, token: keys.acme, retry: false });
    await rejectsWith(c.lastSequence(), 'UNAVAILABLE');
  });

  it('fails UNAVAILABLE in plain text to a TLS server', async () => {
    const c = client({ token: keys.acme, retry: false }); // loopback: allowed
    await rejectsWith(c.lastSequence(), 'UNAVAILABLE');
  });

  it('sends the token with a retry on the next address', async () => {
    const c = new Client([await refusedAddress(), server.address], { tenant: TENANT, tlsCa: certs.ca, token: keys.acme, timeoutMs: WAIT_MS });
    try {
      assert.ok(BigInt(await c.lastSequence()) > 0n);
      const stream = c.watch({ fromSequence: 1 });
      try {
        assert.equal((await nextWithin(stream, WAIT_MS, 'the first event')).value.sequence, '1');
        assert.equal(stream.address, server.address);
      } finally {
        stream.cancel();
      }
    } finally {
      c.close();
    }
  });

  it('sends the token when a stream reconnects', async () => {
    const proxy = await DroppingProxy.start(server.address, { frames: false });
    const c = new Client(proxy.address, { tenant: TENANT, tlsCa: certs.ca, token: keys.acme, timeoutMs: WAIT_MS });
    try {
      const stream = c.watch({ fromSequence: 1 });
      try {
        const got = await readThrough(stream, await c.lastSequence());
        proxy.dropConnections();
        await ingest(c, 'after-drop');
        got.push(...(await readThrough(stream, await c.lastSequence())));
        assert.ok(stream.reconnects >= 1, 'the stream reconnected');
        assert.ok(proxy.dropped >= 1);
        assert.deepEqual(
          got.map((e) => Number(e.sequence)),
          got.map((_, i) => i + 1),
        );
      } finally {
        stream.cancel();
      }
    } finally {
      c.close();
      proxy.close();
    }
  });
});

describe('mutual TLS', () => {
  let server;
  const client = (options) => server.client(TENANT, { tlsCa: certs.ca, token: keys.admin, timeoutMs: WAIT_MS, ...options });

  before(async () => {
    server = await tlsServer(`--tls_client_ca=${certs.ca}`);
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0, 'the server stops cleanly on SIGTERM');
  });

  it('fails without a client certificate', async () => {
    await rejectsWith(client({ retry: false }).ping({ payload: Buffer.from('x') }), 'UNAVAILABLE');
  });

  it('works with a client certificate', async () => {
    const c = client({ tlsCert: certs.clientCert, tlsKey: certs.clientKey });
    assert.equal((await c.ping({ payload: Buffer.from('mtls') })).toString(), 'mtls');
    assert.ok(Array.isArray(await c.listTenants()));
  });

  it('takes the certificate and key as Buffers of PEM', async () => {
    const c = client({ tlsCert: fs.readFileSync(certs.clientCert), tlsKey: fs.readFileSync(certs.clientKey) });
    assert.equal((await c.ping({ payload: Buffer.from('bytes') })).toString(), 'bytes');
  });
});

describe('what the client refuses before sending anything', () => {
  function refused(address, options) {
    let error = null;
    try {
      new Client(address, { tenant: TENANT, ...options }).close();
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof OmnirouteError, `expected an OmnirouteError, got ${error}`);
    assert.equal(error.codeName, 'INVALID_ARGUMENT', error.message);
    assert.equal(error.local, true);
    return error;
  }

  it('refuses a token over plain text to another machine', () => {
    for (const address of ['10.0.0.5:50051', 'omniroute.example.com:443', 'dns:///omniroute.example.com:443', '[2001:db8::1]:50051']) {
      const e = refused(address, { token: 'omr_x_secret' });
      assert.match(e.details, /plain text/);
      assert.ok(e.details.includes(address), e.details);
    }
  });

  it('checks every address of a list', () => {
    const e = refused(['127.0.0.1:50051', '10.0.0.6:50051'], { token: 'omr_x_y' });
    assert.ok(e.details.includes('10.0.0.6:50051'));
    assert.ok(!e.details.includes('127.0.0.1:50051'));
  });

  it('allows a token over plain text on loopback', () => {
    for (const address of ['127.0.0.1:50051', '127.0.0.2:50051', 'localhost:50051', '[::1]:50051', 'dns:///localhost:50051', 'unix:/tmp/omniroute.sock']) {
      new Client(address, { token: 'omr_x_secret' }).close();
    }
  });

  it('lets a token go to another machine over TLS, or with insecure', () => {
    new Client('10.0.0.5:50051', { token: 'omr_x_y', tlsCa: certs.ca }).close();
    new Client('10.0.0.5:50051', { token: 'omr_x_y', tls: true }).close();
    new Client('10.0.0.5:50051', { token: 'omr_x_y', insecure: true }).close();
    new Client('10.0.0.5:50051').close(); // no token: plain text is the caller's choice
  });

  it('names a missing CA file', () => {
    const missing = path.join(dir, 'no-such-ca.pem');
    const e = refused('127.0.0.1:1', { tlsCa: missing });
    assert.equal(e.details, `tlsCa: cannot read ${missing}: no such file or directory (ENOENT)`);
  });

  it('names an unreadable CA file', () => {
    const e = refused('127.0.0.1:1', { tlsCa: dir }); // a directory
    assert.equal(e.details, `tlsCa: cannot read ${dir}: is a directory (EISDIR)`);
  });

  it('names a file without a certificate or key', () => {
    assert.equal(refused('127.0.0.1:1', { tlsCa: keysFile }).details, `tlsCa: ${keysFile} holds no PEM certificate`);
    const e = refused('127.0.0.1:1', { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientCert });
    assert.equal(e.details, `tlsKey: ${certs.clientCert} holds no PEM private key`);
  });

  it('refuses a certificate without its key', () => {
    assert.match(refused('127.0.0.1:1', { tlsCa: certs.ca, tlsCert: certs.clientCert }).details, /^tlsCert, tlsKey: give both/);
  });

  it('refuses a token that cannot be a header', () => {
    assert.match(refused('127.0.0.1:1', { token: 'two words' }).details, /^token:/);
    assert.match(refused('127.0.0.1:1', { token: '' }).details, /^token:/);
  });
});
