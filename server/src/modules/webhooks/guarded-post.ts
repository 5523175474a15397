import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { AddressGuard } from "./address-guard.js";

export interface WebhookRequest {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** How a delivery went: an HTTP status, or why there was none (a message safe to show). */
export type WebhookOutcome = { status: number } | { error: string };

/** One signed POST to a receiver; the dispatcher is given one (tests inject their own). */
export type WebhookPost = (url: string, request: WebhookRequest) => Promise<WebhookOutcome>;

/**
 * What the delivery log says when no HTTP answer came. One sentence for a refused connection,
 * a reset, a timeout, a TLS failure or a reply that was not HTTP: told apart, they would let
 * whoever registers webhooks map which ports of a host are open.
 */
export const NO_ANSWER = "no HTTP answer: the connection failed, was refused or reset, or timed out";

class Refused extends Error {}

/**
 * POSTs with node:http(s), checking the address it connects to: a host name is resolved by a
 * `lookup` that refuses the whole answer if any address in it is refused (so a name cannot pass
 * with one public and one private address), and a literal address is checked before connecting
 * (Node does not call `lookup` for one). Checking at connect time, not at registration, is what
 * defeats DNS names that are re-pointed at a private address later. Redirects are never followed:
 * a 3xx is an answer like any other, so a receiver cannot bounce the request inward.
 */
export function guardedPost(guard: AddressGuard, resolve: typeof dnsLookup = dnsLookup): WebhookPost {
  return (target, req) =>
    new Promise<WebhookOutcome>((done) => {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return done({ error: "refused: not a URL" });
      }
      const hostAllowed = guard.hostAllowed(url.hostname);
      const problem = hostAllowed ? null : guard.urlProblem(url);
      if (problem !== null) return done({ error: `refused: ${problem} (SEAMTRACE_WEBHOOK_ALLOW lets one through)` });

      const lookup: LookupFunction = (hostname, options, callback) => {
        resolve(hostname, { ...(options as LookupOptions), all: true }, (err, addresses: LookupAddress[]) => {
          if (err) return callback(err, "", 4);
          const refused = hostAllowed ? undefined : addresses.map((a) => guard.addressProblem(a.address)).find((p) => p !== null);
          if (refused) return callback(new Refused(`${url.hostname} resolves to ${refused}`), "", 4);
          if ((options as LookupOptions).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
          const first = addresses[0]!;
          callback(null, first.address, first.family);
        });
      };
      const options: RequestOptions = {
        method: "POST",
        headers: { ...req.headers, "content-length": String(Buffer.byteLength(req.body)) },
        lookup,
        // A fresh connection per delivery: a pooled socket would skip the connect-time check.
        agent: false,
        signal: AbortSignal.timeout(req.timeoutMs),
      };
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const r = send(url, options, (res) => {
        // The status is all that is kept; the rest is read and dropped (bounded by the timeout).
        res.resume();
        res.on("error", () => {});
        done({ status: res.statusCode ?? 0 });
      });
      r.on("error", (err) => done({ error: err instanceof Refused ? `refused: ${err.message} (SEAMTRACE_WEBHOOK_ALLOW lets one through)` : NO_ANSWER }));
      r.end(req.body);
    });
}
