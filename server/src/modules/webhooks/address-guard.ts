import { BlockList, isIP } from "node:net";

/**
 * Which addresses a webhook may reach. An admin chooses the URL, and the server makes the
 * request from inside its own network, so without this a webhook can read a cloud metadata
 * service (169.254.169.254), talk to a database on 10.0.0.1:6379 or probe loopback ports.
 * Refused by default (IANA special-purpose registries, RFC 6890 and its updates):
 * - IPv4: this network (0/8), private (10/8, 172.16/12, 192.168/16), shared CGNAT space
 *   (100.64/10, where some clouds keep their metadata service), loopback (127/8), link-local
 *   (169.254/16), IETF protocol assignments (192.0.0/24), documentation and benchmarking
 *   ranges, multicast and reserved (224/3 and above);
 * - IPv6: unspecified, loopback, IPv4-mapped and -translated forms of refused IPv4 addresses,
 *   discard, documentation, unique-local (fc00::/7, AWS's fd00:ec2::254 among them),
 *   link-local, site-local and multicast.
 * Names that only ever mean the host itself or a metadata service are refused as names too, so
 * the admin hears about it when registering rather than at the first delivery.
 *
 * The allow-list (SEAMTRACE_WEBHOOK_ALLOW) lets local development and private receivers
 * through: addresses and CIDR ranges are checked against the address actually connected to,
 * host names against the URL.
 */
export class AddressGuard {
  readonly #allowedAddresses = new BlockList();
  readonly #allowedHosts = new Set<string>();

  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      const parsed = parseAllowEntry(entry);
      if (parsed === null) throw new Error(`not an address, CIDR range or host name: "${entry}"`);
      if (parsed.kind === "host") this.#allowedHosts.add(parsed.host);
      else this.#allowedAddresses.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  /** Whether the host name (lower case, no trailing dot) is allowed whatever it resolves to. */
  hostAllowed(host: string): boolean {
    return this.#allowedHosts.has(normaliseHost(host));
  }

  /** Why a URL must not be registered or called, or null. Looks at its literal host only. */
  urlProblem(url: URL): string | null {
    const host = normaliseHost(url.hostname);
    if (this.#allowedHosts.has(host)) return null;
    const literal = host.startsWith("[") ? host.slice(1, -1) : host;
    if (isIP(literal)) return this.addressProblem(literal);
    if (REFUSED_NAMES.has(host) || host.endsWith(".localhost")) return `${host} names this server or a cloud metadata service`;
    return null;
  }

  /** Why a resolved address must not be connected to, or null. */
  addressProblem(address: string): string | null {
    const family = isIP(address);
    if (family === 0) return "not an IP address";
    const type = family === 4 ? "ipv4" : "ipv6";
    if (this.#allowedAddresses.check(address, type)) return null;
    if (REFUSED.check(address, type)) return "a private, loopback, link-local or reserved address";
    const embedded = family === 6 ? embeddedIpv4(address) : null;
    if (embedded !== null && !this.#allowedAddresses.check(embedded, "ipv4") && REFUSED.check(embedded, "ipv4")) {
      return "an IPv6 form of a private, loopback, link-local or reserved address";
    }
    return null;
  }
}

const REFUSED_NAMES = new Set([
  "localhost",
  "localhost.localdomain",
  "ip6-localhost",
  "ip6-loopback",
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

const REFUSED = (() => {
  const list = new BlockList();
  const v4 = [
    ["0.0.0.0", 8],
    ["10.0.0.0", 8],
    ["100.64.0.0", 10],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["172.16.0.0", 12],
    ["192.0.0.0", 24],
    ["192.0.2.0", 24],
    ["192.88.99.0", 24],
    ["192.168.0.0", 16],
    ["198.18.0.0", 15],
    ["198.51.100.0", 24],
    ["203.0.113.0", 24],
    ["224.0.0.0", 3],
  ] as const;
  for (const [a, p] of v4) list.addSubnet(a, p, "ipv4");
  const v6 = [
    ["::", 128],
    ["::1", 128],
    ["::", 96],
    ["64:ff9b:1::", 48],
    ["100::", 64],
    ["2001:db8::", 32],
    ["fc00::", 7],
    ["fe80::", 10],
    ["fec0::", 10],
    ["ff00::", 8],
  ] as const;
  for (const [a, p] of v6) list.addSubnet(a, p, "ipv6");
  return list;
})();

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

/** The IPv4 address inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIpv4(address: string): string | null {
  const groups = expandIpv6(address);
  if (!groups) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return null;
}

/** The eight 16-bit groups of an IPv6 address (with "::" and a dotted IPv4 tail expanded). */
function expandIpv6(address: string): number[] | null {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const groups = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

type AllowEntry = { kind: "host"; host: string } | { kind: "range"; address: string; prefix: number; family: "ipv4" | "ipv6" };

/** `10.0.0.0/8`, `127.0.0.1`, `::1`, `fd00::/8` or a host name such as `hooks.internal`. */
export function parseAllowEntry(entry: string): AllowEntry | null {
  const text = entry.trim();
  const [address, prefixText] = text.split("/") as [string, string | undefined];
  const family = isIP(address);
  if (family !== 0) {
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= max)) return null;
    return { kind: "range", address, prefix, family: family === 4 ? "ipv4" : "ipv6" };
  }
  if (prefixText !== undefined) return null;
  const host = normaliseHost(text);
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host) ? { kind: "host", host } : null;
}
