'use strict';
// Failures for tests: an address that refuses connections, a proxy that drops
// connections, a local cluster (tools/cluster.sh). Nothing sleeps for a fixed
// time: every wait polls a condition until a deadline.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { serverBinary, PACKAGE_DIR } = require('./server');

const REPO = path.resolve(PACKAGE_DIR, '..', '..');

// Polls `condition` (sync or async) until it returns a truthy value, which it
// resolves to; rejects once `timeoutMs` has passed.
async function waitFor(condition, timeoutMs, what, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// A loopback address nothing listens on (a port bound, then closed).
function refusedAddress() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(`127.0.0.1:${port}`));
    });
  });
}

// A unix socket address whose path does not exist.
function missingUnixSocket() {
  return `unix:${path.join(os.tmpdir(), `omniroute-none-${process.pid}.sock`)}`;
}

// A TCP proxy in front of one gRPC server that drops connections on demand:
// dropConnections() closes every connection now (a stream breaks);
// dropNextAnswer() closes the connection that carries the next answer the
// server starts to send (an HTTP/2 HEADERS frame on a call's stream) instead
// of passing it on: the server handled the call, the client never hears.
// `{ frames: false }` passes the bytes through unread (a TLS connection, whose
// frames it cannot see): only dropConnections() then works.
class DroppingProxy {
  static async start(upstream, { frames = true } = {}) {
    const proxy = new DroppingProxy(upstream);
    proxy.frames_ = frames;
    await new Promise((resolve) => proxy.server_.listen(0, '127.0.0.1', resolve));
    proxy.address = `127.0.0.1:${proxy.server_.address().port}`;
    return proxy;
  }

  constructor(upstream) {
    const i = upstream.lastIndexOf(':');
    this.upstream_ = { host: upstream.slice(0, i), port: Number(upstream.slice(i + 1)) };
    this.pairs_ = new Set();
    this.dropAnswer_ = false;
    this.frames_ = true;
    this.dropped = 0;
    this.server_ = net.createServer((client) => this.accept_(client));
  }

  dropNextAnswer() {
    this.dropAnswer_ = true;
  }

  dropConnections() {
    for (const pair of [...this.pairs_]) {
      this.dropped += 1;
      this.forget_(pair);
    }
  }

  close() {
    this.server_.close();
    for (const pair of [...this.pairs_]) this.forget_(pair);
  }

  accept_(client) {
    const server = net.connect(this.upstream_);
    const pair = { client, server };
    this.pairs_.add(pair);
    const drop = () => this.forget_(pair);
    client.on('error', drop);
    server.on('error', drop);
    client.on('close', drop);
    server.on('close', drop);
    client.on('data', (data) => server.write(data));
    // Server to client: whole HTTP/2 frames (9-byte header, then the payload).
    let buffer = Buffer.alloc(0);
    server.on('data', (data) => {
      if (!this.frames_) {
        client.write(data);
        return;
      }
      buffer = Buffer.concat([buffer, data]);
      let out = 0;
      while (buffer.length - out >= 9) {
        const length = buffer.readUIntBE(out, 3);
        if (buffer.length - out < 9 + length) break;
        const type = buffer[out + 3];
        const streamId = buffer.readUInt32BE(out + 5) & 0x7fffffff;
        if (type === 0x1 && streamId !== 0 && this.dropAnswer_) {
          this.dropAnswer_ = false;
          this.dropped += 1;
          if (out > 0) client.write(buffer.subarray(0, out));
          this.forget_(pair);
          return;
        }
        out += 9 + length;
      }
      if (out > 0) client.write(buffer.subarray(0, out));
      buffer = buffer.subarray(out);
    });
  }

  forget_(pair) {
    if (!this.pairs_.delete(pair)) return;
    pair.client.destroy();
    pair.server.destroy();
  }
}

// tools/cluster.sh: a throw-away PostgreSQL 15 and N omniroute-server nodes.
// Resolves to { addresses: { 'node-1': 'host:port', ... }, pids, kill(node),
// nodeOf(address), stop() }.
// serverArgs: more omniroute-server flags for every node.
async function startCluster({ nodes = 2, leaseMs = 1000, serverArgs = [], timeoutMs = 60000 } = {}) {
  const child = spawn('bash', [path.join(REPO, 'tools', 'cluster.sh'), `--nodes=${nodes}`, `--lease_ms=${leaseMs}`, '--', ...serverArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OMNIROUTE_SERVER: serverBinary() },
    // A process group of its own, so that whatever the script leaves behind
    // can be ended by its id if it does not stop.
    detached: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code !== null ? code : signal)));
  const addresses = {};
  const pids = {};
  const lines = readline.createInterface({ input: child.stdout });
  let stopping = null;
  let timer;
  try {
    await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`cluster.sh: no nodes within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
      exited.then((code) => reject(new Error(`cluster.sh exited (${code}):\n${stderr}`)));
      lines.on('line', (line) => {
        const m = /^(node-\d+) (\S+) \(pid (\d+), log (\S+)\)$/.exec(line);
        if (m) {
          addresses[m[1]] = m[2];
          pids[m[1]] = Number(m[3]);
        } else if (line.startsWith('store ')) {
          resolve();
        }
      });
    });
  } catch (e) {
    stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }

  // SIGTERM to the script, which stops the nodes and PostgreSQL.
  function stop(stopTimeoutMs = 30000) {
    if (stopping) return stopping;
    stopping = (async () => {
      child.kill('SIGTERM');
      let t;
      const late = new Promise((resolve) => {
        t = setTimeout(() => resolve('late'), stopTimeoutMs);
      });
      const result = await Promise.race([exited, late]);
      clearTimeout(t);
      if (result === 'late') {
        process.kill(-child.pid, 'SIGKILL');
        await exited;
      }
      lines.close();
      return result;
    })();
    return stopping;
  }

  return {
    addresses,
    pids,
    all: Object.values(addresses),
    // SIGKILL: the node dies without handing anything off.
    kill(node) {
      process.kill(pids[node], 'SIGKILL');
    },
    nodeOf(address) {
      return Object.keys(addresses).find((n) => addresses[n] === address);
    },
    stop,
  };
}

// Whether the server binary has --forward (a node forwards calls for a tenant
// it does not serve, unless started with --forward=false).
function serverForwards() {
  const out = spawnSync(serverBinary(), ['--helpfull'], { encoding: 'utf8', timeout: 30000 });
  return `${out.stdout}${out.stderr}`.includes('--forward');
}

// Why the cluster tests cannot run here ('' when they can).
function postgresMissing() {
  const pgBin = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
  try {
    fs.accessSync(path.join(pgBin, 'initdb'), fs.constants.X_OK);
    return '';
  } catch {
    return `no PostgreSQL 15 in ${pgBin} (set PG_BIN)`;
  }
}

module.exports = { waitFor, refusedAddress, missingUnixSocket, DroppingProxy, startCluster, serverForwards, postgresMissing };
