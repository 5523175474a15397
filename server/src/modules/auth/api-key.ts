import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * API key format: `st_` + 32 base62 characters of randomness + a 6-character base62 CRC32 of
 * them. The fixed prefix makes leaked keys easy for secret scanners to find; the checksum lets
 * a scanner (and the server, before touching the database) tell a real key from a typo.
 */
export const KEY_PREFIX = "st_";
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 32;
const CHECKSUM_CHARS = 6;
const KEY_RE = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${RANDOM_CHARS + CHECKSUM_CHARS}}$`);

function base62(n: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksum(body: string): string {
  return base62(crc32(body) >>> 0, CHECKSUM_CHARS);
}

/** A new random API key. */
export function generateApiKey(): string {
  // Rejection sampling keeps every character uniform over 62 symbols (256 % 62 != 0).
  let body = "";
  while (body.length < RANDOM_CHARS) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && body.length < RANDOM_CHARS) body += ALPHABET[byte % 62];
    }
  }
  return KEY_PREFIX + body + checksum(body);
}

/** True when the string has the key shape and its checksum holds. */
export function isWellFormedApiKey(key: string): boolean {
  if (!KEY_RE.test(key)) return false;
  const body = key.slice(KEY_PREFIX.length, KEY_PREFIX.length + RANDOM_CHARS);
  return key.slice(KEY_PREFIX.length + RANDOM_CHARS) === checksum(body);
}

/** The stored form: HMAC-SHA256 under the server secret, so a copied database yields no keys. */
export function hashApiKey(secret: string, key: string): string {
  return createHmac("sha256", secret).update(key).digest("hex");
}

/** Constant-time comparison of two hex hashes of equal length. */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What can be shown of a key after creation: enough to recognise it, not to use it. */
export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}
