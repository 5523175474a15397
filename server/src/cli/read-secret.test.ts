import { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { PromptCancelled, promptHidden, readSecretFromStream, type RawInput } from "./read-secret.js";

/** A terminal double: records raw-mode changes, and lets the test type into it. */
class FakeTerminal extends EventEmitter implements RawInput {
  isRaw = false;
  modes: boolean[] = [];
  paused = true;
  setRawMode(mode: boolean) {
    this.isRaw = mode;
    this.modes.push(mode);
  }
  setEncoding() {}
  resume() {
    this.paused = false;
  }
  pause() {
    this.paused = true;
  }
  type(text: string) {
    this.emit("data", text);
  }
}

function screen() {
  let shown = "";
  return { write: (s: string) => (shown += s), shown: () => shown };
}

describe("promptHidden", () => {
  it("turns echo off before asking, reads up to Enter, puts the terminal back, and shows nothing typed", async () => {
    const tty = new FakeTerminal();
    const out = screen();
    const answer = promptHidden("Password: ", tty, out);
    expect(tty.isRaw).toBe(true);
    expect(out.shown()).toBe("Password: ");
    tty.type("secret pass");
    tty.type("phrase\rignored after enter");
    await expect(answer).resolves.toBe("secret passphrase");
    expect(tty.modes).toEqual([true, false]);
    expect(tty.paused).toBe(true);
    expect(tty.listenerCount("data")).toBe(0);
    expect(out.shown()).toBe("Password: \n");
  });

  it("applies backspace, and takes multi-byte characters whole", async () => {
    const tty = new FakeTerminal();
    const answer = promptHidden("? ", tty, screen());
    tty.type("pässwordx\u007f\u007fd€\b!\n");
    await expect(answer).resolves.toBe("pässword!");
  });

  it("rejects with PromptCancelled on Ctrl-C and still restores the terminal", async () => {
    const tty = new FakeTerminal();
    const answer = promptHidden("? ", tty, screen());
    tty.type("abc\u0003");
    await expect(answer).rejects.toBeInstanceOf(PromptCancelled);
    expect(tty.isRaw).toBe(false);
    expect(tty.listenerCount("data")).toBe(0);
  });
});

describe("readSecretFromStream", () => {
  it("reads everything and drops exactly one trailing newline", async () => {
    await expect(readSecretFromStream(Readable.from(["pass", "word\n"]))).resolves.toBe("password");
    await expect(readSecretFromStream(Readable.from(["password\r\n"]))).resolves.toBe("password");
    await expect(readSecretFromStream(Readable.from(["password \n\n"]))).resolves.toBe("password \n");
    await expect(readSecretFromStream(Readable.from([]))).resolves.toBe("");
  });

  it("refuses more than 64 KiB", async () => {
    await expect(readSecretFromStream(Readable.from([Buffer.alloc(64 * 1024 + 1, 97)]))).rejects.toThrow(/longer than/);
  });
});
