import { api } from "./api.js";
import { router } from "./app-state.js";
import { Resource } from "./resource.svelte.js";
import type { SeriesListResponse } from "./types.js";

/**
 * The workflow / version / step choice shared by the analytics pages, read from and written to
 * the address (so a chart can be linked), with the choices the analytics series offer.
 */
export class SeriesFilter {
  readonly series = new Resource<SeriesListResponse>();
  readonly workflows = $derived([...new Set(this.series.data?.items.map((s) => s.workflow) ?? [])].sort());
  readonly workflow = $derived(router.query.get("workflow") ?? this.workflows[0] ?? "");
  readonly versions = $derived([...new Set(this.series.data?.items.filter((s) => s.workflow === this.workflow).map((s) => s.version) ?? [])].sort());
  readonly steps = $derived(
    [...new Set(this.series.data?.items.filter((s) => s.workflow === this.workflow && s.step !== null).map((s) => s.step!) ?? [])].sort(),
  );
  readonly version = $derived(router.query.get("version") ?? "");
  readonly step = $derived(router.query.get("step") ?? "");

  constructor() {
    void this.series.load(() => api.series());
  }

  /** Changes one choice, keeping the others (a new workflow clears version and step). */
  set(k: "workflow" | "version" | "step", v: string, extra: Record<string, string | undefined> = {}): void {
    router.setQuery({
      workflow: this.workflow,
      version: this.version,
      step: this.step,
      ...extra,
      [k]: v,
      ...(k === "workflow" ? { version: "", step: "" } : {}),
    });
  }
}
