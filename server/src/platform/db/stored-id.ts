/**
 * Ids as the event log and the audit log store them. A UUID in its canonical form (lower-case
 * hex, dashes at 8, 13, 18 and 23) is stored as the 16 bytes it spells, a BLOB; any other id (a
 * test's "p", an id from before ids were checked) stays TEXT. The storage class is the marker,
 * so the mapping is one to one both ways and a BLOB never equals a TEXT: uniqueness and lookups
 * mean what they meant.
 *
 * Why: the event log holds three ids a row and one more in its (project, id) index, 36
 * characters each as text. As bytes they take 16, which is 151 of the 544 bytes an event cost
 * there (docs/performance.md, "Storage").
 *
 * The audit log (project and run ids, and its payloads' project id) followed, for the same reason,
 * and keeps its actors and subjects that name a UUID as references (below): 435 → 273 bytes an
 * event there.
 *
 * Three ways in, one rule: `storedId` for a value bound from JS, `storedIdSql` for an id another
 * table holds as text (an audit subject, a project id), `idFromStored` for reading one back.
 */

/** A canonical UUID, as a GLOB pattern (GLOB is case-sensitive): the test `uuidInto` makes. */
const CANONICAL_GLOB = [8, 4, 4, 4, 12].map((n) => "[0-9a-f]".repeat(n)).join("-");
/** Each lower-case hex digit's value by character code, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE["0123456789abcdef".charCodeAt(i)] = i;
const DASH = 0x2d;

/**
 * Writes the 16 bytes of `id` into `out` at `at` when it is a canonical UUID, and answers whether
 * it was (when not, what it wrote there is undefined). A loop over character codes, straight
 * into the packed rows' buffer: packing an event row took 2.1 µs with a regular expression and
 * Buffer.from(…, "hex") for its two ids, 1.2 µs with this.
 */
export function uuidInto(id: string, out: Uint8Array, at: number): boolean {
  if (id.length !== 36 || id.charCodeAt(8) !== DASH || id.charCodeAt(13) !== DASH || id.charCodeAt(18) !== DASH || id.charCodeAt(23) !== DASH) return false;
  let o = at;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    const hi = HEX_VALUE[id.charCodeAt(i)] ?? -1;
    const lo = HEX_VALUE[id.charCodeAt(i + 1)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    out[o++] = (hi << 4) | lo;
  }
  return true;
}

/** The value to bind for `id`: its 16 bytes when it is a canonical UUID, the text otherwise. */
export function storedId(id: string): string | Uint8Array {
  const bytes = Buffer.allocUnsafe(16);
  return uuidInto(id, bytes, 0) ? bytes : id;
}

/**
 * The id a stored value spells: a UUID for 16 bytes (an ArrayBuffer from the driver), the text as
 * it is. A value this file never writes (bytes of another length, or a canonical UUID as text,
 * which `storedId` would have made bytes) is someone's edit to the file: it reads as how SQL
 * would spell it (`x'0102'`, `'0190…'`), never as an id, so the mapping stays one to one, an
 * audit entry edited that way no longer hashes as it did (verification names it instead of
 * failing), and lookups by the id, which bind its bytes, agree with what readers show.
 */
export function idFromStored(value: unknown): string {
  if (value instanceof ArrayBuffer || value instanceof Uint8Array) {
    const hex = hexOf(value);
    return hex.length === 32 ? uuidFromHex(hex) : `x'${hex}'`;
  }
  const text = String(value);
  return isCanonicalUuid(text) ? `'${text}'` : text;
}

function hexOf(value: ArrayBuffer | Uint8Array): string {
  const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

const scratch = Buffer.alloc(17);
function isCanonicalUuid(text: string): boolean {
  return uuidInto(text, scratch, 0);
}

/** `idFromStored` for a nullable column. */
export function idFromStoredOrNull(value: unknown): string | null {
  return value == null ? null : idFromStored(value);
}

/** A UUID from its 32 hex digits (`hex()` in SQL gives them in upper case). */
function uuidFromHex(hex: string): string {
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * SQL for the stored form of the text id `expr` (a column or an expression over one), the same
 * rule as `storedId`: for joining the event log to a table that keeps ids as text. Written on the
 * side of the outer row, it is computed once per row and the event log's index is still used.
 */
export function storedIdSql(expr: string): string {
  // GLOB and unhex stop at a NUL; the byte length does not, so "<uuid>\0x" stays text as in JS.
  return `(CASE WHEN length(CAST(${expr} AS BLOB)) = 36 AND ${expr} GLOB '${CANONICAL_GLOB}' THEN unhex(${expr}, '-') ELSE ${expr} END)`;
}

/**
 * SQL for the text of the stored id `expr` (a column), the inverse of `storedIdSql` and the same
 * reading as `idFromStored`, a value the rule never writes included (`x'0102'`, `'<uuid>'`): for
 * joining a table that keeps ids as bytes to one that keeps them as text, with the text side's
 * index, and for migrations that turn stored ids back into text.
 */
export function idTextSql(expr: string): string {
  const h = `hex(${expr})`;
  const uuid = `lower(substr(${h}, 1, 8) || '-' || substr(${h}, 9, 4) || '-' || substr(${h}, 13, 4) || '-' || substr(${h}, 17, 4) || '-' || substr(${h}, 21))`;
  const bytes = `(CASE WHEN length(${expr}) = 16 THEN ${uuid} ELSE 'x''' || lower(${h}) || '''' END)`;
  const canonicalText = `length(CAST(${expr} AS BLOB)) = 36 AND ${expr} GLOB '${CANONICAL_GLOB}'`;
  return `(CASE WHEN typeof(${expr}) = 'blob' THEN ${bytes} WHEN ${canonicalText} THEN '''' || ${expr} || '''' ELSE ${expr} END)`;
}

/**
 * SQL for the stored id `expr` (a column) as one token of text, cheap to compute: a UUID's 32
 * hex digits, or any other id's text after a "~" (hex never holds one). `idFromToken` reads it.
 */
export function idTokenSql(expr: string): string {
  return `(CASE WHEN typeof(${expr}) = 'blob' THEN hex(${expr}) ELSE '~' || ${expr} END)`;
}

/** The id an `idTokenSql` token stands for. */
export function idFromToken(token: string): string {
  return token.startsWith("~") ? token.slice(1) : uuidFromHex(token);
}

/**
 * Kinds of reference the audit log stores as bytes in its actor and subject: `<kind>:<uuid>`, for
 * a kind here and a canonical UUID, is kept as one byte (the kind's place here, from 1) and the
 * UUID's 16 bytes, 17 in all against 40-odd characters of text (`sdk:<key>` acts, `event:<id>` is
 * the subject, of every event's entry). Anything else stays text. The byte is stored, so a kind
 * is only ever appended here.
 */
const REF_KINDS = ["event", "step", "run", "sdk", "user", "key", "escalation", "webhook", "project", "workflow"] as const;
const REF_KIND_BYTE = new Map<string, number>(REF_KINDS.map((kind, i) => [kind, i + 1]));

/**
 * Writes the 17 bytes of `ref` into `out` at `at` when it is a kind's reference to a canonical
 * UUID, and answers how many it wrote: 17, or 0 when it is not (what it wrote is then undefined).
 */
export function refInto(ref: string, out: Uint8Array, at: number): number {
  const colon = ref.indexOf(":");
  if (colon < 1 || ref.length !== colon + 37) return 0;
  const kind = REF_KIND_BYTE.get(ref.slice(0, colon));
  if (kind === undefined || !uuidInto(ref.slice(colon + 1), out, at + 1)) return 0;
  out[at] = kind;
  return 17;
}

/** The value to bind for the actor or subject `ref`: its 17 bytes when `refInto` takes it, the text otherwise. */
export function storedRef(ref: string): string | Uint8Array {
  const bytes = Buffer.allocUnsafe(17);
  return refInto(ref, bytes, 0) === 17 ? bytes : ref;
}

/**
 * The reference a stored actor or subject spells. As with `idFromStored`, a value this file never
 * writes (bytes that are not a reference, or as text a reference `storedRef` would have made
 * bytes) reads as how SQL would spell it, `x'<hex>'` or `'<text>'`, never as a reference.
 */
export function refFromStored(value: unknown): string {
  if (value instanceof ArrayBuffer || value instanceof Uint8Array) {
    const hex = hexOf(value);
    const kind = REF_KINDS[Number.parseInt(hex.slice(0, 2) || "0", 16) - 1];
    return hex.length === 34 && kind !== undefined ? `${kind}:${uuidFromHex(hex.slice(2))}` : `x'${hex}'`;
  }
  const text = String(value);
  return refInto(text, scratch, 0) > 0 ? `'${text}'` : text;
}

/**
 * SQL: whether the stored actor or subject `expr` is a reference of `kind`, in either form. GLOB,
 * not LIKE: case-sensitive, as `startsWith` is in JS (payload-check.ts).
 */
export function refOfKindSql(expr: string, kind: (typeof REF_KINDS)[number]): string {
  const byte = REF_KIND_BYTE.get(kind)!.toString(16).padStart(2, "0");
  return `(${expr} GLOB '${kind}:*' OR substr(${expr}, 1, 1) = x'${byte}')`;
}

/** SQL: the stored id (`storedId`'s form) a stored reference `expr` of `kind` names. */
export function refIdSql(expr: string, kind: (typeof REF_KINDS)[number]): string {
  return `(CASE WHEN typeof(${expr}) = 'blob' THEN substr(${expr}, 2) ELSE ${storedIdSql(`substr(${expr}, ${kind.length + 2})`)} END)`;
}

/** SQL for the stored form of the text reference `expr`, the same rule as `storedRef` (for migrations). */
export function storedRefSql(expr: string): string {
  const cases = REF_KINDS.map((kind, i) => {
    const byte = (i + 1).toString(16).padStart(2, "0");
    const id = `substr(${expr}, ${kind.length + 2})`;
    return `WHEN length(CAST(${expr} AS BLOB)) = ${kind.length + 37} AND ${expr} GLOB '${kind}:${CANONICAL_GLOB}' THEN unhex('${byte}' || replace(${id}, '-', ''))`;
  });
  return `(CASE ${cases.join(" ")} ELSE ${expr} END)`;
}
