// Contests: the list (with registration), and a contest's page: its problems, the live leaderboard
// from GetLeaderboardStream (frozen state shown, your row highlighted), clarifications and
// announcements.

import { Code, ConnectError } from "@connectrpc/connect";
import { nextBoard } from "../board.js";
import { h, replace } from "../dom.js";
import { api, session, unary } from "../api.js";
import { toUiError } from "../errors.js";
import {
  ClarificationKind,
  ContestPhase,
  ScoringRule,
  type Contest,
  type Leaderboard,
} from "../../../gen/arena/contest/v1/contest_pb.js";
import { durationMs, enumName, formatTime } from "../format.js";
import { humanize } from "../judge.js";
import { badge, clearFormErrors, errorBox, page, pageError, showFormError, signInNotice } from "../ui.js";

const RECONNECT_MS = 1_000;

function phaseBadge(contest: Contest): HTMLElement {
  const phase = enumName(ContestPhase, contest.phase, "CONTEST_PHASE_");
  return badge(humanize(phase), phase);
}

function registerButton(contest: Contest, onDone: () => void): HTMLElement {
  if (!session.signedIn) return signInNotice("register");
  if (contest.registered) return badge("Registered", "ok");
  const holder = h("span", {});
  const button = h("button", { type: "button", class: "primary" }, "Register");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api.contests.registerForContest({ contestId: contest.contestId }, unary());
      onDone();
    } catch (error) {
      holder.append(errorBox(toUiError(error)));
      button.disabled = false;
    }
  });
  holder.append(button);
  return holder;
}

export async function contestsView(_: Record<string, string>, __: URLSearchParams, signal: AbortSignal) {
  const root = page("Contests", h("p", {}, "Loading…"));
  try {
    const { contests } = await api.contests.listContests({ pageSize: 50 }, unary(signal));
    replace(
      root,
      h("h1", {}, "Contests"),
      contests.length === 0
        ? h("p", {}, "No contests yet.")
        : h(
            "ul",
            { class: "cards" },
            contests.map((c) =>
              h(
                "li",
                { class: "card" },
                h("h2", {}, h("a", { href: `/contests/${encodeURIComponent(c.contestId)}` }, c.title)),
                h("p", {}, phaseBadge(c), ` ${humanize(enumName(ScoringRule, c.scoringRule, "SCORING_RULE_"))} · ${c.participantCount} participants · starts ${formatTime(c.startTime)}`),
                h("p", {}, c.description),
                registerButton(c, () => void contestsView({}, new URLSearchParams(), signal)),
              ),
            ),
          ),
    );
  } catch (error) {
    if (!signal.aborted) pageError("Contests", error);
  }
}

function renderBoard(container: HTMLElement, board: Leaderboard, me: string): void {
  container.dataset.version = String(board.version);
  container.dataset.frozen = String(board.frozen);
  const icpc = board.scoringRule === ScoringRule.ICPC;
  replace(
    container,
    board.frozen
      ? h("p", { class: "frozen", role: "status" }, "❄ The board is frozen: results submitted since the freeze are hidden until the end.")
      : null,
    h("p", { class: "muted" }, `${board.participantCount} participants · version ${board.version} · updated ${formatTime(board.updateTime)}`),
    h(
      "table",
      { class: "table board" },
      h("caption", { class: "sr-only" }, "Leaderboard"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Rank"),
          h("th", { scope: "col" }, "Contestant"),
          h("th", { scope: "col" }, icpc ? "Solved" : "Score"),
          icpc ? h("th", { scope: "col" }, "Penalty") : null,
          board.problems.map((p) => h("th", { scope: "col" }, p.label)),
        ),
      ),
      h(
        "tbody",
        {},
        board.rows.map((row) =>
          h(
            "tr",
            { class: row.userId === me ? "me" : "", "aria-current": row.userId === me ? "true" : undefined, "data-user-id": row.userId },
            h("td", {}, String(row.rank)),
            h("td", {}, row.displayName || row.userId.slice(0, 8), row.userId === me ? " (you)" : ""),
            h("td", { class: "score" }, icpc ? String(row.solvedCount) : String(row.score)),
            icpc ? h("td", {}, String(Math.round(durationMs(row.penalty) / 60_000))) : null,
            row.cells.map((cell) => {
              const tries = cell.rejectedAttempts + (cell.solved ? 1 : 0);
              const text = cell.solved ? `+${tries > 1 ? tries - 1 : ""}` : cell.pendingAttempts ? `?${cell.pendingAttempts}` : tries ? `−${tries}` : "";
              const state = cell.solved ? "solved" : cell.pendingAttempts ? "pending" : tries ? "failed" : "";
              return h("td", { class: `cell ${state}`, "data-label": cell.label }, icpc ? text : String(cell.score));
            }),
          ),
        ),
      ),
    ),
  );
}

async function followBoard(container: HTMLElement, contestId: string, signal: AbortSignal): Promise<void> {
  let board: Leaderboard | undefined;
  while (!signal.aborted) {
    try {
      const afterVersion = board?.version ?? 0;
      for await (const response of api.contests.getLeaderboardStream({ contestId, pageSize: 100, afterVersion }, { signal })) {
        const next = nextBoard(board, response);
        if (next === undefined) {
          board = undefined; // a change for a page this client does not hold: reconnect for a snapshot
          break;
        }
        if (next !== board) renderBoard(container, next, session.user?.userId ?? "");
        board = next;
        if (response.last) return;
      }
    } catch (error) {
      if (signal.aborted || ConnectError.from(error).code === Code.Canceled) return;
      const ui = toUiError(error);
      container.prepend(errorBox(ui));
      if (ui.status !== 503 && ui.status !== 504 && ui.code !== "Unknown") return;
    }
    await new Promise((r) => setTimeout(r, RECONNECT_MS));
  }
}

async function clarifications(contest: Contest, signal: AbortSignal): Promise<HTMLElement> {
  const section = h("section", { "aria-labelledby": "clar-heading" }, h("h2", { id: "clar-heading" }, "Announcements and clarifications"));
  const list = h("ul", { class: "clarifications" });
  section.append(list);
  const load = async () => {
    try {
      const { clarifications } = await api.contests.listClarifications({ contestId: contest.contestId, pageSize: 50 }, unary(signal));
      replace(
        list,
        clarifications.length === 0
          ? h("li", {}, "Nothing yet.")
          : clarifications.map((c) =>
              h(
                "li",
                { class: c.kind === ClarificationKind.ANNOUNCEMENT ? "announcement" : "question" },
                badge(c.kind === ClarificationKind.ANNOUNCEMENT ? "Announcement" : "Question", c.kind === ClarificationKind.ANNOUNCEMENT ? "info" : "pending"),
                c.label ? ` [${c.label}]` : "",
                ` ${c.text}`,
                c.answer ? h("p", { class: "answer" }, `Answer: ${c.answer}`) : null,
              ),
            ),
      );
    } catch (error) {
      if (!signal.aborted) replace(list, h("li", {}, errorBox(toUiError(error))));
    }
  };
  await load();
  if (session.signedIn) {
    const form = h(
      "form",
      { class: "form", "aria-label": "Ask a question", novalidate: true },
      h("div", { class: "field" }, h("label", { for: "field-text" }, "Ask the judges"), h("textarea", { id: "field-text", name: "text", rows: 2, "aria-describedby": "field-text-error" }), h("p", { class: "field-error", id: "field-text-error", "data-field": "text" })),
      h("div", { class: "form-error" }),
      h("button", { type: "submit" }, "Ask"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      try {
        await api.contests.askClarification({ contestId: contest.contestId, text: String(new FormData(form).get("text")) }, unary(signal));
        form.reset();
        await load();
      } catch (error) {
        showFormError(form, error);
      }
    });
    section.append(form);
  }
  return section;
}

export async function contestView(params: Record<string, string>, _: URLSearchParams, signal: AbortSignal) {
  let contest: Contest;
  try {
    contest = (await api.contests.getContest({ contestId: params.id }, unary(signal))).contest!;
  } catch (error) {
    if (!signal.aborted) pageError("Contest", error);
    return;
  }
  const board = h("div", { id: "leaderboard", "aria-live": "polite", "aria-label": "Leaderboard" }, h("p", {}, "Connecting to the live board…"));
  const reload = () => void contestView(params, _, signal);
  page(
    contest.title,
    h("p", { class: "meta" }, phaseBadge(contest), ` ${formatTime(contest.startTime)} – ${formatTime(contest.endTime)} · `, registerButton(contest, reload)),
    h("p", {}, contest.description),
    h("h2", {}, "Problems"),
    h(
      "ol",
      { class: "contest-problems" },
      contest.problems.map((p) =>
        h("li", {}, h("a", { href: `/problems/${encodeURIComponent(p.problemId)}?contest=${encodeURIComponent(contest.contestId)}` }, `${p.label}. ${p.title}`)),
      ),
    ),
    h("h2", {}, "Leaderboard"),
    board,
    await clarifications(contest, signal),
  );
  void followBoard(board, contest.contestId, signal);
}
