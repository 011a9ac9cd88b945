// The notifications bell: the unread count, live from StreamNotifications while signed in, and a
// panel with the latest notifications (ListNotifications, MarkRead).

import { Code, ConnectError } from "@connectrpc/connect";
import { h, replace } from "./dom.js";
import { api, unary } from "./api.js";
import { toUiError } from "./errors.js";
import { formatTime } from "./format.js";
import { errorBox } from "./ui.js";

const RECONNECT_MS = 2_000;

const SVG = "http://www.w3.org/2000/svg";

function bellIcon(): SVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z");
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

export class Bell {
  readonly element: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly count: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly live: HTMLElement;
  private unread = 0;
  private lastSequence = 0n;
  private controller: AbortController | null = null;

  constructor() {
    this.count = h("span", { class: "count", id: "unread-count" }, "0");
    this.button = h(
      "button",
      { type: "button", id: "bell", class: "bell", "aria-expanded": "false", "aria-controls": "notifications-panel" },
      bellIcon(),
      h("span", { class: "sr-only" }, "Notifications, unread: "),
      this.count,
    );
    this.panel = h("div", { id: "notifications-panel", class: "panel", hidden: true, role: "region", "aria-label": "Notifications" });
    this.live = h("div", { class: "sr-only", "aria-live": "polite", id: "notification-live" });
    this.button.addEventListener("click", () => void this.toggle());
    this.element = h("div", { class: "bell-holder" }, this.button, this.panel, this.live);
  }

  start(): void {
    this.stop();
    this.controller = new AbortController();
    void this.follow(this.controller.signal);
  }

  stop(): void {
    this.controller?.abort();
    this.controller = null;
  }

  private setUnread(count: number): void {
    this.unread = count;
    this.count.textContent = String(count);
    this.element.dataset.unread = String(count);
    this.button.classList.toggle("has-unread", count > 0);
  }

  private async follow(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        for await (const response of api.notifications.streamNotifications({ afterSequence: this.lastSequence }, { signal })) {
          this.setUnread(response.unreadCount);
          if (response.event.case === "notification") {
            const n = response.event.value;
            if (n.sequence > this.lastSequence) this.lastSequence = n.sequence;
            this.live.textContent = `New notification: ${n.title}`;
            if (!this.panel.hidden) void this.load();
          }
          if (response.last) break;
        }
      } catch (error) {
        if (signal.aborted || ConnectError.from(error).code === Code.Canceled) return;
        if (toUiError(error).status === 401) return;
      }
      await new Promise((r) => setTimeout(r, RECONNECT_MS));
    }
  }

  private async toggle(): Promise<void> {
    const open = this.panel.hidden;
    this.panel.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (open) await this.load();
  }

  private async load(): Promise<void> {
    try {
      const response = await api.notifications.listNotifications({ pageSize: 10 }, unary());
      this.setUnread(response.unreadCount);
      const markAll = h("button", { type: "button", id: "mark-all-read" }, "Mark all as read");
      markAll.addEventListener("click", async () => {
        try {
          const r = await api.notifications.markRead({ all: true }, unary());
          this.setUnread(r.unreadCount);
          await this.load();
        } catch (error) {
          this.panel.append(errorBox(toUiError(error)));
        }
      });
      replace(
        this.panel,
        h("h2", {}, "Notifications"),
        response.notifications.length === 0
          ? h("p", {}, "Nothing yet.")
          : h(
              "ul",
              { class: "notifications" },
              response.notifications.map((n) =>
                h(
                  "li",
                  { class: n.read ? "read" : "unread" },
                  n.link && n.link.startsWith("/") ? h("a", { href: n.link }, n.title) : h("strong", {}, n.title),
                  h("p", {}, n.body),
                  h("p", { class: "muted" }, formatTime(n.createTime)),
                ),
              ),
            ),
        this.unread > 0 ? markAll : null,
      );
    } catch (error) {
      replace(this.panel, errorBox(toUiError(error)));
    }
  }
}
