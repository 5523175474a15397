import { SvelteMap } from "svelte/reactivity";
import { shortId } from "./format.js";

export interface Person {
  id: string;
  email: string;
  name: string;
}

/** The user id behind an actor (`user:<id>`) or a bare reviewer id; null for keys and the system. */
export function userIdOf(actor: string): string | null {
  if (actor.startsWith("user:")) return actor.slice(5) || null;
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(actor) ? actor : null;
}

/** At most this many ids per request (the server's bound). */
const BATCH = 100;

/**
 * Emails for the user ids pages show (audit actors, reviewers, claimants), looked up in batches:
 * every id asked for in one turn of the event loop goes in one request, and each id is asked
 * for once. Until the answer comes (or when the id is no user of this project) the id itself
 * is shown. Reading `label` inside a template re-renders when the email arrives.
 */
export class PeopleDirectory {
  private readonly known = new SvelteMap<string, Person | null>();
  private readonly pending = new Set<string>();
  private scheduled = false;

  constructor(private readonly lookup: (ids: string[]) => Promise<Person[]>) {}

  /** An email for a user actor or id; an API key by a short id; the system as it is. */
  label(actor: string | null | undefined): string {
    if (!actor) return "—";
    const id = userIdOf(actor);
    // An SDK's API key by a short id: the full one stays in the title.
    if (id === null) return actor.startsWith("sdk:") ? `API key ${shortId(actor.slice(4))}` : actor;
    const p = this.known.get(id);
    if (p) return p.email;
    if (p === undefined) this.want(id);
    return actor;
  }

  private want(id: string): void {
    // Not reactive state: label() runs while rendering, where writing state is not allowed.
    this.pending.add(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => void this.flush(), 0);
  }

  /** Sends the ids asked for so far; exposed for tests. */
  async flush(): Promise<void> {
    this.scheduled = false;
    const ids = [...this.pending].filter((id) => !this.known.has(id));
    this.pending.clear();
    for (let i = 0; i < ids.length; i += BATCH) {
      const part = ids.slice(i, i + BATCH);
      // Marked first, so a failed or slow lookup is not repeated on every render.
      for (const id of part) this.known.set(id, null);
      try {
        for (const p of await this.lookup(part)) this.known.set(p.id, p);
      } catch {
        // The ids stay on screen; a page reload asks again.
      }
    }
  }
}
