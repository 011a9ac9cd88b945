// A standard gRPC-Web client (connect-es) against Arena through Envoy.
//
//   node web-bridge/test/grpc-web-client.mjs <edge-url> <topic> [ticks]
//
// Needs `npm ci --prefix web-bridge` and `buf generate --template web-bridge/buf.gen.yaml`.
// Checks a unary call, an error status, then a server stream: prints "READY" once the Subscribe
// call is started, then each of the first <ticks> (default 3) "tick" messages as a JSON line, and
// exits 0. Any failure exits 1 with the error on stderr; every call is bounded by a timeout.

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { toJson } from "@bufbuild/protobuf";

import { UserService } from "../gen/arena/user/v1/user_service_pb.js";
import { RealtimeService } from "../gen/arena/realtime/v1/realtime_service_pb.js";
import { TopicMessageSchema } from "../gen/arena/realtime/v1/realtime_pb.js";

const UNARY_TIMEOUT_MS = 5_000;
const STREAM_TIMEOUT_MS = 20_000;
const WATCHDOG_MS = 30_000;

// The last resort, should a timeout above not end its call: never hang.
setTimeout(() => {
  console.error(`grpc-web-client failed: still running after ${WATCHDOG_MS} ms`);
  process.exit(2);
}, WATCHDOG_MS).unref();

function fail(message) {
  throw new Error(message);
}

async function main([baseUrl, topic, ticks = "3"]) {
  if (!baseUrl || !topic) {
    fail("usage: grpc-web-client.mjs <edge-url> <topic> [ticks]");
  }
  const wanted = Number.parseInt(ticks, 10);
  const transport = createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });

  // (a) A unary call that needs no credentials.
  const users = createClient(UserService, transport);
  const jwks = await users.getJwks({}, { signal: AbortSignal.timeout(UNARY_TIMEOUT_MS) });
  if (jwks.keys.length === 0) {
    fail("GetJwks returned no keys");
  }
  console.error(`GetJwks: ${jwks.keys.length} key(s), first alg=${jwks.keys[0].alg}`);

  // (b) An error status arrives as a ConnectError with the gRPC code and message.
  try {
    await users.getUser({ userId: "nobody" }, { signal: AbortSignal.timeout(UNARY_TIMEOUT_MS) });
    fail("GetUser(nobody) succeeded; expected NOT_FOUND");
  } catch (error) {
    const connectError = ConnectError.from(error);
    if (connectError.code !== Code.NotFound) {
      fail(`GetUser(nobody): expected NotFound, got ${Code[connectError.code]}: ${connectError.message}`);
    }
    if (!connectError.rawMessage) {
      fail("GetUser(nobody): NotFound without a message");
    }
    console.error(`GetUser(nobody): NotFound: ${connectError.rawMessage}`);
  }

  // (c) A server stream. Its first message acknowledges the subscription; READY means "the call is
  // started"; the caller then polls until the subscriber is attached and publishes.
  const realtime = createClient(RealtimeService, transport);
  // One controller for both the deadline and the cancel when done: on Node 20, a signal from
  // AbortSignal.any([..., AbortSignal.timeout(ms)]) was seen never to fire.
  const call = new AbortController();
  const deadline = setTimeout(
    () => call.abort(new ConnectError(`no ${wanted} tick(s) within ${STREAM_TIMEOUT_MS} ms`, Code.DeadlineExceeded)),
    STREAM_TIMEOUT_MS,
  );
  const stream = realtime.subscribe({ topics: [topic] }, { signal: call.signal });
  process.stdout.write("READY\n");
  let seen = 0;
  try {
    for await (const response of stream) {
      if (response.event.case === "message" && response.event.value.eventType === "tick") {
        process.stdout.write(`${JSON.stringify(toJson(TopicMessageSchema, response.event.value))}\n`);
        seen += 1;
        if (seen === wanted) {
          break;
        }
      }
    }
  } finally {
    clearTimeout(deadline);
    call.abort(); // Cancels the call: leaving the loop alone does not close the HTTP response.
  }
  if (seen < wanted) {
    fail(`the stream ended after ${seen} of ${wanted} tick(s)`);
  }
}

try {
  await main(process.argv.slice(2));
  process.exitCode = 0;
} catch (error) {
  const detail = error instanceof ConnectError ? `ConnectError [${Code[error.code]}] ${error.rawMessage}` : error;
  console.error(`grpc-web-client failed: ${detail?.stack ?? detail}`);
  process.exitCode = 1;
}
