import { createHmac } from "node:crypto";
import type { Store } from "../../platform/db/client.js";
import type { Logger } from "../../app/logger.js";
import { dueDeliveries, recordAttempt, type DueDelivery } from "./store.js";
import { AddressGuard } from "./address-guard.js";
import { guardedPost, NO_ANSWER, type WebhookOutcome, type WebhookPost } from "./guarded-post.js";

export interface DispatcherOptions {
  /** How often due deliveries are looked for. Default 1 s. */
  pollMs?: number;
  /** First retry after this; doubled per attempt, with jitter. Default 10 s. */
  backoffMs?: number;
  /** Attempts before a delivery is given up as failed. Default 8 (about 40 minutes of retries). */
  maxAttempts?: number;
  /** Per-request time limit. Default 10 s. */
  timeoutMs?: number;
  /** Addresses, CIDR ranges and host names deliveries may reach although private (SEAMTRACE_WEBHOOK_ALLOW). */
  allow?: readonly string[];
  /** How a delivery is sent; by default a POST whose connection is checked by an AddressGuard. */
  post?: WebhookPost;
  now?: () => number;
  random?: () => number;
  log?: Logger;
}

/**
 * `Seamtrace-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. Signing
 * the timestamp with the body lets receivers refuse replays of an old delivery.
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Sends queued webhook deliveries (the outbox in `webhook_deliveries`): signed JSON POSTs,
 * retried with exponential backoff and jitter on network errors and non-2xx answers, each
 * attempt recorded. Only to public addresses unless allowed (address-guard.ts), never following
 * a redirect. Deliveries live in the database, so a restart loses none.
 */
export class WebhookDispatcher {
  private readonly pollMs: number;
  private readonly backoffMs: number;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly post: WebhookPost;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: Logger | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    options: DispatcherOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
    this.backoffMs = options.backoffMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.post = options.post ?? guardedPost(new AddressGuard(options.allow));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.log = options.log;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.runOnce()
        .catch((err: unknown) => this.log?.error("webhook dispatch failed", { err: String(err) }))
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(tick, this.pollMs);
          this.timer.unref?.();
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Sends every delivery due now; returns how many were attempted. One pass at a time. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    const due = await dueDeliveries(this.store.db, this.now(), 100);
    await Promise.all(due.map((d) => this.deliver(d)));
    return due.length;
  }

  private async deliver(d: DueDelivery): Promise<void> {
    const now = this.now();
    const attempt = d.attempts + 1;
    let statusCode: number | null = null;
    let error: string;
    const outcome = await this.post(d.url, {
      headers: {
        "content-type": "application/json",
        "user-agent": "Seamtrace-Webhooks/1",
        "seamtrace-event": d.event,
        "seamtrace-delivery": d.id,
        "seamtrace-signature": signWebhook(d.secret, d.payload, Math.floor(now / 1000)),
      },
      body: d.payload,
      timeoutMs: this.timeoutMs,
    }).catch((): WebhookOutcome => ({ error: NO_ANSWER }));
    if ("status" in outcome) {
      statusCode = outcome.status;
      if (statusCode >= 200 && statusCode < 300) {
        await recordAttempt(this.store.db, d.id, { delivered: true, statusCode, error: null, nextAttemptAt: null }, this.now());
        return;
      }
      error = statusCode >= 300 && statusCode < 400 ? `HTTP ${statusCode} (redirects are not followed)` : `HTTP ${statusCode}`;
    } else {
      error = outcome.error;
    }
    // Exponential backoff with jitter (half to all of the delay), so a receiver that was down
    // is not hit by every queued delivery at the same instant when it comes back.
    const delay = this.backoffMs * 2 ** (attempt - 1) * (0.5 + this.random() / 2);
    const nextAttemptAt = attempt >= this.maxAttempts ? null : now + Math.round(delay);
    await recordAttempt(this.store.db, d.id, { delivered: false, statusCode, error, nextAttemptAt }, this.now());
  }
}
