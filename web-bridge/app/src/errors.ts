// From a failed call (ConnectError with google.rpc details) to what the page shows: a message people
// understand, field errors to put next to their fields, and the HTTP-like status behind it.

import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

export interface UiError {
  /** The gRPC code's name ("NotFound"). */
  code: string;
  /** The HTTP status a REST client would have seen (403, 404, 429, 503...). */
  status: number;
  /** One sentence for people. */
  message: string;
  /** Field name (the last segment of the request's field path) → what is wrong with it. */
  fields: Record<string, string>;
  /** ErrorInfo.reason without the enum's prefix ("INVALID_CREDENTIALS"), when the server gave one. */
  reason: string;
  /** RetryInfo's delay in seconds, when the server gave one. */
  retryAfterS?: number;
}

const STATUS: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400,
  [Code.FailedPrecondition]: 400,
  [Code.OutOfRange]: 400,
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.Aborted]: 409,
  [Code.ResourceExhausted]: 429,
  [Code.Canceled]: 499,
  [Code.Unimplemented]: 501,
  [Code.Unavailable]: 503,
  [Code.DeadlineExceeded]: 504,
};

/** Reasons that belong to one field of a form, though the server sent no BadRequest for them. */
const REASON_FIELDS: Record<string, [string, string]> = {
  USERNAME_TAKEN: ["username", "This username is taken."],
  EMAIL_TAKEN: ["email", "An account with this email exists."],
  WEAK_PASSWORD: ["password", "Choose a stronger password."],
};

export function fieldName(path: string): string {
  const last = path.split(".").pop() ?? path;
  return last.replace(/\[\d+\]$/, "");
}

function sentence(code: Code, status: number, reason: string, server: string, retryAfterS?: number): string {
  switch (status) {
    case 401:
      return reason === "INVALID_CREDENTIALS"
        ? "Wrong username or password."
        : "Please sign in to do this.";
    case 403:
      return "You do not have permission to do this.";
    case 404:
      return "Not found: it may have been removed, or the link is wrong.";
    case 429:
      return retryAfterS
        ? `Too many requests. Try again in ${Math.ceil(retryAfterS)} s.`
        : "Too many requests. Wait a moment and try again.";
    case 503:
      return "Arena is unavailable right now. Try again in a few seconds.";
    case 504:
      return "Arena took too long to answer. Try again.";
  }
  if (code === Code.Unknown && !server) return "Could not reach Arena. Check your connection.";
  return server || "Something went wrong.";
}

export function toUiError(error: unknown): UiError {
  const connectError = ConnectError.from(error);
  const code = connectError.code;
  const status = STATUS[code] ?? 500;
  const fields: Record<string, string> = {};
  let reason = "";
  let retryAfterS: number | undefined;
  // The edge and the services name reasons without the ErrorReason enum's prefix; accept both.
  for (const info of connectError.findDetails(ErrorInfoSchema)) reason ||= info.reason.replace(/^ERROR_REASON_/, "");
  for (const bad of connectError.findDetails(BadRequestSchema)) {
    for (const violation of bad.fieldViolations) {
      fields[fieldName(violation.field)] ??= violation.description;
    }
  }
  for (const retry of connectError.findDetails(RetryInfoSchema)) {
    if (retry.retryDelay) retryAfterS = Number(retry.retryDelay.seconds) + retry.retryDelay.nanos / 1e9;
  }
  const mapped = REASON_FIELDS[reason];
  if (mapped && !fields[mapped[0]]) fields[mapped[0]] = mapped[1];
  const base = sentence(code, status, reason, connectError.rawMessage, retryAfterS);
  const message = Object.keys(fields).length > 0 && status === 400 ? "Please correct the marked fields." : base;
  return { code: Code[code], status, message, fields, reason, retryAfterS };
}
