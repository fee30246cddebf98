'use strict';
// Starts a real omniroute-server for a test file: port 0, a temporary data
// directory, the port read from --port_file once the server has written it.
// Every wait is bounded by a deadline; nothing sleeps for a fixed time.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('../..');

const PACKAGE_DIR = path.resolve(__dirname, '..', '..');
const DEFAULT_BINARY = path.resolve(PACKAGE_DIR, '..', '..', 'build', 'dev', 'tools', 'omniroute-server');

function serverBinary() {
  const fromEnv = process.env.OMNIROUTE_SERVER;
  return fromEnv ? path.resolve(fromEnv) : DEFAULT_BINARY;
}

// Resolves to the port written in `file`, watching its folder for the
// rename that publishes it. Rejects when the deadline passes or the server
// exits first.
function waitForPortFile(file, child, timeoutMs, stderrText) {
  return new Promise((resolve, reject) => {
    let settled = false;
    let watcher = null;
    const finish = (error, port) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (watcher) watcher.close();
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(port);
    };
    const check = () => {
      let text;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        if (e.code !== 'ENOENT') finish(e);
        return;
      }
      const port = Number.parseInt(text.trim(), 10);
      if (Number.isInteger(port) && port > 0) finish(null, port);
    };
    const onExit = (code, signal) =>
      finish(new Error(`omniroute-server exited (${code !== null ? `code ${code}` : signal}) before listening:\n${stderrText()}`));
    const timer = setTimeout(
      () => finish(new Error(`omniroute-server wrote no port file within ${timeoutMs} ms:\n${stderrText()}`)),
      timeoutMs,
    );
    child.on('exit', onExit);
    watcher = fs.watch(path.dirname(file), () => check());
    // It may have been written before the watch began.
    check();
  });
}

// Resolves once 127.0.0.1:port accepts a TCP connection (a TLS listener,
// which a plain-text probe would never see ready), within the deadline.
function waitForAccept(port, deadline, stderrText) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', (e) => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`omniroute-server on port ${port} accepts no connection: ${e.message}\n${stderrText()}`));
        else setTimeout(attempt, 10);
      });
    };
    attempt();
  });
}

// Starts the server (`args`: more flags). Resolves to { address, port,
// dataDir, client(tenant, options), stop() }; stop() sends SIGTERM and
// resolves to the exit code.
async function startServer({ timeoutMs = 20000, args = [] } = {}) {
  const binary = serverBinary();
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new Error(`omniroute-server not found at ${binary}: build it, or set OMNIROUTE_SERVER`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omniroute-node-'));
  const dataDir = path.join(dir, 'data');
  const portFile = path.join(dir, 'port');
  const child = spawn(binary, ['--listen=127.0.0.1:0', `--data_dir=${dataDir}`, `--port_file=${portFile}`, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code !== null ? code : signal)));

  let port;
  try {
    port = await waitForPortFile(portFile, child, timeoutMs, () => stderr);
  } catch (e) {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const address = `127.0.0.1:${port}`;
  const clients = [];
  if (args.some((a) => a.startsWith('--tls_cert'))) {
    await waitForAccept(port, Date.now() + timeoutMs, () => stderr);
  } else {
    const probe = new Client(address);
    try {
      await probe.waitForReady(timeoutMs);
    } finally {
      probe.close();
    }
  }

  let stopped = null;
  return {
    address,
    port,
    dataDir,
    stderr: () => stderr,
    // A client for `tenant` (more client options: `options`), closed by stop().
    client(tenant, options = {}) {
      const c = new Client(address, { ...options, tenant });
      clients.push(c);
      return c;
    },
    // Graceful stop: SIGTERM, then SIGKILL if it has not exited in time.
    stop(stopTimeoutMs = 10000) {
      if (stopped) return stopped;
      for (const c of clients) c.close();
      stopped = (async () => {
        child.kill('SIGTERM');
        let timer;
        const late = new Promise((resolve) => {
          timer = setTimeout(() => resolve('late'), stopTimeoutMs);
        });
        let result = await Promise.race([exited, late]);
        clearTimeout(timer);
        if (result === 'late') {
          child.kill('SIGKILL');
          await exited;
          result = `not stopped within ${stopTimeoutMs} ms of SIGTERM`;
        }
        fs.rmSync(dir, { recursive: true, force: true });
        return result;
      })();
      return stopped;
    },
  };
}

// A fresh tenant on `server` with its client; names are unique per call.
let tenantCounter = 0;
async function newTenant(server, prefix = 't', settings = undefined) {
  tenantCounter += 1;
  const tenant = `${prefix}-${process.pid}-${tenantCounter}`;
  const c = server.client(tenant);
  await c.createTenant(settings);
  return c;
}

// The next value of a stream iterator, or a rejection after timeoutMs.
async function nextWithin(iterator, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([iterator.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

module.exports = { startServer, newTenant, nextWithin, serverBinary, PACKAGE_DIR };
