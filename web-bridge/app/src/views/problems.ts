// The problem list (difficulty, tag and text filters; pages) and a problem's page (statement,
// samples, limits, like and bookmark, the editor with Run and Submit).

import { h, replace } from "../dom.js";
import { api, session, unary } from "../api.js";
import { toUiError } from "../errors.js";
import { Difficulty } from "../../../gen/arena/problem/v1/problem_pb.js";
import type { Language } from "../../../gen/arena/execution/v1/execution_pb.js";
import { RunStatus } from "../../../gen/arena/execution/v1/execution_pb.js";
import { durationMs, enumName, formatKib, formatMs } from "../format.js";
import { humanize } from "../judge.js";
import { renderMarkdown } from "../markdown.js";
import { CodeEditor } from "../editor.js";
import { badge, errorBox, page, pageError, signInNotice } from "../ui.js";
import type { Router } from "../router.js";

const PAGE_SIZE = 10;
const DIFFICULTIES = ["EASY", "MEDIUM", "HARD"] as const;

export function problemsView(router: Router) {
  return async (_: Record<string, string>, query: URLSearchParams, signal: AbortSignal) => {
    const difficulty = query.get("difficulty") ?? "";
    const tag = query.get("tag") ?? "";
    const text = query.get("q") ?? "";
    const filters = h(
      "form",
      { class: "filters", role: "search", "aria-label": "Filter problems" },
      h("label", { for: "filter-q" }, "Search"),
      h("input", { id: "filter-q", name: "q", type: "search", value: text }),
      h("label", { for: "filter-difficulty" }, "Difficulty"),
      h(
        "select",
        { id: "filter-difficulty", name: "difficulty" },
        h("option", { value: "" }, "Any"),
        DIFFICULTIES.map((d) => h("option", { value: d, selected: d === difficulty }, humanize(d))),
      ),
      h("label", { for: "filter-tag" }, "Tag"),
      h("input", { id: "filter-tag", name: "tag", value: tag }),
      h("button", { type: "submit" }, "Apply"),
    );
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(filters);
      const next = new URLSearchParams();
      for (const key of ["q", "difficulty", "tag"]) {
        const value = String(data.get(key) ?? "").trim();
        if (value) next.set(key, value);
      }
      router.navigate(`/problems${next.size ? `?${next}` : ""}`);
    });
    const results = h("div", { "aria-live": "polite" }, h("p", {}, "Loading problems…"));
    page("Problems", filters, results);
    try {
      const response = await api.problems.listProblems(
        {
          pageSize: PAGE_SIZE,
          pageToken: query.get("page") ?? "",
          difficulty: difficulty ? Difficulty[`DIFFICULTY_${difficulty}` as keyof typeof Difficulty] : Difficulty.UNSPECIFIED,
          tag,
          query: text,
        },
        unary(signal),
      );
      const nav = h("nav", { class: "pager", "aria-label": "Pages" });
      if (query.get("page")) nav.append(h("button", { type: "button", onclick: () => history.back() }, "Previous page"));
      if (response.nextPageToken) {
        const next = new URLSearchParams(query);
        next.set("page", response.nextPageToken);
        nav.append(h("a", { href: `/problems?${next}`, rel: "next" }, "Next page"));
      }
      replace(
        results,
        h("p", { class: "muted" }, `${response.totalSize} problem${response.totalSize === 1 ? "" : "s"}`),
        response.problems.length === 0
          ? h("p", {}, "No problem matches these filters.")
          : h(
              "table",
              { class: "table" },
              h("caption", { class: "sr-only" }, "Problems"),
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Difficulty"), h("th", { scope: "col" }, "Tags"), h("th", { scope: "col" }, "Likes"))),
              h(
                "tbody",
                {},
                response.problems.map((p) => {
                  const level = enumName(Difficulty, p.difficulty, "DIFFICULTY_");
                  return h(
                    "tr",
                    {},
                    h("td", {}, h("a", { href: `/problems/${encodeURIComponent(p.problemId)}` }, p.title)),
                    h("td", {}, badge(humanize(level), level)),
                    h("td", {}, p.tags.map((t) => h("a", { class: "tag", href: `/problems?tag=${encodeURIComponent(t)}` }, t))),
                    h("td", {}, String(p.likeCount)),
                  );
                }),
              ),
            ),
        nav,
      );
    } catch (error) {
      if (!signal.aborted) replace(results, errorBox(toUiError(error)));
    }
  };
}

const TEMPLATES: Record<string, string> = {
  python3: "import sys\n\ndata = sys.stdin.read().split()\n",
  c: "#include <stdio.h>\n\nint main(void) {\n    return 0;\n}\n",
  cpp: "#include <bits/stdc++.h>\nusing namespace std;\n\nint main() {\n    return 0;\n}\n",
  javascript: "const input = require('fs').readFileSync(0, 'utf8');\n",
  java: "import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n    }\n}\n",
};

let languages: Promise<Language[]> | null = null;
function judgeLanguages(): Promise<Language[]> {
  languages ??= api.execution.listLanguages({}, unary()).then((r) => r.languages).catch((error) => {
    languages = null;
    throw error;
  });
  return languages;
}

export function problemView(router: Router) {
  return async (params: Record<string, string>, query: URLSearchParams, signal: AbortSignal) => {
    page("Problem", h("p", {}, "Loading…"));
    let problem;
    try {
      problem = (await api.problems.getProblem({ problemId: params.id }, unary(signal))).problem!;
    } catch (error) {
      if (!signal.aborted) pageError("Problem", error);
      return;
    }
    const contestId = query.get("contest") ?? "";
    const level = enumName(Difficulty, problem.difficulty, "DIFFICULTY_");
    const statement = h("div", { class: "statement" });
    statement.innerHTML = renderMarkdown(problem.statement); // markdown-it with html: false (see markdown.ts)

    const toggles = h("div", { class: "toggles" });
    const like = h("button", { type: "button", "aria-pressed": String(problem.liked) }, `♥ Like (${problem.likeCount})`);
    const bookmark = h(
      "button",
      { type: "button", "aria-pressed": String(problem.bookmarked) },
      `★ Bookmark (${problem.bookmarkCount})`,
    );
    const toggleError = h("div", { "aria-live": "polite" });
    like.addEventListener("click", async () => {
      try {
        const r = await api.problems.likeProblem({ problemId: problem.problemId, liked: like.getAttribute("aria-pressed") !== "true" }, unary());
        like.setAttribute("aria-pressed", String(r.liked));
        like.textContent = `♥ Like (${r.likeCount})`;
        toggleError.replaceChildren();
      } catch (error) {
        replace(toggleError, errorBox(toUiError(error)));
      }
    });
    bookmark.addEventListener("click", async () => {
      try {
        const r = await api.problems.bookmarkProblem(
          { problemId: problem.problemId, bookmarked: bookmark.getAttribute("aria-pressed") !== "true" },
          unary(),
        );
        bookmark.setAttribute("aria-pressed", String(r.bookmarked));
        bookmark.textContent = `★ Bookmark (${r.bookmarkCount})`;
        toggleError.replaceChildren();
      } catch (error) {
        replace(toggleError, errorBox(toUiError(error)));
      }
    });
    toggles.append(like, bookmark);

    const samples = problem.sampleTests.map((test, i) =>
      h(
        "section",
        { class: "sample", "aria-label": `Sample ${i + 1}` },
        h("h3", {}, `Sample ${i + 1}`),
        h("div", { class: "sample-io" }, h("div", {}, h("h4", {}, "Input"), h("pre", {}, test.input)), h("div", {}, h("h4", {}, "Output"), h("pre", {}, test.expectedOutput))),
        test.explanation ? h("p", {}, test.explanation) : null,
      ),
    );

    const workspace = h("section", { class: "workspace", "aria-labelledby": "solve-heading" }, h("h2", { id: "solve-heading" }, "Solve"));
    const root = page(
      problem.title,
      h(
        "p",
        { class: "meta" },
        badge(humanize(level), level),
        ` Time limit ${formatMs(durationMs(problem.timeLimit))} · Memory limit ${formatKib(problem.memoryLimitKib)} · `,
        problem.tags.map((t) => h("span", { class: "tag" }, t)),
        contestId ? h("a", { href: `/contests/${encodeURIComponent(contestId)}` }, " · back to the contest") : null,
      ),
      toggles,
      toggleError,
      h(
        "div",
        { class: "problem-layout" },
        h("div", { class: "problem-text" }, statement, samples.length ? h("h2", {}, "Samples") : null, samples),
        workspace,
      ),
    );
    void root;
    if (!session.signedIn) {
      workspace.append(signInNotice("run and submit code"));
      return;
    }
    let available: Language[];
    try {
      available = await judgeLanguages();
    } catch (error) {
      workspace.append(errorBox(toUiError(error)));
      return;
    }
    const preferred = sessionStorage.getItem("arena.language") ?? "python3";
    const initial = available.find((l) => l.languageId === preferred) ?? available[0];
    const select = h(
      "select",
      { id: "language", name: "language_id" },
      available.map((l) => h("option", { value: l.languageId, selected: l === initial }, `${l.name} ${l.version}`.trim())),
    );
    const editorHost = h("div", { class: "editor", id: "editor" });
    const stdin = h("textarea", { id: "stdin", name: "stdin", rows: 3 }, problem.sampleTests[0]?.input ?? "");
    const output = h("div", { class: "run-output", "aria-live": "polite", id: "run-output" });
    const submitError = h("div", { id: "submit-error", "aria-live": "polite" });
    const run = h("button", { type: "button", id: "run" }, "Run");
    const submit = h("button", { type: "button", id: "submit", class: "primary" }, "Submit");
    workspace.append(
      h("div", { class: "field" }, h("label", { for: "language" }, "Language"), select),
      h("p", { class: "label", id: "editor-label" }, "Source code"),
      editorHost,
      h("div", { class: "field" }, h("label", { for: "stdin" }, "Custom input"), stdin),
      h("div", { class: "actions" }, run, submit),
      submitError,
      output,
    );
    const draftKey = `arena.draft.${problem.problemId}.${initial?.languageId}`;
    const editor = new CodeEditor(
      editorHost,
      sessionStorage.getItem(draftKey) ?? TEMPLATES[initial?.languageId ?? ""] ?? "",
      initial?.languageId ?? "",
      "Source code",
    );
    (window as unknown as { arenaEditor: CodeEditor }).arenaEditor = editor; // for tests and devtools
    select.addEventListener("change", () => {
      sessionStorage.setItem("arena.language", select.value);
      editor.setLanguage(select.value);
      if (!editor.text.trim() || Object.values(TEMPLATES).includes(editor.text)) editor.text = TEMPLATES[select.value] ?? "";
    });
    run.addEventListener("click", async () => {
      run.disabled = true;
      replace(output, h("p", {}, "Running…"));
      try {
        const { result } = await api.execution.runCode(
          { languageId: select.value, source: editor.text, stdin: stdin.value },
          { ...unary(signal), timeoutMs: 60_000 },
        );
        const status = enumName(RunStatus, result!.status, "RUN_STATUS_");
        replace(
          output,
          h("h3", {}, `Run: ${humanize(status)}`),
          h("p", { class: "muted" }, `${formatMs(durationMs(result!.cpuDuration))} · ${formatKib(result!.memoryKib)}`),
          result!.compileOutput ? h("pre", { class: "stderr" }, result!.compileOutput) : null,
          h("h4", {}, "Output"),
          h("pre", { id: "run-stdout" }, result!.stdout),
          result!.stderr ? [h("h4", {}, "Errors"), h("pre", { class: "stderr" }, result!.stderr)] : null,
        );
      } catch (error) {
        replace(output, errorBox(toUiError(error)));
      } finally {
        run.disabled = false;
      }
    });
    submit.addEventListener("click", async () => {
      submit.disabled = true;
      submitError.replaceChildren();
      try {
        const { submission } = await api.execution.createSubmission(
          { submission: { problemId: problem.problemId, languageId: select.value, source: editor.text, contestId } },
          unary(signal),
        );
        router.navigate(`/submissions/${encodeURIComponent(submission!.submissionId)}`);
      } catch (error) {
        replace(submitError, errorBox(toUiError(error)));
        submit.disabled = false;
      }
    });
    editor.view.dom.addEventListener("keyup", () => sessionStorage.setItem(`arena.draft.${problem.problemId}.${select.value}`, editor.text));
  };
}
