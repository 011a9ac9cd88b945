// The Arena web app: routes, the account area (sign in/out, the notifications bell), start-up.

import "./style.css";
import { h, replace } from "./dom.js";
import { session } from "./api.js";
import { Bell } from "./notifications.js";
import { Router } from "./router.js";
import { page } from "./ui.js";
import { signInView, signUpView } from "./views/auth.js";
import { problemView, problemsView } from "./views/problems.js";
import { submissionView, submissionsView } from "./views/submissions.js";
import { contestView, contestsView } from "./views/contests.js";

const router = new Router(() => {
  page("Page not found", h("p", {}, "There is nothing here. ", h("a", { href: "/problems" }, "See the problems"), "."));
});
router
  .add("/", problemsView(router))
  .add("/problems", problemsView(router))
  .add("/problems/:id", problemView(router))
  .add("/submissions", submissionsView)
  .add("/submissions/:id", submissionView)
  .add("/contests", contestsView)
  .add("/contests/:id", contestView)
  .add("/signin", signInView(router))
  .add("/signup", signUpView(router));

const bell = new Bell();

function renderAccount(): void {
  const account = document.getElementById("account")!;
  document.getElementById("nav-submissions")!.hidden = !session.signedIn;
  if (!session.signedIn) {
    bell.stop();
    replace(account, h("a", { href: "/signin", id: "signin-link" }, "Sign in"), h("a", { href: "/signup", class: "button" }, "Sign up"));
    return;
  }
  const signOut = h("button", { type: "button", id: "signout" }, "Sign out");
  signOut.addEventListener("click", () => {
    router.navigate("/problems"); // first, so a link followed while the logout call runs wins
    void session.signOut();
  });
  replace(account, bell.element, h("span", { class: "who", id: "who" }, session.user!.username), signOut);
  bell.start();
}

session.onChange(renderAccount);
window.addEventListener("unhandledrejection", (event) => {
  const banner = document.getElementById("banner")!;
  banner.textContent = `Something went wrong: ${event.reason instanceof Error ? event.reason.message : String(event.reason)}`;
  banner.hidden = false;
});

// Leaving the page (or going into the back/forward cache) ends its streams at once: otherwise their
// connections linger, and a browser opens only six HTTP/1.1 connections to one host.
window.addEventListener("pagehide", () => {
  bell.stop();
  router.stop();
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    renderAccount();
    void router.render();
  }
});

await session.restore().catch(() => undefined);
renderAccount();
router.start();
