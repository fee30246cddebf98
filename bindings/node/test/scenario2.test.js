'use strict';
// examples/node/scenario2.js against a real server: the story holds, and the
// example says so; when it cannot be played it exits non-zero.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { startServer } = require('./support/server');

const EXAMPLE = path.resolve(__dirname, '..', '..', '..', 'examples', 'node', 'scenario2.js');
const RUN_TIMEOUT_MS = 60000;

// Runs the example; resolves to { code, stdout, stderr }.
function runExample(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [EXAMPLE, ...args], { timeout: RUN_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr });
    });
  });
}

// A port nothing listens on.
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) assert.equal(await server.stop(), 0);
});

describe('examples/node/scenario2.js', () => {
  it('plays the story: one agent from the public post to the DM to the email', async () => {
    const { code, stdout, stderr } = await runExample([server.address, '--tenant=microblog-test']);
    assert.equal(code, 0, `exit code\n${stdout}\n${stderr}`);
    const lines = stdout.split('\n');

    // The thread: every message of every channel, the two handoffs, then the
    // public answer that closes the loop.
    const thread = lines.filter((l) => /^ {2}\+\d+\.\d{3}s/.test(l)).map((l) => l.replace(/^ {2}\+\S+\s+/, ''));
    assert.deepEqual(
      thread.map((l) => (l.startsWith('handoff') ? l.replace(/ \(.*$/, '') : l.split(/\s+/).slice(0, 2).join(' '))),
      [
        'PUBLIC_SOCIAL <-',
        'PUBLIC_SOCIAL ->',
        'handoff PUBLIC_SOCIAL -> PRIVATE_SOCIAL',
        'PRIVATE_SOCIAL <-',
        'PRIVATE_SOCIAL ->',
        'handoff PRIVATE_SOCIAL -> EMAIL',
        'EMAIL ->',
        'EMAIL <-',
        'EMAIL ->',
        'handoff EMAIL -> PUBLIC_SOCIAL',
        'PUBLIC_SOCIAL ->',
      ],
    );
    const answers = thread.filter((l) => /^\S+\s+-> /.test(l));
    assert.equal(answers.length, 5);
    for (const l of answers) assert.match(l, /^\S+\s+-> agent-ana /, 'every answer is agent-ana\'s');

    // The routing: every task on its channel, each with agent-ana.
    const tasks = lines.filter((l) => /^ {2}task /.test(l)).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(
      tasks.map((t) => `${t[2]} ${t[3]} ${t[4]} ${t[5]}`),
      [
        'PUBLIC_SOCIAL INBOUND COMPLETED agent-ana',
        'PRIVATE_SOCIAL HANDOFF COMPLETED agent-ana',
        'EMAIL HANDOFF COMPLETED agent-ana',
        'PUBLIC_SOCIAL CLOSE_PUBLIC_LOOP COMPLETED agent-ana',
      ],
    );
    assert.ok(lines.includes('  owner agent-ana; 1 agent(s); 3 handoffs; 0 transfers; same agent throughout: yes'), stdout);
    assert.match(stdout, /offer stream of agent-ana: OFFERED task 1, ASSIGNED task 1,/);
    assert.match(stdout, /Thread of conversation 1 \(customer 1: x\/phoneowner, owner@example\.com\)/);

    const verdicts = lines.filter((l) => /^ {2}(ok {2}|FAIL) /.test(l));
    assert.ok(verdicts.length >= 10, `${verdicts.length} checks`);
    assert.deepEqual(verdicts.filter((l) => l.startsWith('  FAIL')), []);
    assert.match(stdout, /^The story holds: /m);
  });

  it('exits non-zero when the story cannot be played', async () => {
    // A tenant of that name exists already.
    await server.client('microblog-taken').createTenant();
    const again = await runExample([server.address, '--tenant=microblog-taken']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /ALREADY_EXISTS/);

    const nobody = await runExample([`127.0.0.1:${await freePort()}`, '--timeout=300']);
    assert.notEqual(nobody.code, 0);
    assert.match(nobody.stderr, /cannot reach omniroute-server/);
  });
});
