import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { rfc6962, verifyAuditProof, type AuditCheckpoint, type AuditEntry, type AuditInclusionProof } from "./audit-proof.js";

/** RFC 6962 reference values (server/test-support/reference/make-merkle-fixture.py). */
interface Vectors {
  leaves: string[];
  roots: Array<{ size: number; root: string }>;
  inclusion: Array<{ index: number; size: number; path: string[] }>;
  consistency: Array<{ size1: number; size2: number; proof: string[] }>;
}
const fixture = JSON.parse(readFileSync(new URL("../../server/test-support/reference/merkle-rfc6962.json", import.meta.url), "utf8")) as {
  ct: Vectors;
  larger: Vectors;
};
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
const sha = (data: string | Uint8Array) => createHash("sha256").update(data).digest();
const leafHash = (hex: string) => sha(Buffer.concat([Buffer.from([0]), Buffer.from(hex, "hex")]));

/** The roots a verifier must reach, for every size the fixture states, or computes from the leaves. */
function roots(v: Vectors): Map<number, Uint8Array> {
  return new Map(v.roots.map((r) => [r.size, bytes(r.root)]));
}

for (const [name, v] of [
  ["Certificate Transparency's vectors", fixture.ct],
  ["larger trees", fixture.larger],
] as const) {
  describe(`RFC 6962 verification: ${name}`, () => {
    const root = roots(v);

    it("accepts every reference audit path, and refuses it for a neighbouring leaf, a flipped bit, or one hash more or less", async () => {
      let checked = 0;
      for (const c of v.inclusion) {
        const want = root.get(c.size);
        if (!want) continue;
        const leaf = leafHash(v.leaves[c.index]!);
        const path = c.path.map(bytes);
        expect(Buffer.from((await rfc6962.rootFromPath(c.index, c.size, leaf, path))!).toString("hex"), `leaf ${c.index} of ${c.size}`).toBe(
          Buffer.from(want).toString("hex"),
        );
        checked++;
        const wrong: Array<[string, Promise<Uint8Array | null>]> = [
          ["index + 1", rfc6962.rootFromPath(c.index + 1, c.size, leaf, path)],
          ["size * 2", rfc6962.rootFromPath(c.index, c.size * 2, leaf, path)],
          ["other leaf", rfc6962.rootFromPath(c.index, c.size, sha("other"), path)],
          ["extra hash", rfc6962.rootFromPath(c.index, c.size, leaf, [...path, want])],
        ];
        if (path.length > 0) {
          const flipped = path.map((p, i) => (i === 0 ? Uint8Array.from(p, (b, j) => (j === 0 ? b ^ 8 : b)) : p));
          wrong.push(
            ["flipped bit", rfc6962.rootFromPath(c.index, c.size, leaf, flipped)],
            ["one hash short", rfc6962.rootFromPath(c.index, c.size, leaf, path.slice(0, -1))],
          );
        }
        for (const [what, got] of wrong) {
          const r = await got;
          expect(r === null || Buffer.compare(Buffer.from(r), Buffer.from(want)) !== 0, `${what}: leaf ${c.index} of ${c.size}`).toBe(true);
        }
      }
      expect(checked).toBeGreaterThan(3);
    });

    it("accepts every reference consistency proof, and refuses it for other sizes, swapped roots or a flipped bit", async () => {
      let checked = 0;
      for (const c of v.consistency) {
        const [r1, r2] = [root.get(c.size1), root.get(c.size2)];
        if (!r1 || !r2) continue;
        const proof = c.proof.map(bytes);
        expect(await rfc6962.consistent(c.size1, c.size2, r1, r2, proof), `${c.size1} → ${c.size2}`).toBe(true);
        checked++;
        expect(await rfc6962.consistent(c.size1 + 1, c.size2, r1, r2, proof)).toBe(false);
        expect(await rfc6962.consistent(c.size1, c.size2 * 2, r1, r2, proof)).toBe(false);
        expect(await rfc6962.consistent(c.size1, c.size2, r2, r1, proof)).toBe(false);
        expect(await rfc6962.consistent(c.size1, c.size2, r1, r2, [])).toBe(false);
        expect(
          await rfc6962.consistent(
            c.size1,
            c.size2,
            r1,
            r2,
            proof.map((p, i) => (i === proof.length - 1 ? Uint8Array.from(p, (b, j) => (j === 0 ? b ^ 16 : b)) : p)),
          ),
        ).toBe(false);
      }
      expect(checked).toBeGreaterThan(2);
    });
  });
}

describe("verifyAuditProof", () => {
  // A server's key pair and a chain of three entries, built here by the documented formats.
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = String(publicKey.export({ format: "jwk" }).x);
  const keyId = sha(raw).toString("hex").slice(0, 16);
  const canonical = (o: Record<string, unknown>) =>
    JSON.stringify(
      Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      ),
    );
  const entries: AuditEntry[] = [];
  let prev = "0".repeat(64);
  for (let seq = 1; seq <= 3; seq++) {
    const payload = JSON.stringify({ decision: seq === 2 ? "reject" : "accept" });
    const fields = {
      projectId: "p1",
      seq,
      time: 1_750_000_000_000 + seq,
      actor: "user:u1",
      action: "escalation.decided",
      subject: `escalation:e${seq}`,
      runId: null,
      payloadHash: sha(payload).toString("hex"),
    };
    const hash = sha(prev + canonical(fields)).toString("hex");
    entries.push({ ...fields, hash });
    prev = hash;
  }
  const l = entries.map((e) => leafHash(e.hash));
  const node = (a: Uint8Array, b: Uint8Array) => sha(Buffer.concat([Buffer.from([1]), a, b]));
  const root3 = node(node(l[0]!, l[1]!), l[2]!);
  const signed = (c: Omit<AuditCheckpoint, "signature" | "keyId">, key = privateKey): AuditCheckpoint => {
    const body = { ...c, keyId };
    return { ...body, signature: sign(null, Buffer.from(canonical(body)), key).toString("base64url") };
  };
  const checkpoint = signed({
    projectId: "p1",
    seq: 3,
    headHash: entries[2]!.hash,
    rootHash: root3.toString("hex"),
    time: 1_750_000_000_100,
    prevSignature: "",
  });
  const proof = (): AuditInclusionProof => ({
    kind: "seamtrace.audit.inclusion",
    entry: entries[1]!,
    prevHash: entries[0]!.hash,
    payload: JSON.stringify({ decision: "reject" }),
    leafIndex: 1,
    treeSize: 3,
    path: [l[0]!.toString("hex"), l[2]!.toString("hex")],
    checkpoint,
  });

  it("accepts an entry, with its payload, proven against a signed checkpoint", async () => {
    expect(await verifyAuditProof(proof(), raw)).toEqual({ ok: true, kind: "seamtrace.audit.inclusion", projectId: "p1", seq: 2, checkpoint: 3 });
  });

  it("refuses an edited payload, an edited entry, another key, a forged checkpoint, and junk, saying which", async () => {
    const cases: Array<[string, AuditInclusionProof | unknown, string, RegExp]> = [
      ["payload", { ...proof(), payload: JSON.stringify({ decision: "accept" }) }, raw, /payload/],
      ["entry", { ...proof(), entry: { ...entries[1]!, action: "escalation.claimed" } }, raw, /does not match its hash/],
      [
        "entry and its hash",
        { ...proof(), entry: { ...entries[1]!, actor: "user:mallory", hash: sha(entries[0]!.hash + "x").toString("hex") } },
        raw,
        /does not match its hash/,
      ],
      ["other key", proof(), String(generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x), /signed with key/],
      [
        "re-signed",
        { ...proof(), checkpoint: { ...signed({ ...checkpoint, rootHash: sha("x").toString("hex") }, generateKeyPairSync("ed25519").privateKey), keyId } },
        raw,
        /valid signature/,
      ],
      ["leaf index", { ...proof(), leafIndex: 0 }, raw, /leaf/],
      ["path", { ...proof(), path: [l[2]!.toString("hex"), l[0]!.toString("hex")] }, raw, /not in the tree/],
      ["junk", { kind: "something else" }, raw, /not a Seamtrace audit proof/],
      ["bad hex", { ...proof(), path: ["zz"] }, raw, /malformed/],
    ];
    for (const [what, p, key, reason] of cases) {
      const result = await verifyAuditProof(p as AuditInclusionProof, key);
      expect(result.ok, what).toBe(false);
      expect(result.ok ? "" : result.reason, what).toMatch(reason);
    }
  });

  it("checks two signed checkpoints for consistency", async () => {
    const root2 = node(l[0]!, l[1]!);
    const from = signed({ projectId: "p1", seq: 2, headHash: entries[1]!.hash, rootHash: root2.toString("hex"), time: 1, prevSignature: "" });
    const ok = await verifyAuditProof({ kind: "seamtrace.audit.consistency", from, to: checkpoint, proof: [l[2]!.toString("hex")] }, raw);
    expect(ok).toMatchObject({ ok: true, seq: 2, checkpoint: 3 });
    const forked = signed({
      projectId: "p1",
      seq: 2,
      headHash: entries[1]!.hash,
      rootHash: node(l[0]!, sha("forged")).toString("hex"),
      time: 1,
      prevSignature: "",
    });
    const bad = await verifyAuditProof({ kind: "seamtrace.audit.consistency", from: forked, to: checkpoint, proof: [l[2]!.toString("hex")] }, raw);
    expect(bad).toMatchObject({ ok: false, reason: expect.stringMatching(/does not extend/) });
  });
});
