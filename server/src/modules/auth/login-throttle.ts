import { AttemptLimiter } from "./attempt-limiter.js";

export interface LoginThrottleOptions {
  /** Failures an account takes from unrecognised clients before each attempt must wait. */
  freeFailures: number;
  /** The first wait; doubled for every further failure, up to `maxDelayMs`. */
  baseDelayMs: number;
  /** The longest an account's owner, on a new device, ever waits: a delay, never a lockout. */
  maxDelayMs: number;
  /** Failed sign-ins one client address may make across all accounts in `windowMs`. */
  perAddressFailures: number;
  /** Failed sign-ins one recognised device may make to its account in `windowMs`. */
  perDeviceFailures: number;
  windowMs: number;
  /** An account's failures are forgotten after this long without one (a success forgets them at once). */
  forgetAfterMs: number;
  /** Accounts, addresses and devices tracked at most; the oldest are forgotten past it. */
  maxKeys?: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  perAddressFailures: 30,
  perDeviceFailures: 10,
  windowMs: 15 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
};

/** A request with no peer address (the app called in-process) has no per-address budget. */
export const UNKNOWN_ADDRESS = "unknown";

/** Who is trying: the account (normalised email), the client address, and a device token
 * (`device-cookie.ts`) when the browser holds a valid one for this account. */
export interface LoginAttempt {
  account: string;
  address: string;
  device: string | null;
}

/**
 * Slows online password guessing without handing anyone a way to lock an owner out.
 *
 * A fixed lockout keyed on the account lets anyone lock any known account; keyed on (account,
 * client address), as before, it lets anyone behind the same proxy do it, and lets a guesser with
 * many addresses go unlimited (45 tries over 15 addresses were). Instead:
 * - a browser that has signed in to the account before holds a device cookie for it, and is
 *   limited only by its own failures: whatever strangers do, the owner's own browser gets in;
 * - clients without one share the account's budget: after a few failures every attempt waits,
 *   the wait doubling per failure up to a cap (a delay the owner can sit out on a new device,
 *   and a guessing rate of a few an hour);
 * - and each client address has a budget of failures across all accounts, so spraying one
 *   password over many accounts from one place stops quickly.
 * In memory, per process, like the request rate limit.
 */
export class LoginThrottle {
  readonly #options: LoginThrottleOptions;
  readonly #addresses: AttemptLimiter;
  readonly #devices: AttemptLimiter;
  readonly #accounts = new Map<string, { failures: number; last: number }>();

  constructor(options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE) {
    this.#options = options;
    this.#addresses = new AttemptLimiter({ maxFailures: options.perAddressFailures, windowMs: options.windowMs, maxKeys: options.maxKeys });
    this.#devices = new AttemptLimiter({ maxFailures: options.perDeviceFailures, windowMs: options.windowMs, maxKeys: options.maxKeys });
  }

  /** Milliseconds until this attempt may be made, or 0 when it may be made now. */
  retryAfterMs(a: LoginAttempt, now: number): number {
    if (a.device !== null) return this.#devices.retryAfterMs(a.device, now);
    const byAddress = a.address === UNKNOWN_ADDRESS ? 0 : this.#addresses.retryAfterMs(a.address, now);
    return Math.max(byAddress, this.#accountWait(a.account, now));
  }

  /** Counts a failure; called before the (slow) password check, so a parallel burst is counted too. */
  fail(a: LoginAttempt, now: number): void {
    if (a.device !== null) return this.#devices.fail(a.device, now);
    if (a.address !== UNKNOWN_ADDRESS) this.#addresses.fail(a.address, now);
    const state = this.#live(a.account, now);
    if (state) {
      state.failures++;
      state.last = now;
      return;
    }
    if (this.#accounts.size >= (this.#options.maxKeys ?? 10_000)) this.#accounts.delete(this.#accounts.keys().next().value!);
    this.#accounts.set(a.account, { failures: 1, last: now });
  }

  /** Takes back what `fail` counted for an attempt that was never judged (the check could not run). */
  undo(a: LoginAttempt): void {
    if (a.device !== null) return this.#devices.forgive(a.device);
    if (a.address !== UNKNOWN_ADDRESS) this.#addresses.forgive(a.address);
    const state = this.#accounts.get(a.account);
    if (state && state.failures > 0) state.failures--;
  }

  /** The attempt was right after all: what `fail` counted for it is taken back, the account's delay cleared. */
  succeed(a: LoginAttempt): void {
    if (a.device !== null) return this.#devices.succeed(a.device);
    if (a.address !== UNKNOWN_ADDRESS) this.#addresses.forgive(a.address);
    this.#accounts.delete(a.account);
  }

  #live(account: string, now: number): { failures: number; last: number } | undefined {
    const state = this.#accounts.get(account);
    if (state && now - state.last >= this.#options.forgetAfterMs) {
      this.#accounts.delete(account);
      return undefined;
    }
    return state;
  }

  #accountWait(account: string, now: number): number {
    const state = this.#live(account, now);
    if (!state || state.failures < this.#options.freeFailures) return 0;
    const delay = Math.min(this.#options.baseDelayMs * 2 ** (state.failures - this.#options.freeFailures), this.#options.maxDelayMs);
    return Math.max(0, state.last + delay - now);
  }
}
