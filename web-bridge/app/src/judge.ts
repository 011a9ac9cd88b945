// A submission's judging as the page shows it, built from WatchSubmission's snapshot and events.
// Pure (no DOM, no network), so it is unit-tested; the progress is kept in sessionStorage so a
// reload resumes the stream after the last event seen (`after_sequence`).

export interface TestRow {
  ordinal: number;
  verdict: string;
  timeMs: number;
  memoryKib: number;
}

export interface Judging {
  submissionId: string;
  status: string;
  verdict: string;
  testCount: number;
  tests: TestRow[];
  compileOutput: string;
  lastSequence: number;
  done: boolean;
}

/** What the page needs of an event (the generated SubmissionEvent, with names for its enums). */
export interface JudgeEvent {
  sequence: number;
  type: string;
  status: string;
  verdict: string;
  testCount: number;
  compileOutput: string;
  test?: TestRow;
}

export function initialJudging(submissionId: string): Judging {
  return {
    submissionId,
    status: "QUEUED",
    verdict: "",
    testCount: 0,
    tests: [],
    compileOutput: "",
    lastSequence: 0,
    done: false,
  };
}

export function applyEvent(state: Judging, event: JudgeEvent): Judging {
  if (event.sequence <= state.lastSequence) return state; // already seen (a resumed stream may repeat)
  const next: Judging = { ...state, lastSequence: event.sequence };
  if (event.status) next.status = event.status;
  if (event.testCount) next.testCount = event.testCount;
  if (event.compileOutput) next.compileOutput = event.compileOutput;
  if (event.type === "TEST_FINISHED" && event.test) {
    next.tests = [...state.tests.filter((t) => t.ordinal !== event.test!.ordinal), event.test].sort(
      (a, b) => a.ordinal - b.ordinal,
    );
  }
  if (event.type === "REJUDGED") {
    next.tests = [];
    next.done = false;
  }
  if (event.type === "FINISHED") {
    next.verdict = event.verdict;
    next.status = "FINISHED";
    next.done = true;
  }
  return next;
}

const key = (submissionId: string) => `arena.judging.${submissionId}`;

export function saveJudging(storage: Pick<Storage, "setItem">, state: Judging): void {
  storage.setItem(key(state.submissionId), JSON.stringify(state));
}

export function loadJudging(storage: Pick<Storage, "getItem">, submissionId: string): Judging | null {
  const raw = storage.getItem(key(submissionId));
  if (!raw) return null;
  try {
    const state = JSON.parse(raw) as Judging;
    return state.submissionId === submissionId && Array.isArray(state.tests) ? state : null;
  } catch {
    return null;
  }
}

/** "WRONG_ANSWER" → "Wrong answer". */
export function humanize(name: string): string {
  if (!name) return "";
  const text = name.replace(/_/g, " ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
