import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalEntry, canonicalJson, CheckpointSigner, checkpointSignatureValid, entryHash, GENESIS_HASH, payloadHash, publicKeyFromRaw } from "./chain.js";

const entry = fc.record({
  projectId: fc.string(),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  actor: fc.string({ unit: "binary" }),
  action: fc.string(),
  subject: fc.string({ unit: "binary" }),
  runId: fc.option(fc.string({ unit: "binary" }), { nil: null }),
  payloadHash: fc.string(),
});

describe("canonical entry JSON", () => {
  it("equals the RFC 8785 reference implementation for any entry, unicode and escapes included", () => {
    fc.assert(
      fc.property(entry, (e) => canonicalEntry(e) === canonicalize({ ...e })),
      { numRuns: 2_000 },
    );
  });

  it("follows RFC 8785's key order and number form on a known vector", () => {
    // Appendix-style check: keys sorted by UTF-16 code units, no whitespace, integers plain.
    expect(canonicalJson({ b: 1e21, a: [1.5, "\u20ac", null], c: { z: true, "\u00e9": 0.1 } })).toBe('{"a":[1.5,"€",null],"b":1e+21,"c":{"z":true,"é":0.1}}');
  });

  it("chains: the same entry after a different head hashes differently", () => {
    const e = { projectId: "p", seq: 1, time: 1, actor: "system:test", action: "a", subject: "s", runId: null, payloadHash: payloadHash(null) };
    expect(entryHash(GENESIS_HASH, e)).not.toBe(entryHash("f".repeat(64), e));
    expect(entryHash(GENESIS_HASH, e)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("payload hashes", () => {
  it('cover a "__proto__" member like any other, so an edit inside it changes the hash', () => {
    const stored = JSON.parse('{"decision":"correct","__proto__":{"amount":100}}') as unknown;
    const edited = JSON.parse('{"decision":"correct","__proto__":{"amount":900}}') as unknown;
    expect(canonicalJson(stored)).toBe('{"__proto__":{"amount":100},"decision":"correct"}');
    expect(payloadHash(edited)).not.toBe(payloadHash(stored));
  });
});

describe("checkpoint signatures", () => {
  const signer = new CheckpointSigner("a server secret of at least thirty-two characters");

  it("derives the same key from the same secret, so a restart keeps verifying old checkpoints", () => {
    const again = new CheckpointSigner("a server secret of at least thirty-two characters");
    expect(again.keyId).toBe(signer.keyId);
    expect(again.publicKeyRaw).toBe(signer.publicKeyRaw);
  });

  it("verifies with the exported public key and fails on any changed field", () => {
    const c = signer.sign({ projectId: "p", seq: 10, headHash: "a".repeat(64), time: 5, prevSignature: "" });
    const pub = publicKeyFromRaw(signer.publicKeyRaw);
    expect(checkpointSignatureValid(c, pub)).toBe(true);
    for (const changed of [{ seq: 11 }, { headHash: "b".repeat(64) }, { time: 6 }, { prevSignature: "x" }, { projectId: "q" }]) {
      expect(checkpointSignatureValid({ ...c, ...changed }, pub)).toBe(false);
    }
    expect(checkpointSignatureValid(c, new CheckpointSigner("another secret, just as long as the first one").publicKey)).toBe(false);
  });
});
