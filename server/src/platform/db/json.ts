/** Shared by the read side of the store: times and JSON payload columns as the API returns them. */

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/**
 * Payload columns hold text written with JSON.stringify by the store itself. One unreadable
 * value must not fail a whole page, so it is handed back as the raw text.
 */
export function parseJson<T = unknown>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}
