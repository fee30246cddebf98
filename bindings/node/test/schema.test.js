'use strict';
// The conversions between callers' objects and the wire (no server needed).

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { Schema, OmnirouteError } = require('..');
const { parseDuration } = require('../lib/schema');

const schema = new Schema();
const toWire = (type, value) => schema.toWire(schema.message(type), value, '');
const fromWire = (type, value) => schema.fromWire(schema.message(type), value);

function invalid(field, pattern) {
  return (e) => e instanceof OmnirouteError && e.codeName === 'INVALID_ARGUMENT' && e.local && e.field === field && pattern.test(e.details);
}

describe('requests', () => {
  it('takes enums by short name, full name or number', () => {
    for (const channel of ['EMAIL', 'CHANNEL_EMAIL', 'email', 3]) {
      assert.equal(toWire('IngestMessageRequest', { channel }).channel, 'CHANNEL_EMAIL');
    }
    assert.equal(toWire('OfferUpdate', { kind: 'OFFERED' }).kind, 'KIND_OFFERED', 'nested enums too');
    assert.throws(() => toWire('IngestMessageRequest', { channel: 'FAX' }), invalid('channel', /one of PUBLIC_SOCIAL, /));
    assert.throws(() => toWire('IngestMessageRequest', { channel: 42 }), invalid('channel', /not a Channel/));
  });

  it('takes 64-bit integers as strings, exact numbers and bigints', () => {
    assert.equal(toWire('GetTaskRequest', { taskId: 7 }).taskId, '7');
    assert.equal(toWire('GetTaskRequest', { taskId: '18446744073709551615' }).taskId, '18446744073709551615');
    assert.equal(toWire('GetTaskRequest', { taskId: 2n ** 63n }).taskId, '9223372036854775808');
    assert.throws(() => toWire('GetTaskRequest', { taskId: 1.5 }), invalid('taskId', /integer/));
    assert.throws(() => toWire('GetTaskRequest', { taskId: -1 }), invalid('taskId', /out of range/));
    assert.throws(() => toWire('GetTaskRequest', { taskId: 2n ** 64n }), invalid('taskId', /out of range/));
    assert.throws(() => toWire('GetTaskRequest', { taskId: 'seven' }), invalid('taskId', /not an integer/));
  });

  it('takes times as Dates, milliseconds or ISO strings, and durations as milliseconds or text', () => {
    const at = new Date('2026-01-01T19:00:00.250Z');
    for (const dueAt of [at, at.getTime(), at.toISOString()]) {
      assert.deepEqual(toWire('RecordCommitmentRequest', { dueAt }).dueAt, { seconds: '1767294000', nanos: 250000000 });
    }
    assert.throws(() => toWire('RecordCommitmentRequest', { dueAt: 'tomorrow' }), invalid('dueAt', /not a valid time/));
    assert.deepEqual(toWire('QueueConfig', { offerTimeout: 1500 }).offerTimeout, { seconds: '1', nanos: 500000000 });
    assert.deepEqual(toWire('QueueConfig', { offerTimeout: '1h30m' }).offerTimeout, { seconds: '5400', nanos: 0 });
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.ok(Number.isNaN(parseDuration('5 minutes')));
    assert.throws(() => toWire('QueueConfig', { offerTimeout: 'soon' }), invalid('offerTimeout', /not a duration/));
  });

  it('names the path of a bad value inside nested and repeated fields', () => {
    assert.throws(
      () => toWire('UpsertAgentRequest', { agent: { agentId: 'a', skills: [{ skill: 's', level: 'high' }] } }),
      invalid('agent.skills[0].level', /not an integer/),
    );
    assert.throws(() => toWire('UpsertAgentRequest', { agent: { channels: 'EMAIL' } }), invalid('agent.channels', /array/));
    assert.throws(() => toWire('IngestMessageRequest', { body: 42 }), invalid('body', /string/));
    assert.throws(() => toWire('IngestMessageRequest', { sender: { kind: 'EMAIL', adress: 'a@b.c' } }), invalid('sender.adress', /no such field in RawIdentity/));
  });

  it('leaves out what is null or undefined', () => {
    assert.deepEqual(toWire('IngestMessageRequest', { channel: 'EMAIL', profile: null, tags: undefined }), { channel: 'CHANNEL_EMAIL' });
  });
});

describe('responses', () => {
  it('gives short enum names, Dates, milliseconds, and the name of the oneof member that is set', () => {
    const step = fromWire('ExpansionStep', { after: { seconds: '90', nanos: 0 }, overflowQueueId: 'overflow', action: 'overflowQueueId' });
    assert.deepEqual(step, { after: 90000, overflowQueueId: 'overflow', action: 'overflowQueueId' });
    const offer = fromWire('Offer', { agentId: 'ana', offeredAt: { seconds: '1767294000', nanos: 5000000 }, expiresAt: null });
    assert.deepEqual(offer, { agentId: 'ana', offeredAt: new Date('2026-01-01T19:00:00.005Z'), expiresAt: null });
    const update = fromWire('OfferUpdate', { kind: 'KIND_EXPIRED', task: null, sequence: '12' });
    assert.deepEqual(update, { kind: 'EXPIRED', task: null, sequence: '12' });
  });

  it('drops the synthetic oneofs of proto3 optional fields', () => {
    const config = fromWire('AgentConfig', { agentId: 'a', capacity: 4, _capacity: 'capacity', channels: [] });
    assert.equal(config.capacity, 4);
    assert.equal('_capacity' in config, false);
  });
});
