// Techbank's events from Kafka in Node, as docs/consumers.md describes them:
//   node consumer.mjs BOOTSTRAP_SERVERS TOPIC GROUP_ID COUNT TIMEOUT_SECONDS [AGGREGATE_ID...]
// Joins GROUP_ID, reads TOPIC from the beginning (a group with no committed offsets),
// decodes each record's value as a techbank.account.v1.EventEnvelope (protos/ loaded at
// run time), applies each event once by its event_id, and prints one JSON line per
// distinct event. With AGGREGATE_IDs, only records keyed by one of them are read (the
// key is the aggregate id). Exits 0 after COUNT distinct events, 1 at the timeout.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import protoLoader from '@grpc/proto-loader';
import { Kafka, logLevel } from 'kafkajs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ENVELOPE = 'techbank.account.v1.EventEnvelope';

const definitions = protoLoader.loadSync(['techbank/account/v1/events.proto'], {
  includeDirs: [path.join(here, '..', '..', 'protos')],
  keepCase: true, // event_id, amount_cents: the protos' names
  longs: String, // int64 versions and cents exceed a JS number's exact range
  enums: String,
  defaults: true,
  oneofs: true, // envelope.payload names the oneof member that is set
});
const envelopeType = definitions[ENVELOPE];

function fail(message) {
  console.error(`consumer.mjs: ${message}`);
  process.exit(1);
}

function isoTime(timestamp) {
  if (!timestamp) return '';
  const millis = Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6);
  return new Date(millis).toISOString();
}

// The record as one JSON-ready object; null for bytes that are no envelope with an event.
function decoded({ partition, message }) {
  let envelope;
  try {
    envelope = envelopeType.deserialize(message.value);
  } catch (error) {
    console.error(`consumer.mjs: skipping the undecodable record at ${partition}/${message.offset}: ${error.message}`);
    return null;
  }
  if (!envelope.payload) {
    console.error(`consumer.mjs: skipping record ${partition}/${message.offset}: no event in it`);
    return null;
  }
  const headers = Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)]),
  );
  return {
    eventId: envelope.event_id,
    aggregateId: envelope.aggregate_id,
    aggregateType: envelope.aggregate_type,
    version: envelope.version,
    eventType: envelope.event_type,
    schemaVersion: envelope.schema_version,
    occurredAt: isoTime(envelope.occurred_at),
    requestId: envelope.request_id,
    payload: envelope[envelope.payload],
    key: message.key === null ? null : message.key.toString(),
    partition,
    offset: message.offset,
    headers,
  };
}

function parsed([brokers, topic, groupId, count, seconds, ...aggregateIds]) {
  const usage =
    'usage: node consumer.mjs BOOTSTRAP_SERVERS TOPIC GROUP_ID COUNT TIMEOUT_SECONDS [AGGREGATE_ID...]';
  if (!brokers || !topic || !groupId || !(Number(count) > 0) || !(Number(seconds) > 0)) fail(usage);
  return {
    brokers: brokers.split(','),
    topic,
    groupId,
    count: Number(count),
    timeoutMs: Number(seconds) * 1000,
    followed: aggregateIds.length ? new Set(aggregateIds) : null,
  };
}

async function main(argv) {
  const { brokers, topic, groupId, count, timeoutMs, followed } = parsed(argv);
  // kafkajs logs INFO with console.info, to stdout: only errors, to stderr, here.
  const kafka = new Kafka({ clientId: 'techbank-node-consumer', brokers, logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId });
  const seen = new Set(); // event ids applied: a record delivered again is skipped
  let duplicates = 0;
  let done;
  const finished = new Promise((resolve) => {
    done = resolve;
  });
  const timer = setTimeout(() => done(false), timeoutMs);

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async (record) => {
      if (seen.size >= count) return;
      if (followed && !followed.has(String(record.message.key))) return;
      const event = decoded(record);
      if (event === null) return;
      if (seen.has(event.eventId)) {
        duplicates += 1;
        return;
      }
      seen.add(event.eventId);
      console.log(JSON.stringify(event));
      if (seen.size >= count) done(true);
    },
  });
  const complete = await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  if (duplicates) console.error(`consumer.mjs: ${duplicates} duplicate record(s) skipped`);
  if (!complete) fail(`timed out after ${timeoutMs / 1000} s with ${seen.size} of ${count} events`);
}

main(process.argv.slice(2)).catch((error) => fail(error.stack ?? String(error)));
