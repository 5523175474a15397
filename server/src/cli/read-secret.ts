/**
 * Reading a secret (a password) for the CLI without it ever being an argument: an argument
 * lands in shell history and in every other user's `ps`, stdin and the environment do not.
 */

/** Most bytes read from a pipe: far above any password, and a bound on a mistaken `< big-file`. */
const MAX_STDIN_BYTES = 64 * 1024;

/** All of a stream as UTF-8, minus one trailing newline (what `echo` and heredocs add). */
export async function readSecretFromStream(input: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of input) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    total += buf.byteLength;
    if (total > MAX_STDIN_BYTES) throw new Error(`standard input is longer than ${MAX_STDIN_BYTES} bytes; expected a password`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** The terminal side of `promptHidden`: process.stdin when it is a TTY, or a test double. */
export interface RawInput {
  isRaw?: boolean;
  setRawMode(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: "data", listener: (chunk: string) => void): unknown;
  off(event: "data", listener: (chunk: string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export class PromptCancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

/**
 * Asks on `output` and reads one line from a terminal in raw mode, so the terminal does not echo
 * what is typed (nothing, not even asterisks, which would tell the length). Enter ends the
 * line, backspace deletes, Ctrl-C rejects with `PromptCancelled` (raw mode turns it into a
 * character rather than SIGINT).
 */
export function promptHidden(question: string, input: RawInput, output: { write(s: string): unknown }): Promise<string> {
  return new Promise((resolve, reject) => {
    const wasRaw = input.isRaw ?? false;
    let value: string[] = [];
    const finish = (err?: Error) => {
      input.off("data", onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(value.join(""));
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new PromptCancelled());
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value.push(ch);
      }
    };
    // Raw mode before the question: what is typed the moment it shows must not echo either.
    input.setRawMode(true);
    input.setEncoding("utf8");
    input.on("data", onData);
    input.resume();
    output.write(question);
  });
}
