'use strict';
// omniroute: a Node.js client for the omniroute gRPC server.
//
//   const { Client, email } = require('omniroute');
//   const c = new Client('127.0.0.1:50051', { tenant: 'acme' });   // or ['a:1', 'b:2']
//   const r = await c.ingest({ channel: 'EMAIL', sender: email('a@b.c'), externalId: '<m1@b.c>', body: 'Hello' });
//   for await (const event of c.watch({ fromSequence: 1 })) { ... }
//
// index.d.ts describes every method and type.

const { Client } = require('./lib/client');
const { OmnirouteError, Status } = require('./lib/errors');
const { Schema, DEFAULT_PROTO_ROOT } = require('./lib/schema');
const { DEFAULT_RETRY } = require('./lib/retry');

// Raw identities, as a channel gives them (the server normalizes them).
function email(address) {
  return { kind: 'EMAIL', network: '', value: address };
}
function phone(number) {
  return { kind: 'PHONE', network: '', value: number };
}
function handle(network, value) {
  return { kind: 'SOCIAL_HANDLE', network, value };
}
function socialId(network, value) {
  return { kind: 'SOCIAL_ID', network, value };
}
function crmId(value, network = '') {
  return { kind: 'CRM_ID', network, value };
}
function customIdentity(network, value) {
  return { kind: 'CUSTOM', network, value };
}

// Who asks for a handoff, a link, a status change.
function agent(id) {
  return { kind: 'AGENT', id };
}
function customer() {
  return { kind: 'CUSTOMER', id: '' };
}
function system() {
  return { kind: 'SYSTEM', id: '' };
}

module.exports = {
  Client,
  OmnirouteError,
  Status,
  Schema,
  DEFAULT_PROTO_ROOT,
  DEFAULT_RETRY,
  email,
  phone,
  handle,
  socialId,
  crmId,
  customIdentity,
  agent,
  customer,
  system,
};
