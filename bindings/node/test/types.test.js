'use strict';
// index.d.ts against what the client really is: every interface tagged
// @proto has the fields of its message in the .proto files, every method of
// Client is declared, every message a method takes or gives is declared, and
// a TypeScript program that uses the client type-checks.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Client, Schema } = require('..');
const { UNARY, STREAMS } = require('../lib/client');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const DTS = fs.readFileSync(path.join(PACKAGE_DIR, 'index.d.ts'), 'utf8');
const schema = new Schema();

// { name, proto, mode: 'output' | 'input' | 'both', fields } per tagged interface.
function taggedInterfaces() {
  const out = [];
  const re = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export interface (\w+) \{([^}]*)\}/g;
  for (const m of DTS.matchAll(re)) {
    const tag = /@proto\s+(\S+)(?:\s+(input|both))?/.exec(m[1]);
    if (!tag) continue;
    const fields = [...m[3].matchAll(/^\s*(\w+)\??:/gm)].map((f) => f[1]);
    // Fields the server never sends (declared `null`) are not followed.
    const unsent = [...m[1].matchAll(/@unsent\s+(\w+)/g)].map((u) => u[1]);
    out.push({ name: m[2], proto: tag[1], mode: tag[2] || 'output', fields, unsent });
  }
  return out;
}

const interfaces = taggedInterfaces();

describe('index.d.ts', () => {
  it('tags interfaces with messages that exist', () => {
    assert.ok(interfaces.length > 50, `found ${interfaces.length} tagged interfaces`);
    for (const i of interfaces) assert.doesNotThrow(() => schema.message(i.proto), `${i.name}: ${i.proto}`);
  });

  it('gives each tagged interface exactly the fields of its message', () => {
    const outputs = new Map();
    for (const i of interfaces) {
      const type = schema.message(i.proto);
      if (i.mode !== 'output') {
        assert.deepEqual([...i.fields].sort(), [...type.fields.keys()].sort(), `${i.name} (${i.proto}, as a request)`);
      }
      if (i.mode !== 'input') {
        if (!outputs.has(i.proto)) outputs.set(i.proto, []);
        outputs.get(i.proto).push(...i.fields);
      }
    }
    // Several interfaces may share one message (Event: EventBase and EventPayloads).
    for (const [proto, fields] of outputs) {
      const type = schema.message(proto);
      const expected = [...type.fields.keys(), ...type.oneofNames].sort();
      assert.deepEqual([...fields].sort(), expected, `${proto} (as a response)`);
    }
  });

  it('declares every message a method takes or gives', () => {
    const declaredOut = new Set(interfaces.filter((i) => i.mode !== 'input').map((i) => schema.message(i.proto).fullName));
    const declaredIn = new Set(interfaces.filter((i) => i.mode !== 'output').map((i) => schema.message(i.proto).fullName));
    const unsent = new Map();
    for (const i of interfaces) {
      const name = schema.message(i.proto).fullName;
      unsent.set(name, new Set([...(unsent.get(name) || []), ...i.unsent]));
    }
    const missing = new Set();
    const skip = new Set(['google.protobuf.Timestamp', 'google.protobuf.Duration']);
    const visit = (type, declared, seen) => {
      if (skip.has(type.fullName) || seen.has(type.fullName)) return;
      seen.add(type.fullName);
      if (!declared.has(type.fullName)) missing.add(`${type.fullName} (${declared === declaredIn ? 'request' : 'response'})`);
      for (const [name, f] of type.fields) {
        if (f.kind === 'TYPE_MESSAGE' && !unsent.get(type.fullName)?.has(name)) visit(f.ref, declared, seen);
      }
    };
    for (const [, service, rpc, argument] of [...UNARY, ...STREAMS]) {
      const def = schema.service(service)[rpc];
      const request = schema.message(def.requestType.type.name);
      const response = schema.message(def.responseType.type.name);
      const seenIn = new Set();
      if (argument === 'request') visit(request, declaredIn, seenIn);
      else if (argument) {
        const f = request.fields.get(argument);
        if (f.kind === 'TYPE_MESSAGE') visit(f.ref, declaredIn, seenIn);
      }
      const seenOut = new Set();
      // Responses of no or one field are unwrapped: their field is what is declared.
      if (response.fields.size > 1) visit(response, declaredOut, seenOut);
      else for (const f of response.fields.values()) if (f.kind === 'TYPE_MESSAGE') visit(f.ref, declaredOut, seenOut);
    }
    assert.deepEqual([...missing], []);
  });

  it('declares every method of Client, and no other', () => {
    const body = /export declare class Client \{([\s\S]*?)\n\}/.exec(DTS)[1];
    const declared = new Set([...body.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]).filter((n) => n !== 'constructor'));
    const actual = new Set(
      Object.getOwnPropertyNames(Client.prototype).filter((n) => n !== 'constructor' && !n.endsWith('_')),
    );
    assert.deepEqual([...declared].sort(), [...actual].sort());
  });

  it('type-checks a program that uses the client', () => {
    const tsc = path.join(PACKAGE_DIR, 'node_modules', '.bin', 'tsc');
    assert.ok(fs.existsSync(tsc), 'typescript is installed (npm ci)');
    try {
      execFileSync(tsc, ['-p', path.join(__dirname, 'types', 'tsconfig.json')], { cwd: PACKAGE_DIR, encoding: 'utf8' });
    } catch (e) {
      assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
    }
  });
});
