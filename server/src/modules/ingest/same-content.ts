/**
 * Whether two events say the same thing: the same canonical JSON text (members sorted by name,
 * numbers as JSON writes them, so `1.0` and `1`, or a member order, make no difference). This
 * is the test between a `duplicate` (a resend: delivered, nothing to do) and a `conflict` (the
 * same id carrying other content: refused, the stored event stands).
 *
 * The text is made only for ids the store already holds (a retry, normally), from the event
 * sent and the stored body read back, never for an event seen for the first time: the ingest hot
 * path pays nothing for it. Comparing JSON texts rather than the parsed values also makes a
 * value JSON cannot hold (1e400 read as Infinity, stored as null) compare as it was stored.
 */
export function sameContent(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON text with every object's members sorted by name (RFC 8785's member order, JSON.stringify's numbers). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const k of Object.keys(record).sort()) {
    // A member set to undefined is absent in JSON.
    if (record[k] !== undefined) members.push(`${JSON.stringify(k)}:${canonicalJson(record[k])}`);
  }
  return `{${members.join(",")}}`;
}
