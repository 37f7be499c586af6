/**
 * Pure planning for the network: the arguments of a new VPC or of an existing one, their
 * defaults and every rule they must meet, and the NAT layout. Returns problems (never throws)
 * so that the stack config and the components report the same ones.
 *
 * No Pulumi resource declarations.
 */
import { planSubnets, SubnetPlan } from "./cidr";
import {
    DATABASE_PORT_RANGE,
    DB_PORT,
    INTERFACE_ENDPOINTS,
    InterfaceEndpoint,
    LOG_RETENTION_DAYS,
    parseIpv4Cidr,
} from "./aws-facts";
import { Problem, problem } from "./problems";

export const NAT_MODES = ["none", "single", "perAz"] as const;
export type NatGateways = (typeof NAT_MODES)[number];

/**
 * The options of a new VPC (the `network` config object, and `Network`'s arguments). Plain
 * values, not `Input`s: they decide how many resources exist, which must be known before any
 * is declared.
 */
export interface NetworkOptions {
    /**
     * IPv4 range of the new VPC, /16 to /24, network address only. Carved into 4 AZ slots per
     * tier (see `lib/cidr.ts`): for a /16 the private subnets are /19 and the public and
     * isolated ones /21.
     * @default "10.0.0.0/16"
     * @example "10.42.0.0/20"
     */
    cidr?: string;
    /**
     * Number of availability zones, 2 or 3. Going from 2 to 3 later adds subnets and moves
     * none of the existing ones.
     * @default 2
     */
    azCount?: number;
    /**
     * NAT gateways for outbound traffic from the private subnets:
     * `"none"` (no default route: reach AWS through endpoints only; no NAT cost),
     * `"single"` (one NAT in the first public subnet for all AZs: cheapest with egress, but
     * egress fails with that AZ), `"perAz"` (one NAT per AZ: zone-independent, one NAT's cost
     * per AZ). The isolated subnets never get a route to a NAT.
     * @default "single"
     */
    natGateways?: NatGateways;
    /**
     * Interface endpoints to create in the private subnets (private DNS on), reachable on TCP
     * 443 from the VPC range. Each costs about 0.01 USD per AZ-hour plus data. The S3 gateway
     * endpoint (free) is always created.
     * @default []
     * @example ["secretsmanager", "logs", "ecr.api", "ecr.dkr"]
     */
    interfaceEndpoints?: readonly InterfaceEndpoint[];
    /**
     * In how many AZs each interface endpoint has its network interface (the first N AZs, 1 to
     * `azCount`). An endpoint bills per AZ-hour, so fewer AZs cost less; clients in the other
     * AZs reach it across AZs (cross-AZ data charges) and lose it when its AZs fail.
     * @default - every AZ (azCount)
     * @example 1
     */
    interfaceEndpointAzCount?: number;
    /**
     * VPC flow logs (all traffic) to a CloudWatch log group.
     * @default false
     */
    flowLogs?: boolean;
    /**
     * Retention of the flow log group, in days (a value CloudWatch Logs accepts).
     * @default 30
     */
    flowLogRetentionDays?: number;
    /**
     * A network ACL on the isolated subnets that admits TCP `databasePort` from the private
     * subnets and all traffic within the isolated tier, and sends only return traffic (TCP
     * 1024-65535) back to the private subnets; everything else is denied. Note that it also
     * blocks S3 from the isolated subnets (ACLs cannot name the S3 prefix list).
     * @default true
     */
    isolatedSubnetAcl?: boolean;
    /**
     * The database port the isolated-subnet ACL admits (1150 to 65535, the RDS range).
     * @default 5432
     */
    databasePort?: number;
}

/** An existing VPC to use instead of creating one. Subnet ids are listed per tier, in AZ order. */
export interface ExistingVpcOptions {
    /**
     * The VPC id.
     * @example "vpc-0123456789abcdef0"
     */
    vpcId: string;
    /**
     * The VPC's IPv4 range. When omitted it is looked up (`aws.ec2.getVpcOutput`), which needs
     * AWS credentials at preview time.
     * @default - looked up from the VPC
     * @example "10.20.0.0/16"
     */
    cidr?: string;
    /**
     * Public subnets (with a route to an internet gateway): none, or one per private subnet.
     * @default []
     */
    publicSubnetIds?: string[];
    /**
     * Private subnets where compute runs: 2 or 3, one per AZ.
     * @example ["subnet-0a1b2c3d4e5f60718", "subnet-1a1b2c3d4e5f60718"]
     */
    privateSubnetIds: string[];
    /** Isolated subnets for the databases: as many as private subnets, in the same AZ order. */
    isolatedSubnetIds: string[];
    /**
     * Whether the private subnets have a default route through NAT. The component cannot see
     * the existing route tables, so it trusts this flag.
     * @default true
     */
    privateEgress?: boolean;
}

/** The documented defaults of {@link NetworkOptions} (a test checks the doc comments against it). */
export const NETWORK_DEFAULTS = {
    cidr: "10.0.0.0/16",
    azCount: 2,
    natGateways: "single",
    interfaceEndpoints: [] as readonly InterfaceEndpoint[],
    flowLogs: false,
    flowLogRetentionDays: 30,
    isolatedSubnetAcl: true,
    databasePort: DB_PORT,
} as const satisfies Required<Omit<NetworkOptions, "interfaceEndpointAzCount">>; // that one defaults to azCount

/** A new VPC with every default filled in. */
export interface NetworkPlan {
    cidr: string;
    azCount: 2 | 3;
    natGateways: NatGateways;
    interfaceEndpoints: readonly InterfaceEndpoint[];
    /** AZs (the first N) holding each interface endpoint's network interface. */
    interfaceEndpointAzCount: number;
    flowLogs: boolean;
    flowLogRetentionDays: number;
    isolatedSubnetAcl: boolean;
    databasePort: number;
    subnets: SubnetPlan;
}

/** An existing VPC, checked, with its defaults. */
export type ExistingVpcPlan = Required<Omit<ExistingVpcOptions, "cidr">> & { cidr?: string };

/** How many NAT gateways, and which one each AZ's private route table uses (undefined: none). */
export interface NatLayout {
    gateways: number;
    natOfAz: (number | undefined)[];
}

export function natLayout(mode: NatGateways, azCount: number): NatLayout {
    const azs = Array.from({ length: azCount }, (_, i) => i);
    switch (mode) {
        case "none":
            return { gateways: 0, natOfAz: azs.map(() => undefined) };
        case "single":
            return { gateways: 1, natOfAz: azs.map(() => 0) };
        case "perAz":
            return { gateways: azCount, natOfAz: azs };
        default:
            throw new Error(`unexpected value ${JSON.stringify(mode satisfies never)}`);
    }
}

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

function cidrProblem(key: string, value: unknown, minPrefix: number, maxPrefix: number): Problem | undefined {
    const c = typeof value === "string" ? parseIpv4Cidr(value) : undefined;
    if (!c)
        return problem(
            key,
            value,
            "expected an IPv4 CIDR such as 10.0.0.0/16",
            `set ${key} to a range such as 10.0.0.0/16`,
        );
    if (c.prefix < minPrefix || c.prefix > maxPrefix) {
        return problem(
            key,
            value,
            `the prefix must be /${minPrefix} to /${maxPrefix}` +
                (maxPrefix === 24 ? " (AWS allows /28, but below /24 the three subnet tiers do not fit)" : ""),
            `use a range from /${minPrefix} to /${maxPrefix}`,
        );
    }
    const size = 2 ** (32 - c.prefix);
    if (c.base % size !== 0) {
        const base = c.base - (c.base % size);
        const network = [24, 16, 8, 0].map((s) => (base >>> s) & 0xff).join(".");
        return problem(key, value, "host bits are set", `use the network address ${network}/${c.prefix}`);
    }
    return undefined;
}

/** Validates the options of a new VPC and fills in the defaults. */
export function planNetwork(o: NetworkOptions): { plan?: NetworkPlan; problems: Problem[] } {
    const problems: Problem[] = [];
    const d = NETWORK_DEFAULTS;
    const cidr = o.cidr ?? d.cidr;
    const cidrIssue = cidrProblem("cidr", cidr, 16, 24);
    if (cidrIssue) problems.push(cidrIssue);
    const azCount = o.azCount ?? d.azCount;
    if (azCount !== 2 && azCount !== 3) {
        problems.push(problem("azCount", azCount, "expected 2 or 3", "set azCount to 2 or 3"));
    }
    const natGateways = o.natGateways ?? d.natGateways;
    if (!(NAT_MODES as readonly string[]).includes(natGateways)) {
        problems.push(
            problem(
                "natGateways",
                natGateways,
                `expected one of: ${NAT_MODES.join(", ")}`,
                "set natGateways to one of them",
            ),
        );
    }
    const interfaceEndpoints = o.interfaceEndpoints ?? d.interfaceEndpoints;
    const seen = new Set<string>();
    for (const [i, e] of interfaceEndpoints.entries()) {
        if (!(INTERFACE_ENDPOINTS as readonly string[]).includes(e)) {
            problems.push(
                problem(
                    `interfaceEndpoints[${i}]`,
                    e,
                    `expected any of: ${INTERFACE_ENDPOINTS.join(", ")}`,
                    "remove or correct it",
                ),
            );
        } else if (seen.has(e)) {
            problems.push(
                problem(
                    `interfaceEndpoints[${i}]`,
                    e,
                    "is listed twice; each endpoint can be listed once",
                    "remove the duplicate",
                ),
            );
        }
        seen.add(e);
    }
    const interfaceEndpointAzCount = o.interfaceEndpointAzCount ?? azCount;
    if (
        !Number.isInteger(interfaceEndpointAzCount) ||
        interfaceEndpointAzCount < 1 ||
        (Number.isInteger(azCount) && interfaceEndpointAzCount > azCount)
    ) {
        problems.push(
            problem(
                "interfaceEndpointAzCount",
                interfaceEndpointAzCount,
                `expected a whole number from 1 to azCount (${azCount})`,
                "set it to the number of AZs that hold the endpoints, or remove it for every AZ",
            ),
        );
    }
    const flowLogRetentionDays = o.flowLogRetentionDays ?? d.flowLogRetentionDays;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(flowLogRetentionDays)) {
        problems.push(
            problem(
                "flowLogRetentionDays",
                flowLogRetentionDays,
                `expected one of: ${LOG_RETENTION_DAYS.join(", ")}`,
                "pick the nearest of them",
            ),
        );
    }
    const databasePort = o.databasePort ?? d.databasePort;
    if (
        !Number.isInteger(databasePort) ||
        databasePort < DATABASE_PORT_RANGE.min ||
        databasePort > DATABASE_PORT_RANGE.max
    ) {
        problems.push(
            problem(
                "databasePort",
                databasePort,
                `expected a whole number from ${DATABASE_PORT_RANGE.min} to ${DATABASE_PORT_RANGE.max} (the ports RDS accepts)`,
                `use the database's port, e.g. ${DB_PORT}`,
            ),
        );
    }
    if (problems.length > 0) return { problems };
    const azs = azCount as 2 | 3;
    return {
        problems,
        plan: {
            cidr,
            azCount: azs,
            natGateways,
            interfaceEndpoints,
            interfaceEndpointAzCount,
            flowLogs: o.flowLogs ?? d.flowLogs,
            flowLogRetentionDays,
            isolatedSubnetAcl: o.isolatedSubnetAcl ?? d.isolatedSubnetAcl,
            databasePort,
            subnets: planSubnets(cidr, azs),
        },
    };
}

/** Validates the ids of an existing VPC, per tier, in AZ order. */
export function planExistingVpc(ev: ExistingVpcOptions): { plan?: ExistingVpcPlan; problems: Problem[] } {
    const problems: Problem[] = [];
    if (typeof ev.vpcId !== "string" || !VPC_ID.test(ev.vpcId)) {
        problems.push(
            problem(
                "vpcId",
                ev.vpcId,
                "expected a VPC id such as vpc-0123456789abcdef0",
                "set it to the id of the VPC",
            ),
        );
    }
    if (ev.cidr !== undefined) {
        const p = cidrProblem("cidr", ev.cidr, 16, 28);
        if (p) problems.push(p);
    }
    const publicIds = ev.publicSubnetIds ?? [];
    const tiers: [string, unknown][] = [
        ["publicSubnetIds", publicIds],
        ["privateSubnetIds", ev.privateSubnetIds],
        ["isolatedSubnetIds", ev.isolatedSubnetIds],
    ];
    const tierOf = new Map<string, string>();
    for (const [tier, ids] of tiers) {
        if (!Array.isArray(ids)) {
            problems.push(problem(tier, ids, "expected a list of subnet ids", "list the subnet ids, one per AZ"));
            continue;
        }
        for (const [i, id] of ids.entries()) {
            const key = `${tier}[${i}]`;
            if (typeof id !== "string" || !SUBNET_ID.test(id)) {
                problems.push(
                    problem(key, id, "expected a subnet id such as subnet-0123456789abcdef0", "correct or remove it"),
                );
                continue;
            }
            const other = tierOf.get(id);
            if (other === tier)
                problems.push(
                    problem(key, id, "is listed twice; subnet ids must be distinct", "list each subnet once"),
                );
            else if (other !== undefined)
                problems.push(
                    problem(key, id, `is also in ${other}; each tier needs its own subnets`, "remove it from one tier"),
                );
            else tierOf.set(id, tier);
        }
    }
    const privateIds = Array.isArray(ev.privateSubnetIds) ? ev.privateSubnetIds : [];
    const isolatedIds = Array.isArray(ev.isolatedSubnetIds) ? ev.isolatedSubnetIds : [];
    if (Array.isArray(ev.privateSubnetIds) && (privateIds.length < 2 || privateIds.length > 3)) {
        problems.push(
            problem(
                "privateSubnetIds",
                privateIds,
                "expected 2 or 3 subnets, one per AZ",
                "list one private subnet per AZ",
            ),
        );
    }
    if (Array.isArray(ev.isolatedSubnetIds) && isolatedIds.length !== privateIds.length) {
        problems.push(
            problem(
                "isolatedSubnetIds",
                isolatedIds,
                `expected as many subnets as private subnets (${privateIds.length})`,
                "list one isolated subnet per AZ, in the same AZ order",
            ),
        );
    }
    if (Array.isArray(publicIds) && publicIds.length !== 0 && publicIds.length !== privateIds.length) {
        problems.push(
            problem(
                "publicSubnetIds",
                publicIds,
                `expected none or as many subnets as private subnets (${privateIds.length})`,
                "list one public subnet per AZ or none",
            ),
        );
    }
    if (ev.privateEgress !== undefined && typeof ev.privateEgress !== "boolean") {
        problems.push(
            problem(
                "privateEgress",
                ev.privateEgress,
                "expected true or false",
                "set it to true when the private subnets route through NAT",
            ),
        );
    }
    if (problems.length > 0) return { problems };
    return {
        problems,
        plan: {
            vpcId: ev.vpcId,
            ...(ev.cidr === undefined ? {} : { cidr: ev.cidr }),
            publicSubnetIds: [...publicIds],
            privateSubnetIds: [...privateIds],
            isolatedSubnetIds: [...isolatedIds],
            privateEgress: ev.privateEgress ?? true,
        },
    };
}
