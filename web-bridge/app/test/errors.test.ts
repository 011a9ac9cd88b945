import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { fieldName, toUiError } from "../src/errors.js";

const errorInfo = (reason: string) => ({ desc: ErrorInfoSchema, value: { reason, domain: "arena" } });

describe("toUiError", () => {
  it("puts BadRequest field violations under their fields", () => {
    const error = new ConnectError("invalid request", Code.InvalidArgument, undefined, [
      errorInfo("ERROR_REASON_VALIDATION_FAILED"),
      {
        desc: BadRequestSchema,
        value: {
          fieldViolations: [
            { field: "username", description: "must be 3 to 32 characters" },
            { field: "submission.source", description: "must not be empty" },
          ],
        },
      },
    ]);
    const ui = toUiError(error);
    expect(ui.status).toBe(400);
    expect(ui.code).toBe("InvalidArgument");
    expect(ui.reason).toBe("VALIDATION_FAILED");
    expect(ui.fields).toEqual({ username: "must be 3 to 32 characters", source: "must not be empty" });
    expect(ui.message).toBe("Please correct the marked fields.");
  });

  it("keeps the first violation of a field", () => {
    const error = new ConnectError("bad", Code.InvalidArgument, undefined, [
      { desc: BadRequestSchema, value: { fieldViolations: [{ field: "email", description: "first" }, { field: "email", description: "second" }] } },
    ]);
    expect(toUiError(error).fields).toEqual({ email: "first" });
  });

  it("maps a taken username to the username field", () => {
    const error = new ConnectError("username taken", Code.AlreadyExists, undefined, [errorInfo("USERNAME_TAKEN")]);
    const ui = toUiError(error);
    expect(ui.status).toBe(409);
    expect(ui.fields.username).toMatch(/taken/);
  });

  it.each([
    [Code.Unauthenticated, "INVALID_CREDENTIALS", 401, /Wrong username or password/],
    [Code.Unauthenticated, "TOKEN_EXPIRED", 401, /sign in/],
    [Code.PermissionDenied, "ROLE_REQUIRED", 403, /permission/],
    [Code.NotFound, "RESOURCE_NOT_FOUND", 404, /Not found/],
    [Code.ResourceExhausted, "RATE_LIMITED", 429, /Too many requests/],
    [Code.Unavailable, "ERROR_REASON_UPSTREAM_UNAVAILABLE", 503, /unavailable/],
  ])("gives people a sentence for %s", (code, reason, status, message) => {
    const ui = toUiError(new ConnectError("server words", code, undefined, [errorInfo(reason)]));
    expect(ui.status).toBe(status);
    expect(ui.message).toMatch(message);
    expect(ui.fields).toEqual({});
  });

  it("accepts a reason with the enum's prefix too", () => {
    const ui = toUiError(new ConnectError("no", Code.Unauthenticated, undefined, [errorInfo("ERROR_REASON_INVALID_CREDENTIALS")]));
    expect(ui.reason).toBe("INVALID_CREDENTIALS");
    expect(ui.message).toMatch(/Wrong username or password/);
  });

  it("says when to retry after a 429 with RetryInfo", () => {
    const error = new ConnectError("slow down", Code.ResourceExhausted, undefined, [
      { desc: RetryInfoSchema, value: { retryDelay: { seconds: 7n, nanos: 500_000_000 } } },
    ]);
    const ui = toUiError(error);
    expect(ui.retryAfterS).toBe(7.5);
    expect(ui.message).toBe("Too many requests. Try again in 8 s.");
  });

  it("shows the server's message for other errors, and a network failure as such", () => {
    expect(toUiError(new ConnectError("contest is not running", Code.FailedPrecondition)).message).toBe("contest is not running");
    expect(toUiError(new TypeError("Failed to fetch")).message).toBe("Failed to fetch");
    expect(toUiError(new ConnectError("", Code.Unknown)).message).toMatch(/Could not reach Arena/);
  });
});

describe("fieldName", () => {
  it("takes the last segment of a field path", () => {
    expect(fieldName("user.display_name")).toBe("display_name");
    expect(fieldName("problem.sample_tests[0]")).toBe("sample_tests");
    expect(fieldName("text")).toBe("text");
  });
});
