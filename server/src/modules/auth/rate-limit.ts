import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { AppDeps, Principal } from "../../app/deps.js";
import { AppError } from "../../platform/http/errors.js";

/**
 * Requests per minute for each API key and each signed-in user, counted with
 * rate-limiter-flexible's in-memory limiter. Each instance counts its own requests: behind a
 * load balancer the effective limit is the per-instance one times the instances.
 */
const limiters = new WeakMap<AppDeps, RateLimiterAbstract>();

function limiterFor(deps: AppDeps): RateLimiterAbstract {
  if (deps.rateLimiter) return deps.rateLimiter;
  let limiter = limiters.get(deps);
  if (!limiter) {
    limiter = new RateLimiterMemory({ points: deps.config.rateLimitPerMinute, duration: 60 });
    limiters.set(deps, limiter);
  }
  return limiter;
}

/**
 * Counts one request for the principal; over the limit, 429 with `Retry-After`. The limiter
 * never fails open: if it cannot answer, the request is refused (503) rather than let through.
 */
export async function consumeRateLimit(deps: AppDeps, principal: Principal): Promise<void> {
  const who = principal.keyId !== undefined ? `key:${principal.keyId}` : `user:${principal.userId}`;
  try {
    await limiterFor(deps).consume(who);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      const retryAfter = String(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw new AppError(
        429,
        "rate_limited",
        `more than ${deps.config.rateLimitPerMinute} requests a minute for this ${principal.keyId !== undefined ? "API key" : "user"}; retry in ${retryAfter} s`,
        { limitPerMinute: deps.config.rateLimitPerMinute, retryAfterSeconds: Number(retryAfter) },
        { "Retry-After": retryAfter },
      );
    }
    deps.log.error("rate limiter failed; refusing the request", { err: String(err) });
    throw new AppError(503, "unavailable", "the rate limiter cannot answer right now; retry shortly", undefined, { "Retry-After": "1" });
  }
}
