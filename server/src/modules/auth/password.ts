import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

// node:crypto's scrypt (no extra dependency). N=2^15, r=8, p=1 is OWASP's current minimum for
// scrypt; at 32 MiB it needs maxmem raised above Node's 32 MiB default.
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
const MAXMEM = 64 * 1024 * 1024;

/** Thrown when more password checks wait than `HashGate` queues: the caller answers 503. */
export class HashingBusy extends Error {
  override readonly name = "HashingBusy";
}

/**
 * Caps the scrypt computations running at once. Each takes ~32 MiB and tens of milliseconds of a
 * libuv thread, and the pool has four threads that file and DNS work also need: 60 sign-ins with
 * unknown addresses at once (each still pays a hash, so timing does not tell which addresses
 * have accounts) slowed every API read ninefold. Past `concurrency` they wait their turn in a
 * bounded queue; past that they are refused at once.
 */
export class HashGate {
  #running = 0;
  #peak = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {}

  /** The most hashes that ever ran at once (for tests and metrics). */
  get peak(): number {
    return this.#peak;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.maxWaiting) throw new HashingBusy("too many sign-ins are being checked at once");
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    this.#peak = Math.max(this.#peak, this.#running);
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake the queue.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

/** Two at a time leaves the other two pool threads (and the cores) to everything else. */
export const passwordHashing = new HashGate(2, 256);

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: MAXMEM };
  return passwordHashing.run(
    () => new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, KEY_LEN, options, (err, key) => (err ? reject(err) : resolve(key)))),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url), so parameters can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Constant-time check of a password against a stored hash. False for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0)) return false;
  const expected = Buffer.from(parts[5]!, "base64url");
  // Parameters scrypt refuses (N not a power of two, past maxmem) make it throw; a stored hash
  // that cannot be checked is a mismatch, not a 500 on the login route.
  const key = await scrypt(password, Buffer.from(parts[4]!, "base64url"), n, r, p).catch((err: unknown) => {
    if (err instanceof HashingBusy) throw err;
    return null;
  });
  return key !== null && key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password a user may set: long enough to resist guessing, short enough to hash quickly. */
export function passwordProblem(password: string): string | null {
  if (password.length < 12) return "a password needs at least 12 characters";
  if (password.length > 1024) return "a password may have at most 1024 characters";
  return null;
}
