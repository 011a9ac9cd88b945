// Shared page pieces: the main area, error boxes, form field errors, the "please sign in" notice.

import { h, replace, type Child } from "./dom.js";
import { toUiError, type UiError } from "./errors.js";

export function main(): HTMLElement {
  return document.getElementById("main")!;
}

/** Replaces the main area with a page: its heading first (the document title follows it). */
export function page(title: string, ...children: Child[]): HTMLElement {
  document.title = `${title} · Arena`;
  const root = main();
  replace(root, h("h1", {}, title), ...children);
  return root;
}

export function errorBox(error: UiError): HTMLElement {
  return h(
    "div",
    { class: "error", role: "alert", "data-status": error.status, "data-code": error.code },
    h("strong", {}, `${error.status === 500 ? "Error" : statusTitle(error.status)}: `),
    error.message,
  );
}

function statusTitle(status: number): string {
  return (
    { 400: "Invalid input", 401: "Sign-in needed", 403: "Forbidden", 404: "Not found", 409: "Conflict", 429: "Slow down", 503: "Unavailable", 504: "Timed out" }[status] ??
    "Error"
  );
}

/** A whole-page error (the page could not load): a message, never a blank page. */
export function pageError(title: string, error: unknown): void {
  page(title, errorBox(toUiError(error)), h("p", {}, h("a", { href: "/problems" }, "Back to the problems")));
}

/** A labelled input with a slot for its error (aria-describedby points at it). */
export function field(
  name: string,
  label: string,
  attrs: Record<string, string | boolean> = {},
): HTMLElement {
  const id = `field-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, name, "aria-describedby": `${id}-error`, ...attrs }),
    h("p", { class: "field-error", id: `${id}-error`, "data-field": name }),
  );
}

/** Shows a failed call on a form: each field's error under the field, the rest in the form's alert. */
export function showFormError(form: HTMLFormElement, error: unknown): UiError {
  const ui = toUiError(error);
  clearFormErrors(form);
  const unplaced: string[] = [];
  for (const [name, message] of Object.entries(ui.fields)) {
    const slot = form.querySelector<HTMLElement>(`.field-error[data-field="${CSS.escape(name)}"]`);
    const input = form.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`);
    if (slot) {
      slot.textContent = message;
      input?.setAttribute("aria-invalid", "true");
    } else {
      unplaced.push(`${name}: ${message}`);
    }
  }
  const alert = form.querySelector<HTMLElement>(".form-error")!;
  replace(alert, errorBox({ ...ui, message: [ui.message, ...unplaced].join(" ") }));
  form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  return ui;
}

export function clearFormErrors(form: HTMLFormElement): void {
  form.querySelectorAll(".field-error").forEach((slot) => (slot.textContent = ""));
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  form.querySelector(".form-error")?.replaceChildren();
}

export function signInNotice(what: string): HTMLElement {
  return h(
    "p",
    { class: "notice" },
    h("a", { href: `/signin?next=${encodeURIComponent(location.pathname + location.search)}` }, "Sign in"),
    ` to ${what}.`,
  );
}

export function badge(text: string, kind: string): HTMLElement {
  return h("span", { class: `badge badge-${kind.toLowerCase()}` }, text);
}
