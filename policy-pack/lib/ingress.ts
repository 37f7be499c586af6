/**
 * Pure predicates for security-group ingress: protocol normalisation, port-range containment,
 * CIDR parsing, "the world" and "public range" detection, and extraction of ingress rules from
 * the three resource kinds that can declare them.
 *
 * Semantics (what AWS does, not what a string comparison would suggest):
 * - a rule reaches TCP port P when its protocol is TCP (`tcp`, `TCP`, `6`) and `fromPort <= P <= toPort`,
 *   or when its protocol is all traffic (`-1`, `all`), whatever its ports say (AWS stores 0/0 or -1/-1);
 * - UDP (`udp`, `17`), ICMP (`icmp`, `1`), ICMPv6 (`icmpv6`, `58`) and any other protocol number never
 *   reach a TCP port;
 * - "the world" is any IPv4 or IPv6 network with prefix length 0, however it is spelled
 *   (`0.0.0.0/0`, `::/0`, `::0/0`, `0:0:0:0:0:0:0:0/0`, ...);
 * - "public" is any range that is not entirely inside a non-globally-reachable block
 *   (RFC 1918, CGNAT, loopback, link-local, ULA, documentation, ...). The world is public.
 * - unknown or malformed values never count: predicates answer "unknown"/false rather than flag.
 *
 * Pure: no `@pulumi/*` imports.
 */
import { asArray, asLowerString, asNumber, get, Unknown, UNKNOWN } from "./props";
import { T } from "./types";

// ------------------------------------------------------------------------------------------------
// Protocols
// ------------------------------------------------------------------------------------------------

export type ProtocolKind = "all" | "tcp" | "udp" | "icmp" | "icmpv6" | "other";

const PROTOCOL_NAMES: Readonly<Record<string, ProtocolKind>> = {
    "-1": "all",
    all: "all",
    tcp: "tcp",
    udp: "udp",
    icmp: "icmp",
    icmpv6: "icmpv6",
};

const PROTOCOL_NUMBERS: Readonly<Record<number, ProtocolKind>> = {
    [-1]: "all",
    6: "tcp",
    17: "udp",
    1: "icmp",
    58: "icmpv6",
};

/**
 * Normalises a protocol as AWS accepts it: a name in any case (`tcp`, `TCP`, `all`, `icmpv6`) or an
 * IP protocol number (`6`, `17`, `-1`, as a string or a number). Returns {@link UNKNOWN} for unknown
 * or unrecognisable values.
 */
export function normaliseProtocol(value: unknown): ProtocolKind | Unknown {
    if (typeof value === "number") {
        return Number.isInteger(value) && value >= -1 && value <= 255 ? (PROTOCOL_NUMBERS[value] ?? "other") : UNKNOWN;
    }
    const s = asLowerString(value);
    if (typeof s !== "string") {
        return UNKNOWN;
    }
    const named = PROTOCOL_NAMES[s];
    if (named) {
        return named;
    }
    if (/^\d+$/.test(s)) {
        const n = Number(s);
        return n <= 255 ? (PROTOCOL_NUMBERS[n] ?? "other") : UNKNOWN;
    }
    return UNKNOWN;
}

// ------------------------------------------------------------------------------------------------
// Ports
// ------------------------------------------------------------------------------------------------

/**
 * Whether the inclusive range `from..to` contains `port`. Unknown or non-integer bounds give
 * {@link UNKNOWN}; an inverted range contains nothing.
 */
export function portRangeContains(from: unknown, to: unknown, port: number): boolean | Unknown {
    const lo = asNumber(from);
    const hi = asNumber(to);
    if (typeof lo !== "number" || typeof hi !== "number" || !Number.isInteger(lo) || !Number.isInteger(hi)) {
        return UNKNOWN;
    }
    return lo <= port && port <= hi;
}

/** Three-valued answer: reaching is only ever claimed on known values. */
export type Reach = "yes" | "no" | "unknown";

/** Whether a rule with this protocol and port range lets traffic reach TCP `port`. */
export function reachesTcpPort(protocol: unknown, fromPort: unknown, toPort: unknown, port: number): Reach {
    const kind = normaliseProtocol(protocol);
    switch (kind) {
        case UNKNOWN:
            return "unknown";
        case "all":
            return "yes"; // ports are ignored for all-traffic rules
        case "tcp": {
            const contains = portRangeContains(fromPort, toPort, port);
            return contains === UNKNOWN ? "unknown" : contains ? "yes" : "no";
        }
        case "udp":
        case "icmp":
        case "icmpv6":
        case "other":
            return "no";
    }
}

// ------------------------------------------------------------------------------------------------
// CIDRs
// ------------------------------------------------------------------------------------------------

export interface Cidr {
    version: 4 | 6;
    /** The network address (host bits cleared). */
    network: bigint;
    prefix: number;
}

function parseIpv4(s: string): bigint | undefined {
    const parts = s.split(".");
    if (parts.length !== 4) {
        return undefined;
    }
    let out = 0n;
    for (const p of parts) {
        if (!/^\d{1,3}$/.test(p)) {
            return undefined;
        }
        const n = Number(p);
        if (n > 255) {
            return undefined;
        }
        out = (out << 8n) | BigInt(n);
    }
    return out;
}

function parseIpv6(s: string): bigint | undefined {
    let text = s;
    // An embedded dotted IPv4 tail (e.g. ::ffff:192.0.2.1) stands for the last two groups.
    const lastColon = text.lastIndexOf(":");
    if (lastColon >= 0 && text.includes(".", lastColon)) {
        const v4 = parseIpv4(text.slice(lastColon + 1));
        if (v4 === undefined) {
            return undefined;
        }
        text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
    }
    const halves = text.split("::");
    if (halves.length > 2) {
        return undefined;
    }
    const parseGroups = (part: string): bigint[] | undefined => {
        if (part === "") {
            return [];
        }
        const groups: bigint[] = [];
        for (const g of part.split(":")) {
            if (!/^[0-9a-f]{1,4}$/.test(g)) {
                return undefined;
            }
            groups.push(BigInt(parseInt(g, 16)));
        }
        return groups;
    };
    const head = parseGroups(halves[0]);
    const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
    if (head === undefined || tail === undefined) {
        return undefined;
    }
    const explicit = head.length + tail.length;
    let groups: bigint[];
    if (halves.length === 2) {
        if (explicit > 7) {
            return undefined; // "::" stands for at least one group
        }
        groups = [...head, ...new Array<bigint>(8 - explicit).fill(0n), ...tail];
    } else {
        if (explicit !== 8) {
            return undefined;
        }
        groups = head;
    }
    return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/**
 * Parses an IPv4 or IPv6 CIDR (`a.b.c.d/n`, `x:x::x/n`), case- and whitespace-insensitive.
 * Returns `undefined` for anything else (including a bare address without a prefix length,
 * which AWS does not accept in a security group rule).
 */
export function parseCidr(value: unknown): Cidr | undefined {
    if (typeof value !== "string") {
        return undefined;
    }
    const s = value.trim().toLowerCase();
    const slash = s.indexOf("/");
    if (slash < 0 || slash !== s.lastIndexOf("/")) {
        return undefined;
    }
    const addressText = s.slice(0, slash);
    const prefixText = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) {
        return undefined;
    }
    const prefix = Number(prefixText);
    const version: 4 | 6 = addressText.includes(":") ? 6 : 4;
    const bits = version === 4 ? 32 : 128;
    if (prefix > bits) {
        return undefined;
    }
    const address = version === 4 ? parseIpv4(addressText) : parseIpv6(addressText);
    if (address === undefined) {
        return undefined;
    }
    const hostBits = BigInt(bits - prefix);
    const network = (address >> hostBits) << hostBits;
    return { version, network, prefix };
}

/** True when `value` is an IPv4 or IPv6 network of prefix length 0: every address there is. */
export function isWorldCidr(value: unknown): boolean {
    const c = parseCidr(value);
    return c !== undefined && c.prefix === 0;
}

/**
 * Blocks whose addresses are not globally reachable (IANA special-purpose registries).
 * A range entirely inside one of them is not "public".
 */
export const NON_PUBLIC_BLOCKS: readonly string[] = [
    // IPv4
    "0.0.0.0/8", // "this network"
    "10.0.0.0/8", // RFC 1918
    "100.64.0.0/10", // shared address space (CGNAT)
    "127.0.0.0/8", // loopback
    "169.254.0.0/16", // link-local
    "172.16.0.0/12", // RFC 1918
    "192.0.0.0/24", // IETF protocol assignments
    "192.0.2.0/24", // TEST-NET-1
    "192.168.0.0/16", // RFC 1918
    "198.18.0.0/15", // benchmarking
    "198.51.100.0/24", // TEST-NET-2
    "203.0.113.0/24", // TEST-NET-3
    "240.0.0.0/4", // reserved, and the limited broadcast address
    // IPv6
    "::/128", // unspecified
    "::1/128", // loopback
    "::ffff:0:0/96", // IPv4-mapped (an IPv6 rule never matches IPv4 traffic)
    "64:ff9b:1::/48", // local-use IPv4/IPv6 translation
    "100::/64", // discard-only
    "fc00::/7", // unique local (ULA)
    "fe80::/10", // link-local
    "2001:db8::/32", // documentation
];

const NON_PUBLIC: readonly Cidr[] = NON_PUBLIC_BLOCKS.map((b) => {
    const c = parseCidr(b);
    if (!c) {
        throw new Error(`internal: bad block ${b}`);
    }
    return c;
});

/** Whether network `inner` lies entirely inside network `outer` (same IP version). */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
    if (inner.version !== outer.version || inner.prefix < outer.prefix) {
        return false;
    }
    const bits = inner.version === 4 ? 32 : 128;
    const shift = BigInt(bits - outer.prefix);
    return inner.network >> shift === outer.network >> shift;
}

/** True when `value` is a valid CIDR that includes globally reachable addresses (the world included). */
export function isPublicCidr(value: unknown): boolean {
    const c = parseCidr(value);
    return c !== undefined && !NON_PUBLIC.some((block) => cidrWithin(c, block));
}

// ------------------------------------------------------------------------------------------------
// Rules
// ------------------------------------------------------------------------------------------------

/** One ingress rule, as declared by any of the resource kinds, with raw (possibly unknown) fields. */
export interface IngressRule {
    /** Where the rule sits in the resource, for messages: `ingress[0]`, or `rule` for a standalone rule. */
    location: string;
    protocol: unknown;
    fromPort: unknown;
    toPort: unknown;
    /** Known CIDR sources, IPv4 and IPv6 together. Other sources (self, SGs, prefix lists) are not addresses. */
    cidrs: string[];
}

function cidrList(v: unknown): string[] {
    const arr = asArray(v);
    if (arr === UNKNOWN || arr === undefined) {
        return [];
    }
    return arr.filter((e): e is string => typeof e === "string");
}

function single(v: unknown): string[] {
    return typeof v === "string" ? [v] : [];
}

/** The resource types {@link ingressRulesOf} understands. */
export const INGRESS_TYPES: readonly string[] = [
    T.securityGroup,
    T.defaultSecurityGroup,
    T.securityGroupRule,
    T.securityGroupIngressRule,
];

/**
 * The ingress rules a resource declares. Egress never counts: a security group's `egress`
 * is not read and a `SecurityGroupRule` counts only when its `type` is known to be `ingress`.
 */
export function ingressRulesOf(type: string, props: unknown): IngressRule[] {
    switch (type) {
        case T.securityGroup:
        case T.defaultSecurityGroup: {
            const ingress = asArray(get(props, "ingress"));
            if (ingress === UNKNOWN || ingress === undefined) {
                return [];
            }
            return ingress.map((r, i) => ({
                location: `ingress[${i}]`,
                protocol: get(r, "protocol"),
                fromPort: get(r, "fromPort"),
                toPort: get(r, "toPort"),
                cidrs: [...cidrList(get(r, "cidrBlocks")), ...cidrList(get(r, "ipv6CidrBlocks"))],
            }));
        }
        case T.securityGroupRule: {
            if (asLowerString(get(props, "type")) !== "ingress") {
                return [];
            }
            return [
                {
                    location: "rule",
                    protocol: get(props, "protocol"),
                    fromPort: get(props, "fromPort"),
                    toPort: get(props, "toPort"),
                    cidrs: [...cidrList(get(props, "cidrBlocks")), ...cidrList(get(props, "ipv6CidrBlocks"))],
                },
            ];
        }
        case T.securityGroupIngressRule:
            return [
                {
                    location: "rule",
                    protocol: get(props, "ipProtocol"),
                    fromPort: get(props, "fromPort"),
                    toPort: get(props, "toPort"),
                    cidrs: [...single(get(props, "cidrIpv4")), ...single(get(props, "cidrIpv6"))],
                },
            ];
        default:
            return [];
    }
}

/** A rule that lets some of the given sources reach some of the given ports. */
export interface Exposure {
    rule: IngressRule;
    ports: number[];
    cidrs: string[];
}

/**
 * The rules that let a CIDR matching `isSource` reach one of `ports` over TCP. Only known values
 * count: a rule with an unknown protocol, port or source is never reported.
 */
export function findExposures(
    rules: readonly IngressRule[],
    ports: readonly number[],
    isSource: (cidr: string) => boolean,
): Exposure[] {
    const out: Exposure[] = [];
    for (const rule of rules) {
        const cidrs = rule.cidrs.filter(isSource);
        if (cidrs.length === 0) {
            continue;
        }
        const reached = ports.filter((p) => reachesTcpPort(rule.protocol, rule.fromPort, rule.toPort, p) === "yes");
        if (reached.length > 0) {
            out.push({ rule, ports: [...new Set(reached)].sort((a, b) => a - b), cidrs });
        }
    }
    return out;
}

/** "protocol \"tcp\", ports 0-65535" / "protocol \"-1\" (all traffic)" — the rule as the user wrote it. */
export function describeRule(rule: IngressRule): string {
    const kind = normaliseProtocol(rule.protocol);
    const spelled =
        typeof rule.protocol === "string" || typeof rule.protocol === "number" ? String(rule.protocol) : "?";
    if (kind === "all") {
        return `protocol "${spelled}" (all traffic)`;
    }
    const from = asNumber(rule.fromPort);
    const to = asNumber(rule.toPort);
    const range =
        typeof from === "number" && typeof to === "number"
            ? from === to
                ? `port ${from}`
                : `ports ${from}-${to}`
            : "ports ?";
    return `protocol "${spelled}"${kind === "tcp" && spelled.toLowerCase() !== "tcp" ? " (TCP)" : ""}, ${range}`;
}
