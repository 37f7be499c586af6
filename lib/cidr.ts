/**
 * The subnet plan of a new VPC, and small IPv4 CIDR helpers.
 *
 * Pure module: no Pulumi imports and no resource declarations. The `Network` component loops
 * over the plan and declares one subnet per entry; the tests check the plan directly.
 *
 * ## Layout
 * For a VPC of prefix `/p` (16 ≤ p ≤ 24) the range is carved for {@link AZ_SLOTS} (4) AZ
 * slots per tier, whatever `azCount` is, so that adding an AZ later takes the next free slot
 * and never moves the subnets of the AZs already in use:
 *
 * | part of the VPC   | what                           | each subnet            |
 * |-------------------|--------------------------------|------------------------|
 * | first half        | private slots 0..3             | `/p+3` (1/8 of the VPC) |
 * | next              | public slots 0..3              | `/p+5`, at least `/28` |
 * | next              | isolated slots 0..3            | `/p+5`, at least `/28` |
 * | rest (p ≤ 23)     | spare, held for a future tier  | `/p+2` (1/4 of the VPC) |
 *
 * The private (egress) tier gets the biggest blocks because compute lives there (Lambda ENIs,
 * tasks, instances, proxies); the public tier holds only NAT gateways and load balancers and
 * the isolated tier only databases. For a /24 a `/29` would be below AWS's minimum of `/28`,
 * so public and isolated take `/28` each and there is no spare.
 *
 * Usable addresses per subnet are the block size minus the 5 AWS reserves:
 *
 * | VPC | private          | public / isolated | spare            |
 * |-----|------------------|-------------------|------------------|
 * | /16 | /19 (8187)       | /21 (2043)        | /18              |
 * | /20 | /23 (507)        | /25 (123)         | /22              |
 * | /22 | /25 (123)        | /27 (27)          | /24              |
 * | /23 | /26 (59)         | /28 (11)          | /25              |
 * | /24 | /27 (27)         | /28 (11)          | none             |
 *
 * An Application Load Balancer needs public subnets of at least `/27`, so a VPC for the ALB
 * ingress must be `/22` or larger.
 */
import { parseIpv4Cidr } from "./aws-facts";

/** AZ slots carved per tier, so that growing from 2 to 3 AZs moves nothing. */
export const AZ_SLOTS = 4;
/** The smallest subnet AWS allows. */
export const MIN_SUBNET_PREFIX = 28;
/** Addresses AWS reserves in every subnet (network, router, DNS, future use, broadcast). */
export const AWS_RESERVED_IPS_PER_SUBNET = 5;
/** VPC prefixes the planner supports. */
export const MIN_VPC_PREFIX = 16;
export const MAX_VPC_PREFIX = 24;

export type SubnetTier = "public" | "private" | "isolated";
export const SUBNET_TIERS: readonly SubnetTier[] = ["public", "private", "isolated"];

/** The three subnets of one AZ. */
export interface AzSubnetPlan {
    /** AZ index (0-based, the order of the region's available AZs). */
    readonly az: number;
    readonly public: string;
    readonly private: string;
    readonly isolated: string;
}

export interface SubnetPlan {
    /** The VPC range the plan was made for. */
    readonly vpcCidr: string;
    /** One entry per AZ in use, in AZ order. */
    readonly azs: readonly AzSubnetPlan[];
    /** Prefix length of each tier's subnets. */
    readonly prefixes: Readonly<Record<SubnetTier, number>>;
    /** Usable addresses per subnet of each tier (block size minus the 5 AWS reserves). */
    readonly usableIps: Readonly<Record<SubnetTier, number>>;
    /** Slots of AZs not in use (in tier then slot order): where a further AZ goes. */
    readonly freeSlots: readonly string[];
    /** Block held back for a future tier; undefined for a /24 (no room left). */
    readonly spare?: string;
}

/** Formats a 32-bit unsigned integer as a dotted quad. */
export function formatIpv4(address: number): string {
    if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
        throw new Error(`formatIpv4: got ${address}; expected a whole number from 0 to 4294967295`);
    }
    return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join(".");
}

interface Range {
    readonly base: number;
    readonly prefix: number;
}

function size(prefix: number): number {
    return 2 ** (32 - prefix);
}

function parse(cidr: string, what: string): Range {
    const c = parseIpv4Cidr(cidr);
    if (!c) throw new Error(`${what}: got ${JSON.stringify(cidr)}; expected an IPv4 CIDR such as 10.0.0.0/16`);
    if (c.base % size(c.prefix) !== 0) {
        throw new Error(
            `${what}: got ${JSON.stringify(cidr)}; host bits are set (use the network address, e.g. ${formatIpv4(c.base - (c.base % size(c.prefix)))}/${c.prefix})`,
        );
    }
    return c;
}

function format(r: Range): string {
    return `${formatIpv4(r.base)}/${r.prefix}`;
}

/** True when `inner` lies entirely within `outer` (a range contains itself). */
export function cidrContains(outer: string, inner: string): boolean {
    const o = parse(outer, "cidrContains outer");
    const i = parse(inner, "cidrContains inner");
    return i.prefix >= o.prefix && i.base >= o.base && i.base + size(i.prefix) <= o.base + size(o.prefix);
}

/** True when the two ranges share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
    const x = parse(a, "cidrsOverlap a");
    const y = parse(b, "cidrsOverlap b");
    return x.base < y.base + size(y.prefix) && y.base < x.base + size(x.prefix);
}

/** Usable addresses of a subnet with this prefix (AWS reserves 5 in each). */
export function usableIps(prefix: number): number {
    return size(prefix) - AWS_RESERVED_IPS_PER_SUBNET;
}

/**
 * Plans the subnets of a new VPC: per AZ a public, a private and an isolated subnet (see the
 * module comment for the layout). Throws on a range outside /16–/24, host bits set, or an AZ
 * count other than 2 or 3.
 */
export function planSubnets(vpcCidr: string, azCount: 2 | 3): SubnetPlan {
    const vpc = parse(vpcCidr, "planSubnets vpcCidr");
    if (vpc.prefix < MIN_VPC_PREFIX || vpc.prefix > MAX_VPC_PREFIX) {
        throw new Error(
            `planSubnets vpcCidr: got ${JSON.stringify(vpcCidr)}; the VPC range must be /${MIN_VPC_PREFIX} to /${MAX_VPC_PREFIX} so that three tiers of /${MIN_SUBNET_PREFIX} or larger fit in ${AZ_SLOTS} AZ slots`,
        );
    }
    if (azCount !== 2 && azCount !== 3) {
        throw new Error(`planSubnets azCount: got ${JSON.stringify(azCount)}; expected 2 or 3`);
    }
    const prefixes: Record<SubnetTier, number> = {
        private: vpc.prefix + 3,
        public: Math.min(vpc.prefix + 5, MIN_SUBNET_PREFIX),
        isolated: Math.min(vpc.prefix + 5, MIN_SUBNET_PREFIX),
    };
    // Blocks in address order, largest first, so that every block is aligned to its size.
    const order: readonly SubnetTier[] = ["private", "public", "isolated"];
    const slots = {} as Record<SubnetTier, string[]>;
    let next = vpc.base;
    for (const tier of order) {
        slots[tier] = [];
        for (let s = 0; s < AZ_SLOTS; s++) {
            slots[tier].push(format({ base: next, prefix: prefixes[tier] }));
            next += size(prefixes[tier]);
        }
    }
    const end = vpc.base + size(vpc.prefix);
    // What is left is a quarter of the VPC (for /16../23) or nothing (for /24).
    const spare = next < end ? format({ base: next, prefix: vpc.prefix + 2 }) : undefined;

    const azs: AzSubnetPlan[] = [];
    for (let az = 0; az < azCount; az++) {
        azs.push({ az, public: slots.public[az], private: slots.private[az], isolated: slots.isolated[az] });
    }
    const freeSlots = order.flatMap((tier) => slots[tier].slice(azCount));
    return {
        vpcCidr: format(vpc),
        azs,
        prefixes,
        usableIps: {
            private: usableIps(prefixes.private),
            public: usableIps(prefixes.public),
            isolated: usableIps(prefixes.isolated),
        },
        freeSlots,
        ...(spare === undefined ? {} : { spare }),
    };
}
