import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The cookie a browser keeps once it has signed in to an account (login-throttle.ts says why). */
export const DEVICE_COOKIE = "st_device";
/** A year: a device stays recognised across sessions, which is the point. */
export const DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;
/** Accounts one browser is recognised for; the oldest drops off past it. */
const MAX_TOKENS = 4;

/**
 * Device tokens: `<nonce>.<HMAC(secret, account, nonce)>`, one per account a browser has signed
 * in to, in one cookie. The account is not written in it (the HMAC binds it), so the cookie says
 * nothing about who uses the browser, and a token is worth nothing for any other account.
 */
export class DeviceTokens {
  readonly #key: Buffer;

  constructor(secret: string) {
    // Its own key, derived from the server secret, so no other MAC the server makes can pass for one.
    this.#key = createHmac("sha256", secret).update("seamtrace device cookie v1").digest();
  }

  /** The nonce of the token in `cookie` that is valid for `account`, or null. */
  recognise(cookie: string | undefined, account: string): string | null {
    for (const token of (cookie ?? "").split("~").slice(0, MAX_TOKENS)) {
      const [nonce, mac] = token.split(".");
      if (!nonce || !mac || !/^[\w-]{22}$/.test(nonce)) continue;
      const expected = this.#mac(account, nonce);
      const given = Buffer.from(mac, "base64url");
      if (given.length === expected.length && timingSafeEqual(given, expected)) return nonce;
    }
    return null;
  }

  /** The cookie value after a sign-in to `account`: its token first, the browser's other accounts after. */
  issue(cookie: string | undefined, account: string): string {
    const nonce = randomBytes(16).toString("base64url");
    const mine = `${nonce}.${this.#mac(account, nonce).toString("base64url")}`;
    const others = (cookie ?? "").split("~").filter((t) => /^[\w-]{22}\.[\w-]{43}$/.test(t) && this.recognise(t, account) === null);
    return [mine, ...others].slice(0, MAX_TOKENS).join("~");
  }

  #mac(account: string, nonce: string): Buffer {
    return createHmac("sha256", this.#key).update(`${account}\n${nonce}`).digest();
  }
}
