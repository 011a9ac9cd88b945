import { describe, expect, it } from "vitest";
import { applyEvent, humanize, initialJudging, loadJudging, saveJudging, type JudgeEvent } from "../src/judge.js";

const event = (sequence: number, type: string, more: Partial<JudgeEvent> = {}): JudgeEvent => ({
  sequence,
  type,
  status: "",
  verdict: "",
  testCount: 0,
  compileOutput: "",
  ...more,
});
const test = (ordinal: number, verdict = "ACCEPTED") => ({ ordinal, verdict, timeMs: 5, memoryKib: 900 });

describe("applyEvent", () => {
  it("follows a judging test by test to its verdict", () => {
    let state = initialJudging("s1");
    state = applyEvent(state, event(1, "RUNNING", { status: "RUNNING", testCount: 3 }));
    state = applyEvent(state, event(2, "TEST_FINISHED", { test: test(2) }));
    state = applyEvent(state, event(3, "TEST_FINISHED", { test: test(1) }));
    expect(state.tests.map((t) => t.ordinal)).toEqual([1, 2]);
    expect(state.done).toBe(false);
    state = applyEvent(state, event(4, "TEST_FINISHED", { test: test(3, "WRONG_ANSWER") }));
    state = applyEvent(state, event(5, "FINISHED", { verdict: "WRONG_ANSWER", status: "FINISHED" }));
    expect(state).toMatchObject({ status: "FINISHED", verdict: "WRONG_ANSWER", testCount: 3, lastSequence: 5, done: true });
    expect(state.tests[2].verdict).toBe("WRONG_ANSWER");
  });

  it("ignores events it has already seen (a resumed stream)", () => {
    let state = applyEvent(initialJudging("s1"), event(1, "TEST_FINISHED", { test: test(1) }));
    const again = applyEvent(state, event(1, "TEST_FINISHED", { test: test(1, "WRONG_ANSWER") }));
    expect(again).toBe(state);
    state = applyEvent(state, event(2, "TEST_FINISHED", { test: test(1, "WRONG_ANSWER") }));
    expect(state.tests).toEqual([test(1, "WRONG_ANSWER")]);
  });

  it("starts over on a rejudging", () => {
    let state = applyEvent(initialJudging("s1"), event(1, "TEST_FINISHED", { test: test(1) }));
    state = applyEvent(state, event(2, "FINISHED", { verdict: "ACCEPTED" }));
    state = applyEvent(state, event(3, "REJUDGED", { status: "QUEUED" }));
    expect(state).toMatchObject({ tests: [], done: false, status: "QUEUED", lastSequence: 3 });
  });
});

describe("saved progress", () => {
  it("round-trips through storage by submission id", () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    const state = applyEvent(initialJudging("s9"), event(4, "TEST_FINISHED", { test: test(1) }));
    saveJudging(storage, state);
    expect(loadJudging(storage, "s9")).toEqual(state);
    expect(loadJudging(storage, "other")).toBeNull();
    items.set("arena.judging.s9", "{not json");
    expect(loadJudging(storage, "s9")).toBeNull();
  });
});

describe("humanize", () => {
  it("turns enum names into words", () => {
    expect(humanize("TIME_LIMIT_EXCEEDED")).toBe("Time limit exceeded");
    expect(humanize("")).toBe("");
  });
});
