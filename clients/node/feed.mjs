// Techbank's event feed from Node, with the protos loaded at run time (no generated code):
//   node feed.mjs COMMAND_ADDRESS AFTER_POSITION COUNT [STREAM_ID]
// Calls techbank.account.v1.EventFeedService/FollowEvents on the command server from
// AFTER_POSITION (0: the first event), of STREAM_ID only (an account's or a transfer's
// id) or of every stream, and follows it live (not stop_at_end). Prints one JSON line per
// event, {"position", "eventId", "aggregateId", "version", "eventType"} and "amountCents"
// when the payload has an amount, and one line {"caughtUp": position} whenever the feed
// says it caught up. After COUNT events it cancels the call and exits 0; it exits 1 on an
// error, or if the server ends the call first. Positions, versions and cents are int64:
// printed as strings, as proto-loader's `longs: String` gives them.
//
// Resuming: a consumer stores the position of the last message it processed (an event's,
// or a caught_up's, which also covers the events the filter left out) and, when it
// restarts, passes that position as AFTER_POSITION: the feed then sends exactly what came
// after it, nothing skipped and nothing twice. To apply each event exactly once, store
// the position in the same transaction as the event's effect.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const USAGE = 'usage: node feed.mjs COMMAND_ADDRESS AFTER_POSITION COUNT [STREAM_ID]';

const definitions = protoLoader.loadSync(['techbank/account/v1/feed.proto'], {
  includeDirs: [path.join(here, '..', '..', 'protos')],
  keepCase: true, // after_position, amount_cents: the protos' names
  longs: String, // int64 positions, versions and cents exceed a JS number's exact range
  enums: String,
  defaults: true,
  oneofs: true, // response.item and event.payload name the oneof member that is set
});
const { EventFeedService } = grpc.loadPackageDefinition(definitions).techbank.account.v1;

function fail(message) {
  console.error(`feed.mjs: ${message}`);
  process.exit(1);
}

function say(line) {
  console.log(JSON.stringify(line));
}

// The event as one JSON line's object; amountCents only for a payload with an amount.
function eventLine(position, event) {
  const line = {
    position,
    eventId: event.event_id,
    aggregateId: event.aggregate_id,
    version: event.version,
    eventType: event.event_type,
  };
  const payload = event.payload ? event[event.payload] : null;
  if (payload && payload.amount_cents !== undefined) line.amountCents = payload.amount_cents;
  return line;
}

function main([address, afterPosition, count, streamId = '']) {
  if (!address || !/^\d+$/.test(afterPosition ?? '') || !/^[1-9]\d*$/.test(count ?? '')) {
    fail(USAGE);
  }
  const wanted = Number(count);
  const feed = new EventFeedService(address, grpc.credentials.createInsecure());
  const call = feed.FollowEvents({ after_position: afterPosition, stream_id: streamId });
  let events = 0;
  let done = false;

  function finish() {
    done = true;
    call.cancel(); // the server sees the call cancelled and stops following
    feed.close();
  }

  call.on('data', (response) => {
    if (done) return;
    if (response.item === 'event') {
      say(eventLine(response.position, response.event));
      events += 1;
      if (events === wanted) finish();
    } else if (response.item === 'caught_up') {
      say({ caughtUp: response.position });
    } else {
      fail(`a message with neither event nor caught_up: ${JSON.stringify(response)}`);
    }
  });
  call.on('error', (error) => {
    if (done && error.code === grpc.status.CANCELLED) return; // our own cancel
    fail(`code ${error.code}: ${error.details}`);
  });
  call.on('end', () => {
    if (!done) fail(`the server ended the call after ${events} of ${wanted} events`);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      finish();
      fail(`stopped by ${signal} after ${events} of ${wanted} events`);
    });
  }
}

main(process.argv.slice(2));
