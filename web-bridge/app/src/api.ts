// The connect-es clients for every service the app calls, over gRPC-Web through Envoy, with an
// interceptor that adds the session's bearer token.

import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { UserService } from "../../gen/arena/user/v1/user_service_pb.js";
import { ProblemService } from "../../gen/arena/problem/v1/problem_service_pb.js";
import { ExecutionService } from "../../gen/arena/execution/v1/execution_service_pb.js";
import { ContestService } from "../../gen/arena/contest/v1/contest_service_pb.js";
import { NotificationService } from "../../gen/arena/notification/v1/notification_service_pb.js";
import { AiAnalysisService } from "../../gen/arena/ai_analysis/v1/analysis_service_pb.js";
import { Session } from "./session.js";

/**
 * The edge: the page's own origin when Envoy serves the app; the one index.html names when the app is
 * served from another origin (`python -m arena.webapp --edge URL`); the local edge under Vite's dev server.
 */
export const EDGE_URL: string =
  document.querySelector<HTMLMetaElement>('meta[name="arena-edge"]')?.content ||
  (import.meta.env.VITE_ARENA_EDGE ?? (import.meta.env.DEV ? "http://localhost:8080" : location.origin));

const publicTransport = createGrpcWebTransport({ baseUrl: EDGE_URL });
export const session = new Session(publicTransport);

const bearer: Interceptor = (next) => async (request) => {
  const token = await session.token();
  if (token) request.header.set("authorization", `Bearer ${token}`);
  return next(request);
};

const transport = createGrpcWebTransport({ baseUrl: EDGE_URL, interceptors: [bearer] });

export const api = {
  users: createClient(UserService, transport),
  problems: createClient(ProblemService, transport),
  execution: createClient(ExecutionService, transport),
  contests: createClient(ContestService, transport),
  notifications: createClient(NotificationService, transport),
  analysis: createClient(AiAnalysisService, transport),
};

/** Per-call options: unary calls give up after a while; streams only when their page goes away. */
export const unary = (signal?: AbortSignal) => ({
  timeoutMs: 15_000,
  signal,
});
