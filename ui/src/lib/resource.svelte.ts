import { ApiError } from "./api.js";

/** One fetched value with its loading and error state; a newer load supersedes an older one. */
export class Resource<T> {
  data = $state.raw<T | undefined>(undefined);
  error = $state.raw<ApiError | null>(null);
  loading = $state(false);
  private ticket = 0;

  async load(fn: () => Promise<T>): Promise<void> {
    const mine = ++this.ticket;
    this.loading = true;
    this.error = null;
    try {
      const value = await fn();
      if (mine === this.ticket) this.data = value;
    } catch (err) {
      if (mine === this.ticket) this.error = err instanceof ApiError ? err : new ApiError(0, "client", err instanceof Error ? err.message : String(err));
    } finally {
      if (mine === this.ticket) this.loading = false;
    }
  }
}
