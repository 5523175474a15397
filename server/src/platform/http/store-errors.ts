import { isStorageFullError } from "../db/store-errors.js";
import { AppError, unavailable } from "./errors.js";

/** Seconds to wait before retrying into a full disk: space comes back by an operator's hand, not in a second. */
export const STORAGE_FULL_RETRY_SECONDS = 30;

/**
 * The 503 for a transient store error: `storage_full` (with a longer Retry-After) when the disk
 * is full, so operators and clients see what is wrong; otherwise `unavailable` with `message`.
 */
export function storeUnavailable(err: unknown, message: string, retryAfterSeconds: number): AppError {
  if (isStorageFullError(err)) {
    return new AppError(503, "storage_full", "the store's disk is full: nothing was stored or changed; retry once space has been freed", undefined, {
      "Retry-After": String(STORAGE_FULL_RETRY_SECONDS),
    });
  }
  return unavailable(message, retryAfterSeconds);
}
