import { writeSync } from "node:fs";

/** Where the server writes its own diagnostics. Passed in so tests can capture it. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

let failedWrites = 0;
const guarded = new WeakSet<NodeJS.WriteStream>();

/** Lines the server could not write to its stdout or stderr since it started (a full disk, a closed pipe). */
export function logWriteFailures(): number {
  return failedWrites;
}

/**
 * Writes a line to stdout or stderr and never throws, nor lets the stream's 'error' event go
 * unhandled: a log on a full disk (ENOSPC) or a pipe whose reader went away (EPIPE) must not end
 * the server (it did: an unhandled ENOSPC from a log line, 30 s after the disk filled). A failed
 * line is counted (`seamtrace_log_write_failures_total`) and dropped. Node destroys a stream
 * after its first error, so later lines go to its file descriptor directly: once the disk has
 * room again they are written again.
 */
export function writeLine(stream: NodeJS.WriteStream, line: string): void {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on("error", () => failedWrites++);
  }
  try {
    if (!stream.destroyed) {
      stream.write(line);
      return;
    }
    const fd = (stream as { fd?: unknown }).fd;
    if (typeof fd !== "number") throw new Error("the stream is closed");
    writeSync(fd, line);
  } catch {
    failedWrites++;
  }
}

export const jsonLogger: Logger = {
  info: (message, fields) => writeLine(process.stdout, JSON.stringify({ level: "info", time: new Date().toISOString(), message, ...fields }) + "\n"),
  error: (message, fields) => writeLine(process.stderr, JSON.stringify({ level: "error", time: new Date().toISOString(), message, ...fields }) + "\n"),
};

export const silentLogger: Logger = { info: () => {}, error: () => {} };
