import { describe, expect, it } from "vitest";
import { HashGate, HashingBusy, hashPassword, passwordProblem, verifyPassword } from "./password.js";

const PASSWORD = "correct horse battery staple";

/** Replaces one `$`-separated field of a stored hash. */
const withField = (stored: string, index: number, value: string) =>
  stored
    .split("$")
    .map((part, i) => (i === index ? value : part))
    .join("$");

describe("password hashing", () => {
  it("verifies a password against its own hash, and stores it as scrypt$N$r$p$salt$hash", async () => {
    const stored = await hashPassword(PASSWORD);
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(stored).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
  });

  it("refuses a wrong password, including one differing by a single character or by case", async () => {
    const stored = await hashPassword(PASSWORD);
    for (const wrong of ["correct horse battery stapla", "Correct horse battery staple", PASSWORD + " ", ""]) {
      expect(await verifyPassword(wrong, stored), wrong).toBe(false);
    }
  });

  it("salts every hash: two hashes of one password differ in salt and key, and both verify", async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(a).not.toBe(b);
    expect(a.split("$")[4]).not.toBe(b.split("$")[4]);
    expect(a.split("$")[5]).not.toBe(b.split("$")[5]);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
  });

  it("reads the parameters from the stored hash: changing N, r, p or the salt makes it not verify", async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, withField(stored, 1, "16384"))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 2, "4"))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 3, "2"))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 4, "AAAAAAAAAAAAAAAAAAAAAA"))).toBe(false);
  });

  it("answers false, without throwing, for malformed hashes", async () => {
    const stored = await hashPassword(PASSWORD);
    const malformed = [
      "",
      "not a hash",
      stored.replace(/^scrypt/, "bcrypt"),
      stored.split("$").slice(0, 5).join("$"), // a field missing
      stored + "$extra",
      withField(stored, 1, "abc"), // N not a number
      withField(stored, 1, "0"),
      withField(stored, 1, "-32768"),
      withField(stored, 1, "1.5"),
      withField(stored, 1, "1000"), // not a power of two: scrypt itself refuses it
      withField(stored, 1, String(2 ** 24)), // past the memory cap
      withField(stored, 5, ""), // no key
      withField(stored, 5, stored.split("$")[5]!.slice(0, -4)), // a truncated key
    ];
    for (const m of malformed) await expect(verifyPassword(PASSWORD, m), m).resolves.toBe(false);
  });
});

describe("passwordProblem", () => {
  it("wants at least 12 characters and at most 1024", () => {
    expect(passwordProblem("a".repeat(11))).toMatch(/at least 12/);
    expect(passwordProblem("")).toMatch(/at least 12/);
    expect(passwordProblem("a".repeat(12))).toBeNull();
    expect(passwordProblem("a".repeat(1024))).toBeNull();
    expect(passwordProblem("a".repeat(1025))).toMatch(/at most 1024/);
  });
});

describe("HashGate", () => {
  it("runs at most `concurrency` at once, in arrival order, and refuses past its queue", async () => {
    const gate = new HashGate(2, 3);
    const releases: Array<() => void> = [];
    const started: number[] = [];
    const work = (i: number) => () =>
      new Promise<number>((resolve) => {
        started.push(i);
        releases.push(() => resolve(i));
      });
    const runs = [0, 1, 2, 3, 4].map((i) => gate.run(work(i)));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    await expect(gate.run(work(5))).rejects.toBeInstanceOf(HashingBusy);
    releases.shift()!();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(gate.peak).toBe(2);
  });

  it("frees the slot when the work throws", async () => {
    const gate = new HashGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await gate.run(() => Promise.resolve("next"))).toBe("next");
  });
});
