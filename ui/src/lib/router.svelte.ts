import { matchRoute, type Match, type RouteDef } from "./route-match.js";

/**
 * History-based routing: real paths (`/runs/abc?status=failed`) so links can be shared and
 * reloaded; the server answers every non-API path with index.html (server/src/routes/ui.ts).
 */
export class Router<N extends string> {
  path = $state(location.pathname);
  search = $state(location.search);
  readonly match: Match<N> | null = $derived.by(() => matchRoute(this.routes, this.path));
  readonly query: URLSearchParams = $derived(new URLSearchParams(this.search));

  private readonly routes: readonly RouteDef<N>[];

  constructor(routes: readonly RouteDef<N>[]) {
    this.routes = routes;
    addEventListener("popstate", () => this.sync());
    // Same-origin <a href> clicks navigate in place; modified clicks open tabs as usual.
    document.addEventListener("click", (e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest?.("a");
      if (!a || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
      if (a.pathname.startsWith("/v1/") || a.pathname === "/reference") return;
      e.preventDefault();
      this.go(a.pathname + a.search);
    });
  }

  go(url: string, replace = false): void {
    if (url === location.pathname + location.search) return;
    if (replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    this.sync();
    if (!replace) scrollTo(0, 0);
  }

  /** Replaces the query string (filters), keeping the path. */
  setQuery(q: Record<string, string | undefined>): void {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    const s = p.toString();
    this.go(location.pathname + (s ? `?${s}` : ""), true);
  }

  private sync(): void {
    this.path = location.pathname;
    this.search = location.search;
  }
}
