import { createWriteStream, openSync, rmSync, renameSync, type WriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { CliUsage } from "./errors.js";

/**
 * Where an export's text goes: standard output, or `file` written beside it as `<file>.partial`
 * and renamed at the end, so a failed export (or one that matched nothing) never leaves a
 * truncated or empty file that looks complete.
 */
export class ExportSink {
  private readonly out: Writable;
  private readonly partial: string | null;
  private failed: Error | undefined;

  /**
   * Opens the file at once (synchronously), so a path that cannot be written is refused before
   * the export is audited or read, not by an unhandled stream error half-way through.
   */
  constructor(private readonly file: string | undefined) {
    this.partial = file === undefined ? null : `${file}.partial`;
    // Exports hold model inputs and audit payloads (often personal data): readable by their owner only.
    this.out = this.partial === null ? process.stdout : createWriteStream("", { fd: openSync(this.partial, "w", 0o600) });
    this.out.on("error", (err: Error) => (this.failed ??= err));
  }

  async write(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (text !== "" && !this.out.write(text)) await once(this.out, "drain");
  }

  async finish(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.partial === null) return;
    const out = this.out as WriteStream;
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      out.end(resolve);
    });
    renameSync(this.partial, this.file!);
  }

  abandon(): void {
    if (this.partial === null) return;
    (this.out as WriteStream).destroy();
    rmSync(this.partial, { force: true });
  }
}

/** The sink for `--out`, or a usage error (exit 2) naming the path when it cannot be written. */
export function openSink(out: string | undefined): ExportSink {
  try {
    return new ExportSink(out);
  } catch (err) {
    throw new CliUsage(`--out: cannot write ${out}.partial (${err instanceof Error ? err.message : String(err)})`);
  }
}
