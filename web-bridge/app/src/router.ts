// A tiny history router: path patterns to views; links inside the app navigate without a reload.
// Each view gets an AbortSignal that fires when the user leaves it (streams stop with it).

export type View = (params: Record<string, string>, query: URLSearchParams, signal: AbortSignal) => Promise<void> | void;

interface Route {
  pattern: RegExp;
  names: string[];
  view: View;
}

export class Router {
  private routes: Route[] = [];
  private current: AbortController | null = null;

  constructor(private readonly notFound: View) {}

  add(path: string, view: View): this {
    const names: string[] = [];
    const source = path.replace(/:(\w+)/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    this.routes.push({ pattern: new RegExp(`^${source}/?$`), names, view });
    return this;
  }

  start(): void {
    window.addEventListener("popstate", () => void this.render());
    document.addEventListener("click", (event) => {
      const link = (event.target as Element | null)?.closest?.("a");
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin || link.target || link.hasAttribute("download")) return;
      event.preventDefault();
      this.navigate(url.pathname + url.search);
    });
    void this.render();
  }

  /** Ends the current view's calls (its streams): the page is going away. */
  stop(): void {
    this.current?.abort();
    this.current = null;
  }

  navigate(path: string, { replace = false } = {}): void {
    if (replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
    void this.render();
  }

  async render(): Promise<void> {
    this.current?.abort();
    const controller = new AbortController();
    this.current = controller;
    const path = location.pathname;
    const query = new URLSearchParams(location.search);
    for (const route of this.routes) {
      const match = route.pattern.exec(path);
      if (match) {
        const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
        await route.view(params, query, controller.signal);
        return;
      }
    }
    await this.notFound({}, query, controller.signal);
  }
}
