// Sign in and sign up.

import { h } from "../dom.js";
import { session } from "../api.js";
import { clearFormErrors, field, page, showFormError } from "../ui.js";
import type { Router } from "../router.js";

function nextPath(query: URLSearchParams): string {
  const next = query.get("next") ?? "/problems";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/problems";
}

export function signInView(router: Router) {
  return (_: Record<string, string>, query: URLSearchParams) => {
    const form = h(
      "form",
      { class: "card form", "aria-label": "Sign in", novalidate: true },
      field("username", "Username", { autocomplete: "username", required: true }),
      field("password", "Password", { type: "password", autocomplete: "current-password", required: true }),
      h("div", { class: "form-error" }),
      h("button", { type: "submit" }, "Sign in"),
      h("p", {}, "New here? ", h("a", { href: "/signup" }, "Create an account")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      const data = new FormData(form);
      try {
        await session.signIn(String(data.get("username")), String(data.get("password")));
        router.navigate(nextPath(query));
      } catch (error) {
        showFormError(form, error);
      }
    });
    page("Sign in", form);
  };
}

export function signUpView(router: Router) {
  return (_: Record<string, string>, query: URLSearchParams) => {
    const form = h(
      "form",
      { class: "card form", "aria-label": "Create an account", novalidate: true },
      field("username", "Username", { autocomplete: "username" }),
      field("email", "Email", { type: "email", autocomplete: "email" }),
      field("display_name", "Display name (optional)", { autocomplete: "nickname" }),
      field("password", "Password", { type: "password", autocomplete: "new-password" }),
      h("div", { class: "form-error" }),
      h("button", { type: "submit" }, "Create account"),
      h("p", {}, "Have an account? ", h("a", { href: "/signin" }, "Sign in")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      const data = new FormData(form);
      try {
        await session.signUp(
          String(data.get("username")),
          String(data.get("email")),
          String(data.get("password")),
          String(data.get("display_name")),
        );
        router.navigate(nextPath(query));
      } catch (error) {
        showFormError(form, error);
      }
    });
    page("Create an account", form);
  };
}
