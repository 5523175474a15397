// The transport as a host process sees it: its timers must never keep Node alive on their own,
// yet an awaited flush() or shutdown() must hold the process until it settles. Only a real
// child process can tell whether the event loop would have exited.
import { runHostScript, type HostScriptResult } from "../../test/support/host-script.js";
import { describe, expect, it } from "vitest";

const transportUrl = new URL("./transport.ts", import.meta.url).href;

function runScript(body: string, killAfterMs?: number): Promise<HostScriptResult> {
  const script = `
    import { Transport } from ${JSON.stringify(transportUrl)};
    const event = { id: "e1", type: "run.started", time: new Date().toISOString(), runId: "r", workflow: "w", version: "1" };
    ${body}
  `;
  return runHostScript(script, killAfterMs);
}

describe("transport in a host process", () => {
  it("lets the process exit with events buffered and the flush timer armed", async () => {
    const r = await runScript(`
      const t = new Transport({ endpoint: "http://x", request: async () => { throw new Error("down"); }, flushIntervalMs: 60000 });
      t.enqueue(event);
    `);
    expect(r.code).toBe(0);
    expect(r.lingerMs).toBeLessThan(5000);
  });

  it("lets the process exit while a retry backoff is pending", async () => {
    const r = await runScript(`
      const t = new Transport({ endpoint: "http://x", request: async () => { throw new Error("down"); },
        minBackoffMs: 60000, maxBackoffMs: 60000, flushIntervalMs: 60000 });
      t.enqueue(event);
      console.log(JSON.stringify(await t.flush({ timeoutMs: 200 })));
    `);
    expect(r.out).toContain('{"delivered":0,"undelivered":1}');
    expect(r.code).toBe(0);
    expect(r.lingerMs).toBeLessThan(5000); // a ref'd 60 s timer would hold it for a minute
  });

  it("lets the process exit while a request hangs (its timeout timer is unref'd)", async () => {
    const r = await runScript(`
      const t = new Transport({ endpoint: "http://x", request: () => new Promise(() => {}), requestTimeoutMs: 60000 });
      t.enqueue(event);
      console.log(JSON.stringify(await t.flush({ timeoutMs: 200 })));
    `);
    expect(r.out).toContain('{"delivered":0,"undelivered":1}');
    expect(r.code).toBe(0);
    expect(r.lingerMs).toBeLessThan(5000);
  });

  it("holds the process for an awaited shutdown until it settles", async () => {
    const r = await runScript(`
      const t = new Transport({ endpoint: "http://x", request: async () => { throw new Error("down"); },
        minBackoffMs: 50, maxBackoffMs: 50 });
      t.enqueue(event);
      console.log(JSON.stringify(await t.shutdown({ timeoutMs: 400 })));
    `);
    // Exit code 13 would mean Node quit with the awaited shutdown still unsettled.
    expect(r.out).toContain('"undelivered":1');
    expect(r.code).toBe(0);
  });
});
