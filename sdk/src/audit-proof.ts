/**
 * Checks a Seamtrace audit proof with nothing but the proof and the server's public key: no
 * database, no server, no dependency (Web Crypto's SHA-256 and Ed25519, in Node ≥ 20, Deno, Bun
 * and current browsers). `seamtrace audit prove` writes the proofs; `GET /v1/audit/public-key`
 * (or the operator) gives the key, which must reach the auditor by a route of its own: a proof
 * carrying its own key would prove nothing.
 *
 * What an inclusion proof shows: this entry (and, when the proof carries it, this payload) is
 * entry `seq` of the project's audit chain as the server signed it in the checkpoint. What a
 * consistency proof shows: the later checkpoint's chain starts with the earlier one's, so nothing
 * signed before was changed or dropped. The Merkle tree is RFC 6962's.
 */

/** A signed audit checkpoint, as `GET /v1/audit/checkpoints` and the checkpoint file give it. */
export interface AuditCheckpoint {
  projectId: string;
  /** The number of entries it covers: the tree's size. */
  seq: number;
  headHash: string;
  /** RFC 6962 Merkle tree head over entries 1…seq (hex). */
  rootHash: string;
  /** Unix milliseconds. */
  time: number;
  prevSignature: string;
  keyId: string;
  signature: string;
}

/** One audit entry as the chain stores it. */
export interface AuditEntry {
  projectId: string;
  seq: number;
  time: number;
  actor: string;
  action: string;
  subject: string;
  runId: string | null;
  payloadHash: string;
  hash: string;
}

export interface AuditInclusionProof {
  kind: "seamtrace.audit.inclusion";
  entry: AuditEntry;
  /** The hash of the entry before it (64 zeros for the first): the entry's hash chains it. */
  prevHash: string;
  /** The payload's exact text, when the proof carries it: its SHA-256 is the entry's payloadHash. */
  payload?: string | null;
  leafIndex: number;
  treeSize: number;
  /** The audit path, hex, leaf to root. */
  path: string[];
  checkpoint: AuditCheckpoint;
}

export interface AuditConsistencyProof {
  kind: "seamtrace.audit.consistency";
  from: AuditCheckpoint;
  to: AuditCheckpoint;
  /** RFC 6962 PROOF(from.seq, D[to.seq]), hex. */
  proof: string[];
}

export type AuditProof = AuditInclusionProof | AuditConsistencyProof;

export type AuditProofResult = { ok: true; kind: AuditProof["kind"]; projectId: string; seq: number; checkpoint: number } | { ok: false; reason: string };

const enc = new TextEncoder();

function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new TypeError("not lowercase hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// Web Crypto takes ArrayBuffer-backed views; every array here is one (none is shared memory).
const buf = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", buf(data)));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

const ONE = new Uint8Array([1]);
const node = (l: Uint8Array, r: Uint8Array) => sha256(concat(ONE, l, r));
const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);
function powerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}

/** RFC 8785 canonical JSON of a flat object of strings, safe integers and null (the audit formats). */
function canonical(o: Record<string, string | number | null>): string {
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${typeof o[k] === "number" ? String(o[k]) : JSON.stringify(o[k])}`)
    .join(",")}}`;
}

async function checkpointSigned(c: AuditCheckpoint, publicKey: string): Promise<string | null> {
  const keyId = hex(await sha256(enc.encode(publicKey))).slice(0, 16);
  if (c.keyId !== keyId) return `checkpoint ${c.seq} was signed with key ${c.keyId}, not this key (${keyId})`;
  const { signature, ...signed } = c;
  try {
    const key = await crypto.subtle.importKey("raw", buf(base64url(publicKey)), { name: "Ed25519" }, false, ["verify"]);
    if (await crypto.subtle.verify({ name: "Ed25519" }, key, buf(base64url(signature)), buf(enc.encode(canonical(signed))))) return null;
  } catch {
    // A malformed key or signature is a signature that does not verify.
  }
  return `checkpoint ${c.seq} does not carry a valid signature by this key`;
}

/** RFC 9162 section 2.1.3.2: the root an audit path leads to from `leaf`. */
async function rootFromPath(index: number, size: number, leaf: Uint8Array, path: Uint8Array[]): Promise<Uint8Array | null> {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (odd(fn) || fn === sn) {
      r = await node(p, r);
      while (!odd(fn) && fn !== 0) (fn = half(fn)), (sn = half(sn));
    } else {
      r = await node(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 section 2.1.4.2. */
async function consistent(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Uint8Array[]): Promise<boolean> {
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (size1 === 0 || size1 > size2 || proof.length === 0) return false;
  // A first tree that is a perfect subtree of the second is a node of it: its root starts the path.
  const path = powerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) (fn = half(fn)), (sn = half(sn));
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await node(c, fr);
      sr = await node(c, sr);
      while (!odd(fn) && fn !== 0) (fn = half(fn)), (sn = half(sn));
    } else {
      sr = await node(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}

/** The audit chain's entry hash: SHA-256(previous hash ‖ RFC 8785 JSON of the entry's fields). */
async function entryHash(prevHash: string, e: AuditEntry): Promise<string> {
  const { hash: _, ...fields } = e;
  return hex(await sha256(enc.encode(prevHash + canonical(fields))));
}

async function inclusion(p: AuditInclusionProof, publicKey: string): Promise<string | null> {
  const { entry: e, checkpoint: c } = p;
  const signed = await checkpointSigned(c, publicKey);
  if (signed) return signed;
  if (typeof c.rootHash !== "string") return `checkpoint ${c.seq} signs no Merkle tree head`;
  if (e.projectId !== c.projectId) return "the entry and the checkpoint belong to different projects";
  if (p.leafIndex !== e.seq - 1 || p.treeSize !== c.seq)
    return `entry ${e.seq} is leaf ${e.seq - 1} of a tree of ${c.seq}, not leaf ${p.leafIndex} of ${p.treeSize}`;
  if ((await entryHash(p.prevHash, e)) !== e.hash) return `entry ${e.seq} does not match its hash`;
  if (p.payload != null && hex(await sha256(enc.encode(p.payload))) !== e.payloadHash) return `the payload does not match entry ${e.seq}'s payload hash`;
  if (e.seq === c.seq && e.hash !== c.headHash) return `entry ${e.seq} is not the head checkpoint ${c.seq} signed`;
  const root = await rootFromPath(p.leafIndex, p.treeSize, await sha256(concat(new Uint8Array([0]), hexToBytes(e.hash))), p.path.map(hexToBytes));
  if (!root || hex(root) !== c.rootHash) return `entry ${e.seq} is not in the tree checkpoint ${c.seq} signed`;
  return null;
}

async function consistency(p: AuditConsistencyProof, publicKey: string): Promise<string | null> {
  for (const c of [p.from, p.to]) {
    const signed = await checkpointSigned(c, publicKey);
    if (signed) return signed;
    if (typeof c.rootHash !== "string") return `checkpoint ${c.seq} signs no Merkle tree head`;
  }
  if (p.from.projectId !== p.to.projectId) return "the checkpoints belong to different projects";
  if (!(await consistent(p.from.seq, p.to.seq, hexToBytes(p.from.rootHash), hexToBytes(p.to.rootHash), p.proof.map(hexToBytes)))) {
    return `the tree checkpoint ${p.to.seq} signed does not extend the one checkpoint ${p.from.seq} signed`;
  }
  return null;
}

/**
 * Checks an audit proof (inclusion or consistency) against the server's Ed25519 public key,
 * given as `GET /v1/audit/public-key` gives it (base64url, the raw 32 bytes). Never throws for
 * a bad proof: the answer says what failed.
 *
 * @example
 *   import { verifyAuditProof } from "@seamtrace/sdk/audit-proof";
 *   const proof = JSON.parse(await readFile("decision-4312.proof.json", "utf8"));
 *   const result = await verifyAuditProof(proof, "3q2-7f…"); // the key, obtained separately
 *   if (!result.ok) throw new Error(result.reason);
 */
export async function verifyAuditProof(proof: AuditProof, publicKey: string): Promise<AuditProofResult> {
  try {
    if (proof?.kind === "seamtrace.audit.inclusion") {
      const problem = await inclusion(proof, publicKey);
      return problem
        ? { ok: false, reason: problem }
        : { ok: true, kind: proof.kind, projectId: proof.entry.projectId, seq: proof.entry.seq, checkpoint: proof.checkpoint.seq };
    }
    if (proof?.kind === "seamtrace.audit.consistency") {
      const problem = await consistency(proof, publicKey);
      return problem
        ? { ok: false, reason: problem }
        : { ok: true, kind: proof.kind, projectId: proof.to.projectId, seq: proof.from.seq, checkpoint: proof.to.seq };
    }
    return { ok: false, reason: "not a Seamtrace audit proof" };
  } catch (err) {
    return { ok: false, reason: `malformed proof: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** RFC 6962 pieces, exported for checks against reference vectors. */
export const rfc6962 = { rootFromPath, consistent };
