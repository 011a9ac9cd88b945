import { describe, expect, it } from "vitest";
import { REFRESH_MARGIN_MS, refreshDelayMs } from "../src/session.js";

describe("refreshDelayMs", () => {
  it("refreshes a margin before the access token expires", () => {
    expect(refreshDelayMs(1_000_000, 100_000)).toBe(900_000 - REFRESH_MARGIN_MS);
  });
  it("refreshes at once when the token is about to expire or has expired", () => {
    expect(refreshDelayMs(110_000, 100_000)).toBe(0);
    expect(refreshDelayMs(50_000, 100_000)).toBe(0);
  });
});
