/**
 * Lets the host exit while only telemetry timers are pending: a process must never stay alive
 * just because the SDK wants to flush in a second. Node and Bun return timer objects with
 * `unref()`; Deno returns ids and has `Deno.unrefTimer`; browsers have neither and need nothing.
 */
export function unrefTimer(timer: unknown): void {
  try {
    if (typeof timer === "object" && timer !== null) (timer as { unref?: () => void }).unref?.();
    else if (typeof timer === "number") {
      (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno?.unrefTimer?.(timer);
    }
  } catch {
    // best effort: a runtime without unref simply keeps the timer
  }
}
