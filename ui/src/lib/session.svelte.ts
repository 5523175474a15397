import { api, ApiError } from "./api.js";
import { roleAllows } from "./roles.js";
import type { Role, User } from "./types.js";

/** Who is signed in. `undefined` while the first /v1/auth/me is in flight. */
export class Session {
  user = $state.raw<User | null | undefined>(undefined);
  error = $state.raw<ApiError | null>(null);

  async load(): Promise<void> {
    try {
      this.user = (await api.me()).user;
      this.error = null;
    } catch (err) {
      if (err instanceof ApiError && err.unauthenticated) this.user = null;
      else {
        this.user = null;
        this.error = err instanceof ApiError ? err : new ApiError(0, "unknown", String(err));
      }
    }
  }

  async login(email: string, password: string): Promise<void> {
    this.user = (await api.login(email, password)).user;
  }

  async logout(): Promise<void> {
    try {
      await api.logout();
    } finally {
      this.user = null;
    }
  }

  can(...roles: Role[]): boolean {
    return !!this.user && roleAllows(this.user.role, roles);
  }
}
