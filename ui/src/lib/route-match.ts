/**
 * Path patterns for the dashboard's routes (`/runs/:id`). Pure, so the router's matching is
 * tested without a browser; the router itself (router.svelte.ts) only tracks the location.
 */
export interface RouteDef<N extends string = string> {
  name: N;
  pattern: string;
}

export interface Match<N extends string = string> {
  name: N;
  params: Record<string, string>;
}

export function matchRoute<N extends string>(routes: readonly RouteDef<N>[], path: string): Match<N> | null {
  const parts = split(path);
  for (const r of routes) {
    const want = split(r.pattern);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const p = parts[i]!;
      if (w.startsWith(":")) {
        try {
          params[w.slice(1)] = decodeURIComponent(p);
        } catch {
          ok = false; // a malformed %-escape is no id of ours
        }
      } else if (w !== p) ok = false;
      if (!ok) break;
    }
    if (ok) return { name: r.name, params };
  }
  return null;
}

function split(path: string): string[] {
  return path.split("/").filter(Boolean);
}

/** Builds a path from a pattern, encoding each parameter (ids are client-chosen strings). */
export function pathFor(pattern: string, params: Record<string, string> = {}): string {
  return (
    "/" +
    split(pattern)
      .map((s) => (s.startsWith(":") ? encodeURIComponent(params[s.slice(1)] ?? "") : s))
      .join("/")
  );
}
