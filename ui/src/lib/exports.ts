import { queryString } from "./api.js";

export const EXPORT_FORMATS = [
  { value: "jsonl", label: "JSONL", ext: "jsonl" },
  { value: "csv", label: "CSV", ext: "csv" },
  { value: "chat", label: "Chat fine-tuning", ext: "jsonl" },
] as const;
export const EXPORT_KINDS = [
  { value: "corrections", label: "Corrected outputs" },
  { value: "rejections", label: "Rejections" },
  { value: "accepts", label: "Accepts" },
  { value: "labels", label: "Spot-check and golden labels" },
] as const;

export interface ExportChoice {
  format: string;
  workflow: string;
  version: string;
  step: string;
  /** `YYYY-MM-DD` from a date input: a whole UTC day. */
  from: string;
  to: string;
  include: string[];
}

/** Problems with a choice the server would refuse anyway, said before the download starts. */
export function exportProblems(c: ExportChoice): string[] {
  const out: string[] = [];
  if (c.include.length === 0) out.push("Choose at least one kind of decision to include.");
  if (c.step && !c.workflow) out.push("A step needs a workflow.");
  if (c.from && c.to && c.from > c.to) out.push("“From” must not be after “to”.");
  return out;
}

/**
 * The export's query (GET /v1/exports/corrections): dates become the start of `from`'s day and
 * the end of `to`'s (UTC), and `include` is left out when it is the server's default.
 */
export function exportQuery(c: ExportChoice): Record<string, string | undefined> {
  const include = [...c.include].sort().join(",");
  return {
    format: c.format === "jsonl" ? undefined : c.format,
    workflow: c.workflow || undefined,
    version: c.version || undefined,
    step: c.step || undefined,
    from: c.from ? `${c.from}T00:00:00.000Z` : undefined,
    to: c.to ? new Date(Date.parse(`${c.to}T00:00:00.000Z`) + 86_400_000).toISOString() : undefined,
    include: include === "corrections" ? undefined : include,
  };
}

/** The same export from the command line, for scripts and cron. */
export function exportCommand(c: ExportChoice): string {
  const q = exportQuery(c);
  const quote = (v: string) => (/^[\w.:,-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`);
  const parts = ["seamtrace export corrections", `--format ${c.format}`];
  for (const k of ["workflow", "version", "step", "from", "to", "include"] as const) if (q[k]) parts.push(`--${k} ${quote(q[k]!)}`);
  const ext = EXPORT_FORMATS.find((f) => f.value === c.format)?.ext ?? "jsonl";
  parts.push(`--out corrections.${ext}`);
  return parts.join(" ");
}

export const exportHref = (c: ExportChoice) => "/v1/exports/corrections" + queryString(exportQuery(c));
