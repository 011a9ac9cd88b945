// My submissions, and a submission's page: the verdict live, test by test, from WatchSubmission
// (resumed after a reload from the last event seen), then the AI review on request.

import { Code, ConnectError } from "@connectrpc/connect";
import { h, replace } from "../dom.js";
import { api, session, unary } from "../api.js";
import { toUiError } from "../errors.js";
import { Verdict } from "../../../gen/arena/common/v1/verdict_pb.js";
import {
  SubmissionEventType,
  SubmissionStatus,
  type Submission,
  type SubmissionEvent,
  type TestResult,
} from "../../../gen/arena/execution/v1/execution_pb.js";
import { FindingCategory, Severity } from "../../../gen/arena/ai_analysis/v1/analysis_pb.js";
import { durationMs, enumName, formatKib, formatMs, formatTime } from "../format.js";
import {
  applyEvent,
  humanize,
  initialJudging,
  loadJudging,
  saveJudging,
  type Judging,
  type JudgeEvent,
  type TestRow,
} from "../judge.js";
import { badge, errorBox, page, pageError, signInNotice } from "../ui.js";

const RECONNECT_MS = 1_000;

const verdictName = (v: Verdict) => enumName(Verdict, v, "VERDICT_");

function testRow(result: TestResult): TestRow {
  return {
    ordinal: result.ordinal,
    verdict: verdictName(result.verdict),
    timeMs: durationMs(result.cpuDuration),
    memoryKib: result.memoryKib,
  };
}

export function judgeEvent(event: SubmissionEvent): JudgeEvent {
  return {
    sequence: event.sequence,
    type: enumName(SubmissionEventType, event.type, "SUBMISSION_EVENT_TYPE_"),
    status: enumName(SubmissionStatus, event.status, "SUBMISSION_STATUS_"),
    verdict: verdictName(event.verdict),
    testCount: event.testCount,
    compileOutput: event.compileOutput,
    test: event.testResult ? testRow(event.testResult) : undefined,
  };
}

function verdictBadge(verdict: string): HTMLElement {
  return verdict ? badge(humanize(verdict), verdict === "ACCEPTED" ? "ok" : "bad") : badge("Judging…", "pending");
}

export async function submissionsView(_: Record<string, string>, query: URLSearchParams, signal: AbortSignal) {
  if (!session.signedIn) {
    page("My submissions", signInNotice("see your submissions"));
    return;
  }
  const list = page("My submissions", h("p", {}, "Loading…"));
  try {
    const response = await api.execution.listSubmissions(
      // ?user=<id>: another user's submissions (admins only; others get 403).
      { userId: query.get("user") ?? session.user!.userId, pageSize: 20, pageToken: query.get("page") ?? "" },
      unary(signal),
    );
    const rows = response.submissions.map((s) =>
      h(
        "tr",
        {},
        h("td", {}, h("a", { href: `/submissions/${encodeURIComponent(s.submissionId)}` }, s.submissionId.slice(0, 8))),
        h("td", {}, h("a", { href: `/problems/${encodeURIComponent(s.problemId)}` }, s.problemId.slice(0, 8))),
        h("td", {}, s.languageId),
        h("td", {}, s.status === SubmissionStatus.FINISHED ? verdictBadge(verdictName(s.verdict)) : verdictBadge("")),
        h("td", {}, formatMs(durationMs(s.maxCpuDuration))),
        h("td", {}, formatKib(s.maxMemoryKib)),
        h("td", {}, formatTime(s.createTime)),
      ),
    );
    replace(
      list,
      h("h1", {}, "My submissions"),
      rows.length === 0
        ? h("p", {}, "No submissions yet. ", h("a", { href: "/problems" }, "Pick a problem"), ".")
        : h(
            "table",
            { class: "table", id: "submissions" },
            h("caption", { class: "sr-only" }, "My submissions"),
            h(
              "thead",
              {},
              h("tr", {}, ["Submission", "Problem", "Language", "Verdict", "Time", "Memory", "Submitted"].map((t) => h("th", { scope: "col" }, t))),
            ),
            h("tbody", {}, rows),
          ),
      response.nextPageToken
        ? h("a", { href: `/submissions?page=${encodeURIComponent(response.nextPageToken)}`, rel: "next" }, "Older submissions")
        : null,
    );
  } catch (error) {
    if (!signal.aborted) pageError("My submissions", error);
  }
}

function renderJudging(container: HTMLElement, state: Judging): void {
  container.dataset.status = state.status;
  container.dataset.verdict = state.verdict;
  container.dataset.lastSequence = String(state.lastSequence);
  const summary = state.done
    ? h("p", { class: "verdict", id: "verdict" }, "Verdict: ", verdictBadge(state.verdict))
    : h("p", { class: "verdict", id: "verdict" }, `${humanize(state.status)}… `, `${state.tests.length} of ${state.testCount || "?"} tests`);
  replace(
    container,
    summary,
    state.compileOutput ? h("pre", { class: "stderr" }, state.compileOutput) : null,
    h(
      "table",
      { class: "table", id: "tests" },
      h("caption", {}, "Tests"),
      h("thead", {}, h("tr", {}, ["Test", "Verdict", "Time", "Memory"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        state.tests.map((t) =>
          h(
            "tr",
            { "data-ordinal": t.ordinal, "data-verdict": t.verdict },
            h("td", {}, String(t.ordinal)),
            h("td", {}, verdictBadge(t.verdict)),
            h("td", {}, formatMs(t.timeMs)),
            h("td", {}, formatKib(t.memoryKib)),
          ),
        ),
      ),
    ),
  );
}

/** Follows the judging live until its last event, resuming after the last event this tab saw. */
async function watch(container: HTMLElement, status: HTMLElement, submissionId: string, signal: AbortSignal): Promise<Judging> {
  let state = loadJudging(sessionStorage, submissionId) ?? initialJudging(submissionId);
  if (state.lastSequence > 0) {
    container.dataset.resumedFrom = String(state.lastSequence);
    status.textContent = `Resumed after event ${state.lastSequence}.`;
  }
  renderJudging(container, state);
  while (!state.done && !signal.aborted) {
    try {
      for await (const response of api.execution.watchSubmission({ submissionId, afterSequence: state.lastSequence }, { signal })) {
        if (response.submission) {
          state = { ...state, testCount: response.submission.testCount || state.testCount, status: enumName(SubmissionStatus, response.submission.status, "SUBMISSION_STATUS_") };
        }
        if (response.event) state = applyEvent(state, judgeEvent(response.event));
        saveJudging(sessionStorage, state);
        renderJudging(container, state);
        if (response.last) break;
      }
      if (!state.done) {
        // The stream ended (Envoy's stream timeout, a restart): pick up where it stopped.
        await new Promise((r) => setTimeout(r, RECONNECT_MS));
      }
    } catch (error) {
      if (signal.aborted || ConnectError.from(error).code === Code.Canceled) break;
      const ui = toUiError(error);
      replace(status, errorBox(ui));
      if (ui.status !== 503 && ui.status !== 504 && ui.code !== "Unknown") break;
      await new Promise((r) => setTimeout(r, RECONNECT_MS * 3));
    }
  }
  return state;
}

function finishedJudging(submission: Submission): Judging {
  return {
    ...initialJudging(submission.submissionId),
    status: "FINISHED",
    verdict: verdictName(submission.verdict),
    testCount: submission.testCount,
    tests: submission.testResults.map(testRow),
    compileOutput: submission.compileOutput,
    done: true,
  };
}

function aiReview(submission: Submission): HTMLElement {
  const output = h("div", { id: "ai-review", "aria-live": "polite" });
  const button = h("button", { type: "button", id: "analyze" }, "Analyze with AI");
  button.addEventListener("click", async () => {
    button.disabled = true;
    const review = h("p", { class: "review" });
    const findings = h("ul", { class: "findings" });
    replace(output, h("h3", {}, "Review"), review, h("h3", {}, "Findings"), findings);
    try {
      for await (const chunk of api.analysis.analyzeCodeStream({
        languageId: submission.languageId,
        source: submission.source,
        problemId: submission.problemId,
        submissionId: submission.submissionId,
      })) {
        if (chunk.chunk.case === "textDelta") review.append(chunk.chunk.value);
        if (chunk.chunk.case === "finding") {
          const f = chunk.chunk.value;
          findings.append(
            h(
              "li",
              {},
              badge(humanize(enumName(Severity, f.severity, "SEVERITY_")), enumName(Severity, f.severity, "SEVERITY_")),
              ` ${humanize(enumName(FindingCategory, f.category, "FINDING_CATEGORY_"))}`,
              f.lineStart ? ` (line ${f.lineStart})` : "",
              `: ${f.message}`,
            ),
          );
        }
        if (chunk.chunk.case === "analysis" && !review.textContent) review.textContent = chunk.chunk.value.summary;
      }
      if (!findings.childElementCount) findings.append(h("li", {}, "No findings."));
    } catch (error) {
      output.append(errorBox(toUiError(error)));
    } finally {
      button.disabled = false;
    }
  });
  return h("section", { "aria-labelledby": "ai-heading" }, h("h2", { id: "ai-heading" }, "AI analysis"), button, output);
}

export async function submissionView(params: Record<string, string>, _: URLSearchParams, signal: AbortSignal) {
  if (!session.signedIn) {
    page("Submission", signInNotice("see this submission"));
    return;
  }
  let submission: Submission;
  try {
    submission = (await api.execution.getSubmission({ submissionId: params.id }, unary(signal))).submission!;
  } catch (error) {
    if (!signal.aborted) pageError("Submission", error);
    return;
  }
  const judging = h("section", { id: "judging", "aria-live": "polite", "aria-label": "Judging" });
  const status = h("p", { class: "muted", id: "watch-status" });
  page(
    `Submission ${submission.submissionId.slice(0, 8)}`,
    h(
      "p",
      { class: "meta" },
      h("a", { href: `/problems/${encodeURIComponent(submission.problemId)}${submission.contestId ? `?contest=${submission.contestId}` : ""}` }, "Problem"),
      ` · ${submission.languageId} · submitted ${formatTime(submission.createTime)}`,
    ),
    status,
    judging,
  );
  if (submission.status === SubmissionStatus.FINISHED) {
    renderJudging(judging, finishedJudging(submission));
  } else {
    const state = await watch(judging, status, submission.submissionId, signal);
    if (!state.done) return;
  }
  if (!signal.aborted) judging.after(aiReview(submission));
}
