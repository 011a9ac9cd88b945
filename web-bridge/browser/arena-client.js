// The browser version of web-bridge/test/grpc-web-client.mjs: connect-es over gRPC-Web against Arena
// through Envoy, from the page's own origin. Loaded by index.html (whose import map resolves the packages).
//
// Query parameters: edge (the edge URL), topic (a public topic), ticks (how many "tick" messages to wait
// for, default 3). Steps, in order; the first failure ends the run (phase "failed", with the error):
//   (a) UserService.GetJwks, no credentials: the key count;
//   (b) UserService.GetUser("nobody"): the ConnectError's code and message (NotFound expected);
//   (c) RealtimeService.Subscribe(topic): phase "subscribed" once the call is started, then the payload
//       index of each "tick" message as it arrives; phase "done" after the wanted number.
// Every call is bounded by a timeout.

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { toJson } from "@bufbuild/protobuf";

import { UserService } from "../gen/arena/user/v1/user_service_pb.js";
import { RealtimeService } from "../gen/arena/realtime/v1/realtime_service_pb.js";
import { TopicMessageSchema } from "../gen/arena/realtime/v1/realtime_pb.js";

const UNARY_TIMEOUT_MS = 5_000;
const STREAM_TIMEOUT_MS = 30_000;

const results = window.results;

function show(id, text) {
  document.getElementById(id).textContent = String(text);
}

function setPhase(phase) {
  results.phase = phase;
  show("phase", phase);
}

function describe(error) {
  const connectError = ConnectError.from(error);
  return { code: Code[connectError.code], message: connectError.rawMessage };
}

async function run(params) {
  const baseUrl = params.get("edge");
  const topic = params.get("topic");
  const wanted = Number.parseInt(params.get("ticks") ?? "3", 10);
  if (!baseUrl || !topic) {
    throw new Error("usage: index.html?edge=<edge URL>&topic=<public topic>[&ticks=<n>]");
  }
  const transport = createGrpcWebTransport({ baseUrl });
  const users = createClient(UserService, transport);

  // (a) A unary call that needs no credentials.
  const jwks = await users.getJwks({}, { signal: AbortSignal.timeout(UNARY_TIMEOUT_MS) });
  results.jwks = { keys: jwks.keys.length, alg: jwks.keys[0]?.alg ?? null };
  show("jwks-count", jwks.keys.length);

  // (b) An error status arrives as a ConnectError with the gRPC code and message.
  try {
    await users.getUser({ userId: "nobody" }, { signal: AbortSignal.timeout(UNARY_TIMEOUT_MS) });
    results.getUser = { code: "OK", message: "" };
  } catch (error) {
    results.getUser = describe(error);
  }
  show("get-user-code", results.getUser.code);
  show("get-user-message", results.getUser.message);

  // (c) A server stream. Its first message acknowledges the subscription; "subscribed" means the call
  // is started; the test then waits until the subscriber is attached and publishes.
  const realtime = createClient(RealtimeService, transport);
  const call = new AbortController();
  const deadline = setTimeout(
    () => call.abort(new ConnectError(`no ${wanted} tick(s) within ${STREAM_TIMEOUT_MS} ms`, Code.DeadlineExceeded)),
    STREAM_TIMEOUT_MS,
  );
  const list = document.getElementById("ticks");
  try {
    const stream = realtime.subscribe({ topics: [topic] }, { signal: call.signal });
    setPhase("subscribed");
    for await (const response of stream) {
      if (response.event.case !== "message" || response.event.value.eventType !== "tick") {
        continue;
      }
      const message = toJson(TopicMessageSchema, response.event.value);
      results.ticks.push({ index: message.payload.index, topic: message.topic, sequence: message.sequence });
      const item = document.createElement("li");
      item.textContent = String(message.payload.index);
      list.append(item);
      show("tick-count", results.ticks.length);
      if (results.ticks.length === wanted) {
        break;
      }
    }
  } finally {
    clearTimeout(deadline);
    call.abort(); // Leaving the loop alone does not close the HTTP response.
  }
  if (results.ticks.length < wanted) {
    throw new Error(`the stream ended after ${results.ticks.length} of ${wanted} tick(s)`);
  }
}

show("origin", location.origin);
setPhase("running");
try {
  await run(new URLSearchParams(location.search));
  setPhase("done");
} catch (error) {
  results.error = describe(error);
  show("error", `${results.error.code}: ${results.error.message}`);
  setPhase("failed");
}
