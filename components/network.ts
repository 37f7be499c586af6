/**
 * The network of the stack (`private-app:network:Network`): a VPC with three subnet tiers per
 * AZ, or the ids of an existing VPC.
 *
 * - public: route to the internet gateway; holds the NAT gateways and load balancers.
 * - private: compute (functions, tasks, instances, proxies); a default route through NAT
 *   unless `natGateways` is `"none"`.
 * - isolated: the databases; never a route to the internet, only the VPC-local route and the
 *   S3 gateway endpoint, and (by default) a network ACL that admits only the database port
 *   from the private tier.
 *
 * Plain `@pulumi/aws` resources only, deliberately not `@pulumi/awsx`: awsx v2+ components are
 * remote, so their children are invisible to unit-test mocks and to CrossGuard policies.
 *
 * Every decision (how many subnets, NATs, endpoints, rules) is taken from plain arguments,
 * validated synchronously before anything is declared; nothing is declared inside `.apply()`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { planSubnets, SubnetPlan, SubnetTier } from "../lib/cidr";
import {
    DEFAULT_AZ_COUNT,
    DEFAULT_FLOW_LOG_RETENTION_DAYS,
    DEFAULT_NAT_GATEWAYS,
    DEFAULT_VPC_CIDR,
    INTERFACE_ENDPOINTS,
    InterfaceEndpoint,
    LOG_RETENTION_DAYS,
    NatGateways,
    parseIpv4Cidr,
} from "../lib/config";
import { NetworkOutputs } from "./contracts";
import { assumeRolePolicy } from "../lib/iam";

/** An existing VPC to use instead of creating one. Subnet ids are listed per tier, in AZ order. */
export interface ExistingVpcArgs {
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

/** Where a subnet sits, passed to the subnet transform. */
export interface SubnetPlacement {
    tier: SubnetTier;
    /** AZ index (0-based). */
    az: number;
}

/**
 * Escape hatches: each function receives the args the component built for a child and
 * returns the args to use. They run synchronously while the component declares its
 * children. They cannot change how many children there are or their names, and must keep
 * `vpcId`, `cidrBlock` and subnet ids (the route tables, ACL and outputs rely on them).
 */
export interface NetworkTransforms {
    /** @example (a) => ({ ...a, enableNetworkAddressUsageMetrics: true }) */
    vpc?: (args: aws.ec2.VpcArgs) => aws.ec2.VpcArgs;
    /** @example (a, { tier }) => tier === "private" ? { ...a, tags: { ...a.tags, "kubernetes.io/role/internal-elb": "1" } } : a */
    subnet?: (args: aws.ec2.SubnetArgs, placement: SubnetPlacement) => aws.ec2.SubnetArgs;
    natGateway?: (args: aws.ec2.NatGatewayArgs, index: number) => aws.ec2.NatGatewayArgs;
    interfaceEndpoint?: (args: aws.ec2.VpcEndpointArgs, service: InterfaceEndpoint) => aws.ec2.VpcEndpointArgs;
    /** @example (a) => ({ ...a, kmsKeyId: key.arn }) */
    flowLogGroup?: (args: aws.cloudwatch.LogGroupArgs) => aws.cloudwatch.LogGroupArgs;
}

/**
 * Arguments of {@link Network}. The validated `NetworkConfig` of `lib/config.ts` is
 * accepted as is (`new Network("net", settings.network)`). Arguments are plain values, not
 * `Input`s: they decide how many resources exist, which must be known before any is declared.
 */
export interface NetworkArgs {
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
    /**
     * Use an existing VPC instead: the component then declares nothing and only hands out the
     * ids. The other arguments describe a new VPC and must stay at their defaults.
     * @default - a new VPC is created
     */
    existingVpc?: ExistingVpcArgs;
    /**
     * Adjust the args of some children (see {@link NetworkTransforms}).
     * @default - none
     */
    transforms?: NetworkTransforms;
}

/** Pulumi type token of the component. */
export const NETWORK_TYPE = "private-app:network:Network";
export const DEFAULT_DATABASE_PORT = 5432;
/** Destination of a default route. */
export const ANY_IPV4 = "0.0.0.0/0";
/** Value of the `private-app:tier` tag on each subnet. */
export const TIER_TAG = "private-app:tier";
/** Ports of return traffic to clients (covers Linux, Lambda and NAT ephemeral ranges). */
export const EPHEMERAL_PORTS = { from: 1024, to: 65535 } as const;
/** Keeps Local Zones and Wavelength Zones out of `getAvailabilityZones` (regular AZs need no opt-in). */
export const AZ_ONLY_FILTER = { name: "opt-in-status", values: ["opt-in-not-required"] };
/** RDS accepts database ports from 1150 to 65535. */
export const DATABASE_PORT_RANGE = { min: 1150, max: 65535 } as const;

/** The documented defaults of {@link NetworkArgs} (a test checks the doc comments against it). */
export const NETWORK_DEFAULTS = {
    cidr: DEFAULT_VPC_CIDR,
    azCount: DEFAULT_AZ_COUNT,
    natGateways: DEFAULT_NAT_GATEWAYS,
    interfaceEndpoints: [] as readonly InterfaceEndpoint[],
    flowLogs: false,
    flowLogRetentionDays: DEFAULT_FLOW_LOG_RETENTION_DAYS,
    isolatedSubnetAcl: true,
    databasePort: DEFAULT_DATABASE_PORT,
} as const;

/** Invalid {@link NetworkArgs}; one line per problem. Printed by Pulumi without a stack trace. */
export class NetworkArgsError extends Error {
    readonly __pulumiRunError = true;
    readonly problems: readonly string[];
    constructor(name: string, problems: readonly string[]) {
        super(
            `Network "${name}" has invalid arguments (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );
        this.name = "NetworkArgsError";
        this.problems = problems;
    }
}

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
            return unreachable(mode);
    }
}

function unreachable(value: never): never {
    throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

/** Settings of a new VPC with every default filled in. */
interface NewVpcSettings {
    kind: "new";
    cidr: string;
    azCount: 2 | 3;
    natGateways: NatGateways;
    interfaceEndpoints: readonly InterfaceEndpoint[];
    flowLogs: boolean;
    flowLogRetentionDays: number;
    isolatedSubnetAcl: boolean;
    databasePort: number;
    plan: SubnetPlan;
}

interface ExistingVpcSettings {
    kind: "existing";
    vpc: Required<Omit<ExistingVpcArgs, "cidr">> & { cidr?: string };
}

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

function show(value: unknown): string {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s;
}

function cidrProblem(key: string, value: unknown, minPrefix: number, maxPrefix: number): string | undefined {
    const c = typeof value === "string" ? parseIpv4Cidr(value) : undefined;
    if (!c)
        return `${key}: got ${show(value)}; expected an IPv4 CIDR such as 10.0.0.0/16. Fix: set ${key} to a range such as 10.0.0.0/16`;
    if (c.prefix < minPrefix || c.prefix > maxPrefix) {
        return `${key}: got ${show(value)}; the prefix must be /${minPrefix} to /${maxPrefix}. Fix: use a range from /${minPrefix} to /${maxPrefix}`;
    }
    const size = 2 ** (32 - c.prefix);
    if (c.base % size !== 0) {
        const base = c.base - (c.base % size);
        const network = [24, 16, 8, 0].map((s) => (base >>> s) & 0xff).join(".");
        return `${key}: got ${show(value)}; host bits are set. Fix: use the network address ${network}/${c.prefix}`;
    }
    return undefined;
}

/**
 * Validates the arguments and fills in the defaults. Reports every problem at once as a
 * {@link NetworkArgsError}; called by the constructor before anything is declared.
 */
export function resolveNetworkArgs(name: string, args: NetworkArgs): NewVpcSettings | ExistingVpcSettings {
    const problems: string[] = [];
    if (args.existingVpc !== undefined) {
        const ev = args.existingVpc;
        // The validated config fills the new-VPC keys with their defaults, so only a value
        // that differs from the default shows that the caller expects something not done here.
        const unused: [keyof typeof NETWORK_DEFAULTS, unknown][] = [
            ["cidr", args.cidr],
            ["azCount", args.azCount],
            ["natGateways", args.natGateways],
            ["flowLogs", args.flowLogs],
            ["flowLogRetentionDays", args.flowLogRetentionDays],
            ["isolatedSubnetAcl", args.isolatedSubnetAcl],
            ["databasePort", args.databasePort],
        ];
        for (const [key, value] of unused) {
            if (value !== undefined && value !== NETWORK_DEFAULTS[key]) {
                const hint =
                    key === "natGateways"
                        ? " (say whether the private subnets have NAT with existingVpc.privateEgress)"
                        : "";
                problems.push(
                    `${key}: got ${show(value)}; only applies to a new VPC, not with existingVpc${hint}. Fix: remove ${key}`,
                );
            }
        }
        if (args.interfaceEndpoints !== undefined && args.interfaceEndpoints.length > 0) {
            problems.push(
                `interfaceEndpoints: got ${show(args.interfaceEndpoints)}; only applies to a new VPC, not with existingVpc. Fix: remove interfaceEndpoints`,
            );
        }
        if (typeof ev.vpcId !== "string" || !VPC_ID.test(ev.vpcId)) {
            problems.push(
                `existingVpc.vpcId: got ${show(ev.vpcId)}; expected a VPC id such as vpc-0123456789abcdef0. Fix: set it to the id of the VPC`,
            );
        }
        if (ev.cidr !== undefined) {
            const p = cidrProblem("existingVpc.cidr", ev.cidr, 16, 28);
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
            const key = `existingVpc.${tier}`;
            if (!Array.isArray(ids)) {
                problems.push(
                    `${key}: got ${show(ids)}; expected a list of subnet ids. Fix: list the subnet ids, one per AZ`,
                );
                continue;
            }
            for (const id of ids) {
                if (typeof id !== "string" || !SUBNET_ID.test(id)) {
                    problems.push(
                        `${key}: got ${show(id)} in the list; expected a subnet id such as subnet-0123456789abcdef0. Fix: correct or remove it`,
                    );
                    continue;
                }
                const other = tierOf.get(id);
                if (other === tier)
                    problems.push(`${key}: got ${id} twice; subnet ids must be distinct. Fix: list each subnet once`);
                else if (other !== undefined)
                    problems.push(
                        `${key}: got ${id}, which is also in existingVpc.${other}; each tier needs its own subnets. Fix: remove it from one tier`,
                    );
                else tierOf.set(id, tier);
            }
        }
        const privateIds = Array.isArray(ev.privateSubnetIds) ? ev.privateSubnetIds : [];
        const isolatedIds = Array.isArray(ev.isolatedSubnetIds) ? ev.isolatedSubnetIds : [];
        if (Array.isArray(ev.privateSubnetIds) && (privateIds.length < 2 || privateIds.length > 3)) {
            problems.push(
                `existingVpc.privateSubnetIds: got ${privateIds.length} subnets; expected 2 or 3, one per AZ. Fix: list one private subnet per AZ`,
            );
        }
        if (Array.isArray(ev.isolatedSubnetIds) && isolatedIds.length !== privateIds.length) {
            problems.push(
                `existingVpc.isolatedSubnetIds: got ${isolatedIds.length} subnets; expected as many as private subnets (${privateIds.length}). Fix: list one isolated subnet per AZ, in the same AZ order`,
            );
        }
        if (Array.isArray(publicIds) && publicIds.length !== 0 && publicIds.length !== privateIds.length) {
            problems.push(
                `existingVpc.publicSubnetIds: got ${publicIds.length} subnets; expected none or as many as private subnets (${privateIds.length}). Fix: list one public subnet per AZ or none`,
            );
        }
        if (ev.privateEgress !== undefined && typeof ev.privateEgress !== "boolean") {
            problems.push(
                `existingVpc.privateEgress: got ${show(ev.privateEgress)}; expected true or false. Fix: set it to true when the private subnets route through NAT`,
            );
        }
        if (problems.length > 0) throw new NetworkArgsError(name, problems);
        return {
            kind: "existing",
            vpc: {
                vpcId: ev.vpcId,
                ...(ev.cidr === undefined ? {} : { cidr: ev.cidr }),
                publicSubnetIds: [...publicIds],
                privateSubnetIds: [...privateIds],
                isolatedSubnetIds: [...isolatedIds],
                privateEgress: ev.privateEgress ?? true,
            },
        };
    }

    const cidr = args.cidr ?? NETWORK_DEFAULTS.cidr;
    const cidrIssue = cidrProblem("cidr", cidr, 16, 24);
    if (cidrIssue) problems.push(cidrIssue);
    const azCount = args.azCount ?? NETWORK_DEFAULTS.azCount;
    if (azCount !== 2 && azCount !== 3) {
        problems.push(`azCount: got ${show(azCount)}; expected 2 or 3. Fix: set azCount to 2 or 3`);
    }
    const natGateways = args.natGateways ?? NETWORK_DEFAULTS.natGateways;
    if (!["none", "single", "perAz"].includes(natGateways)) {
        problems.push(
            `natGateways: got ${show(natGateways)}; expected one of: none, single, perAz. Fix: set natGateways to one of them`,
        );
    }
    const interfaceEndpoints = args.interfaceEndpoints ?? NETWORK_DEFAULTS.interfaceEndpoints;
    const seen = new Set<string>();
    for (const e of interfaceEndpoints) {
        if (!(INTERFACE_ENDPOINTS as readonly string[]).includes(e)) {
            problems.push(
                `interfaceEndpoints: got ${show(e)} in the list; expected any of: ${INTERFACE_ENDPOINTS.join(", ")}. Fix: remove or correct it`,
            );
        } else if (seen.has(e)) {
            problems.push(
                `interfaceEndpoints: got ${show(e)} twice; each endpoint can be listed once. Fix: remove the duplicate`,
            );
        }
        seen.add(e);
    }
    const flowLogRetentionDays = args.flowLogRetentionDays ?? NETWORK_DEFAULTS.flowLogRetentionDays;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(flowLogRetentionDays)) {
        problems.push(
            `flowLogRetentionDays: got ${show(flowLogRetentionDays)}; expected one of: ${LOG_RETENTION_DAYS.join(", ")}. Fix: pick the nearest of them`,
        );
    }
    const databasePort = args.databasePort ?? NETWORK_DEFAULTS.databasePort;
    if (
        !Number.isInteger(databasePort) ||
        databasePort < DATABASE_PORT_RANGE.min ||
        databasePort > DATABASE_PORT_RANGE.max
    ) {
        problems.push(
            `databasePort: got ${show(databasePort)}; expected a whole number from ${DATABASE_PORT_RANGE.min} to ${DATABASE_PORT_RANGE.max} (the ports RDS accepts). Fix: use the database's port, e.g. 5432`,
        );
    }
    if (problems.length > 0) throw new NetworkArgsError(name, problems);
    const azs = azCount as 2 | 3;
    return {
        kind: "new",
        cidr,
        azCount: azs,
        natGateways,
        interfaceEndpoints,
        flowLogs: args.flowLogs ?? NETWORK_DEFAULTS.flowLogs,
        flowLogRetentionDays,
        isolatedSubnetAcl: args.isolatedSubnetAcl ?? NETWORK_DEFAULTS.isolatedSubnetAcl,
        databasePort,
        plan: planSubnets(cidr, azs),
    };
}

/**
 * The underlying resources, for what the outputs do not cover. Empty (or undefined) for an
 * existing VPC.
 */
export interface NetworkNodes {
    vpc?: aws.ec2.Vpc;
    /** Per tier, in AZ order. */
    subnets: Record<SubnetTier, aws.ec2.Subnet[]>;
    internetGateway?: aws.ec2.InternetGateway;
    natGateways: aws.ec2.NatGateway[];
    natIps: aws.ec2.Eip[];
    publicRouteTable?: aws.ec2.RouteTable;
    privateRouteTables: aws.ec2.RouteTable[];
    isolatedRouteTables: aws.ec2.RouteTable[];
    s3Endpoint?: aws.ec2.VpcEndpoint;
    interfaceEndpoints: Partial<Record<InterfaceEndpoint, aws.ec2.VpcEndpoint>>;
    endpointSecurityGroup?: aws.ec2.SecurityGroup;
    defaultSecurityGroup?: aws.ec2.DefaultSecurityGroup;
    flowLog?: aws.ec2.FlowLog;
    flowLogGroup?: aws.cloudwatch.LogGroup;
    flowLogRole?: aws.iam.Role;
    isolatedAcl?: aws.ec2.NetworkAcl;
    /**
     * What the private subnets need before anything in them can reach AWS APIs: their route
     * table associations, NAT routes and VPC endpoints. `privateSubnetIds` carries these as
     * dependencies, so a function placed in those subnets (and the migration it runs on the
     * first deploy) is created only once its egress exists.
     */
    privateEgress: pulumi.Resource[];
}

/**
 * A VPC with public, private and isolated subnets in 2 or 3 AZs, NAT per `natGateways`, an S3
 * gateway endpoint, optional interface endpoints, flow logs and an isolated-tier ACL; or the
 * ids of an existing VPC. Implements {@link NetworkOutputs}.
 *
 * Invokes: `aws:index/getAvailabilityZones:getAvailabilityZones` and
 * `aws:index/getRegion:getRegion` for a new VPC; `aws:ec2/getVpc:getVpc` for an existing VPC
 * given without `cidr`.
 */
export class Network extends pulumi.ComponentResource implements NetworkOutputs {
    readonly vpcId: pulumi.Output<string>;
    readonly vpcCidr: pulumi.Output<string>;
    /** In AZ order; empty for an existing VPC without public subnets. */
    readonly publicSubnetIds: pulumi.Output<string[]>;
    readonly privateSubnetIds: pulumi.Output<string[]>;
    readonly isolatedSubnetIds: pulumi.Output<string[]>;
    /** From the plan, in AZ order; empty for an existing VPC. */
    readonly privateSubnetCidrs: string[];
    readonly isolatedSubnetCidrs: string[];
    /** Undefined for an existing VPC. */
    readonly publicRouteTableId?: pulumi.Output<string>;
    /** One per AZ; empty for an existing VPC. */
    readonly privateRouteTableIds: pulumi.Output<string[]>;
    readonly isolatedRouteTableIds: pulumi.Output<string[]>;
    /** 0, 1 or one per AZ; empty for an existing VPC. */
    readonly natGatewayIds: pulumi.Output<string[]>;
    /** AZ names in use, in AZ order; empty for an existing VPC (not looked up). */
    readonly availabilityZones: pulumi.Output<string[]>;
    /** True when the private subnets route to the internet through NAT (existing VPC: `existingVpc.privateEgress`, default true). */
    readonly privateEgress: boolean;
    /** The security group of the interface endpoints; undefined when there are none. */
    readonly endpointSecurityGroupId?: pulumi.Output<string>;
    /** The subnet plan; undefined for an existing VPC. */
    readonly plan?: SubnetPlan;
    readonly nodes: NetworkNodes;

    constructor(name: string, args: NetworkArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        // Validate before declaring anything, the component itself included.
        const settings = resolveNetworkArgs(name, args);
        const { transforms: _transforms, ...inputs } = args;
        super(NETWORK_TYPE, name, inputs, opts);

        if (settings.kind === "existing") {
            const ev = settings.vpc;
            this.vpcId = pulumi.output(ev.vpcId);
            this.vpcCidr =
                ev.cidr !== undefined
                    ? pulumi.output(ev.cidr)
                    : aws.ec2.getVpcOutput({ id: ev.vpcId }, { parent: this }).cidrBlock;
            this.publicSubnetIds = pulumi.output(ev.publicSubnetIds);
            this.privateSubnetIds = pulumi.output(ev.privateSubnetIds);
            this.isolatedSubnetIds = pulumi.output(ev.isolatedSubnetIds);
            this.privateSubnetCidrs = [];
            this.isolatedSubnetCidrs = [];
            this.privateRouteTableIds = pulumi.output([]);
            this.isolatedRouteTableIds = pulumi.output([]);
            this.natGatewayIds = pulumi.output([]);
            this.availabilityZones = pulumi.output([]);
            this.privateEgress = ev.privateEgress;
            this.nodes = {
                subnets: { public: [], private: [], isolated: [] },
                natGateways: [],
                natIps: [],
                privateRouteTables: [],
                isolatedRouteTables: [],
                interfaceEndpoints: {},
                privateEgress: [],
            };
        } else {
            const nodes = this.declareVpc(name, settings, args.transforms ?? {});
            const ids = (rs: { id: pulumi.Output<string> }[]) => pulumi.all(rs.map((r) => r.id));
            this.plan = settings.plan;
            this.vpcId = nodes.vpc!.id;
            this.vpcCidr = pulumi.output(settings.plan.vpcCidr);
            this.publicSubnetIds = ids(nodes.subnets.public);
            // Resolves only once the private subnets' egress exists (see NetworkNodes.privateEgress).
            this.privateSubnetIds = pulumi
                .all([ids(nodes.subnets.private), pulumi.all(nodes.privateEgress.map((r) => r.urn))])
                .apply(([subnetIds]) => subnetIds);
            this.isolatedSubnetIds = ids(nodes.subnets.isolated);
            this.privateSubnetCidrs = settings.plan.azs.map((a) => a.private);
            this.isolatedSubnetCidrs = settings.plan.azs.map((a) => a.isolated);
            this.publicRouteTableId = nodes.publicRouteTable!.id;
            this.privateRouteTableIds = ids(nodes.privateRouteTables);
            this.isolatedRouteTableIds = ids(nodes.isolatedRouteTables);
            this.natGatewayIds = ids(nodes.natGateways);
            this.availabilityZones = nodes.availabilityZones;
            this.privateEgress = settings.natGateways !== "none";
            this.endpointSecurityGroupId = nodes.endpointSecurityGroup?.id;
            const { availabilityZones: _azs, ...rest } = nodes;
            this.nodes = rest;
        }

        this.registerOutputs({
            vpcId: this.vpcId,
            vpcCidr: this.vpcCidr,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
            privateSubnetCidrs: this.privateSubnetCidrs,
            isolatedSubnetCidrs: this.isolatedSubnetCidrs,
            publicRouteTableId: this.publicRouteTableId,
            privateRouteTableIds: this.privateRouteTableIds,
            isolatedRouteTableIds: this.isolatedRouteTableIds,
            natGatewayIds: this.natGatewayIds,
            availabilityZones: this.availabilityZones,
            privateEgress: this.privateEgress,
            endpointSecurityGroupId: this.endpointSecurityGroupId,
        });
    }

    /** Declares the new VPC and everything in it, in dependency order. */
    private declareVpc(
        name: string,
        s: NewVpcSettings,
        t: NetworkTransforms,
    ): NetworkNodes & { availabilityZones: pulumi.Output<string[]> } {
        const parent = { parent: this };
        const tags = (n: string, extra: Record<string, string> = {}) => ({ Name: n, ...extra });

        // AZ names are only known at deployment; the number of subnets comes from azCount. A
        // region with fewer available AZs than azCount cannot be detected earlier, so this is
        // the one check made inside an apply (it fails the deployment with a clear message).
        // Only real AZs: once an account opts in to a Local Zone or Wavelength Zone, AWS lists it
        // too (and "us-west-2-lax-1a" sorts before "us-west-2a"), but those zones lack NAT
        // gateways, most endpoints and RDS Multi-AZ. Regular AZs are "opt-in-not-required".
        const zones = aws.getAvailabilityZonesOutput({ state: "available", filters: [AZ_ONLY_FILTER] }, parent);
        const availabilityZones = zones.names.apply((names) => {
            if (names.length < s.azCount) {
                throw new Error(
                    `Network "${name}": azCount is ${s.azCount} but the region has ${names.length} available AZs (${names.join(", ")}); lower azCount or use another region`,
                );
            }
            return names.slice(0, s.azCount);
        });
        const region = aws.getRegionOutput({}, parent).region;

        const vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            applyTransform(t.vpc, {
                cidrBlock: s.plan.vpcCidr,
                enableDnsSupport: true,
                enableDnsHostnames: true,
                tags: tags(`${name}-vpc`),
            }),
            parent,
        );

        // The default security group is left without any rule, so nothing can use it by accident.
        const defaultSecurityGroup = new aws.ec2.DefaultSecurityGroup(
            `${name}-default`,
            {
                vpcId: vpc.id,
                ingress: [],
                egress: [],
                tags: tags(`${name}-default`),
            },
            parent,
        );

        const subnets: Record<SubnetTier, aws.ec2.Subnet[]> = { public: [], private: [], isolated: [] };
        for (const a of s.plan.azs) {
            for (const tier of ["public", "private", "isolated"] as const) {
                const n = `${name}-${tier}-${a.az}`;
                subnets[tier].push(
                    new aws.ec2.Subnet(
                        n,
                        applyTransform(
                            t.subnet,
                            {
                                vpcId: vpc.id,
                                cidrBlock: a[tier],
                                availabilityZone: availabilityZones.apply((z) => z[a.az]),
                                mapPublicIpOnLaunch: tier === "public",
                                tags: tags(n, { [TIER_TAG]: tier }),
                            },
                            { tier, az: a.az },
                        ),
                        parent,
                    ),
                );
            }
        }

        // Public tier: one route table with the default route to the internet gateway.
        const internetGateway = new aws.ec2.InternetGateway(
            `${name}-igw`,
            { vpcId: vpc.id, tags: tags(`${name}-igw`) },
            parent,
        );
        const publicRouteTable = new aws.ec2.RouteTable(
            `${name}-public`,
            { vpcId: vpc.id, tags: tags(`${name}-public`, { [TIER_TAG]: "public" }) },
            parent,
        );
        new aws.ec2.Route(
            `${name}-public-internet`,
            {
                routeTableId: publicRouteTable.id,
                destinationCidrBlock: ANY_IPV4,
                gatewayId: internetGateway.id,
            },
            parent,
        );
        subnets.public.forEach((subnet, i) => {
            new aws.ec2.RouteTableAssociation(
                `${name}-public-${i}`,
                { subnetId: subnet.id, routeTableId: publicRouteTable.id },
                parent,
            );
        });

        // NAT gateways, each in the public subnet of its AZ (single: the first).
        const nat = natLayout(s.natGateways, s.azCount);
        const natIps: aws.ec2.Eip[] = [];
        const natGateways: aws.ec2.NatGateway[] = [];
        for (let i = 0; i < nat.gateways; i++) {
            const ip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: tags(`${name}-nat-${i}`) }, parent);
            natIps.push(ip);
            natGateways.push(
                new aws.ec2.NatGateway(
                    `${name}-nat-${i}`,
                    applyTransform(
                        t.natGateway,
                        {
                            allocationId: ip.allocationId,
                            subnetId: subnets.public[i].id,
                            connectivityType: "public",
                            tags: tags(`${name}-nat-${i}`),
                        },
                        i,
                    ),
                    { parent: this, dependsOn: [internetGateway] },
                ),
            );
        }

        // Private tier: one route table per AZ, with a default route to its NAT (if any).
        const privateEgress: pulumi.Resource[] = [];
        const privateRouteTables = subnets.private.map((subnet, i) => {
            const table = new aws.ec2.RouteTable(
                `${name}-private-${i}`,
                { vpcId: vpc.id, tags: tags(`${name}-private-${i}`, { [TIER_TAG]: "private" }) },
                parent,
            );
            privateEgress.push(
                new aws.ec2.RouteTableAssociation(
                    `${name}-private-${i}`,
                    { subnetId: subnet.id, routeTableId: table.id },
                    parent,
                ),
            );
            const natIndex = nat.natOfAz[i];
            if (natIndex !== undefined) {
                privateEgress.push(
                    new aws.ec2.Route(
                        `${name}-private-${i}-nat`,
                        {
                            routeTableId: table.id,
                            destinationCidrBlock: ANY_IPV4,
                            natGatewayId: natGateways[natIndex].id,
                        },
                        parent,
                    ),
                );
            }
            return table;
        });

        // Isolated tier: one route table per AZ with no route besides local and the S3 endpoint.
        const isolatedRouteTables = subnets.isolated.map((subnet, i) => {
            const table = new aws.ec2.RouteTable(
                `${name}-isolated-${i}`,
                { vpcId: vpc.id, tags: tags(`${name}-isolated-${i}`, { [TIER_TAG]: "isolated" }) },
                parent,
            );
            new aws.ec2.RouteTableAssociation(
                `${name}-isolated-${i}`,
                { subnetId: subnet.id, routeTableId: table.id },
                parent,
            );
            return table;
        });

        // S3 gateway endpoint (free): also what ECR image layers are pulled through.
        const s3Endpoint = new aws.ec2.VpcEndpoint(
            `${name}-s3`,
            {
                vpcId: vpc.id,
                vpcEndpointType: "Gateway",
                serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
                routeTableIds: [...privateRouteTables, ...isolatedRouteTables].map((r) => r.id),
                tags: tags(`${name}-s3`),
            },
            parent,
        );

        // Interface endpoints in the private subnets, reachable on 443 from the VPC only. No
        // egress rule: security groups are stateful and endpoints never open connections.
        let endpointSecurityGroup: aws.ec2.SecurityGroup | undefined;
        const interfaceEndpoints: Partial<Record<InterfaceEndpoint, aws.ec2.VpcEndpoint>> = {};
        if (s.interfaceEndpoints.length > 0) {
            endpointSecurityGroup = new aws.ec2.SecurityGroup(
                `${name}-endpoints`,
                {
                    vpcId: vpc.id,
                    description: "Interface VPC endpoints: HTTPS from the VPC only",
                    ingress: [
                        {
                            protocol: "tcp",
                            fromPort: 443,
                            toPort: 443,
                            cidrBlocks: [s.plan.vpcCidr],
                            description: "HTTPS from the VPC",
                        },
                    ],
                    egress: [],
                    tags: tags(`${name}-endpoints`),
                },
                parent,
            );
            for (const service of s.interfaceEndpoints) {
                interfaceEndpoints[service] = new aws.ec2.VpcEndpoint(
                    `${name}-endpoint-${service.replace(/\./g, "-")}`,
                    applyTransform(
                        t.interfaceEndpoint,
                        {
                            vpcId: vpc.id,
                            vpcEndpointType: "Interface",
                            serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
                            subnetIds: subnets.private.map((x) => x.id),
                            securityGroupIds: [endpointSecurityGroup.id],
                            privateDnsEnabled: true,
                            tags: tags(`${name}-endpoint-${service}`),
                        },
                        service,
                    ),
                    parent,
                );
            }
        }

        privateEgress.push(
            s3Endpoint,
            ...Object.values(interfaceEndpoints).filter((e): e is aws.ec2.VpcEndpoint => e !== undefined),
        );

        const flow = s.flowLogs ? this.declareFlowLogs(name, s, vpc, t) : undefined;
        const isolatedAcl = s.isolatedSubnetAcl ? this.declareIsolatedAcl(name, s, vpc, subnets.isolated) : undefined;

        return {
            vpc,
            subnets,
            internetGateway,
            natGateways,
            natIps,
            publicRouteTable,
            privateRouteTables,
            isolatedRouteTables,
            s3Endpoint,
            interfaceEndpoints,
            endpointSecurityGroup,
            defaultSecurityGroup,
            flowLog: flow?.flowLog,
            flowLogGroup: flow?.logGroup,
            flowLogRole: flow?.role,
            isolatedAcl,
            privateEgress,
            availabilityZones,
        };
    }

    /** Flow logs of all traffic to a log group, written by a role only the VPC Flow Logs service of this account can assume. */
    private declareFlowLogs(name: string, s: NewVpcSettings, vpc: aws.ec2.Vpc, t: NetworkTransforms) {
        const parent = { parent: this };
        // arn:<partition>:ec2:<region>:<account>:vpc/<id>: no extra lookup needed.
        const arnPart = (index: number) => vpc.arn.apply((arn) => arn.split(":")[index]);
        const [partition, region, account] = [arnPart(1), arnPart(3), arnPart(4)];
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            applyTransform(t.flowLogGroup, {
                retentionInDays: s.flowLogRetentionDays,
                tags: { Name: `${name}-flow-logs` },
            }),
            parent,
        );
        const role = new aws.iam.Role(
            `${name}-flow-logs`,
            {
                description: `VPC flow logs of ${name} to CloudWatch Logs`,
                assumeRolePolicy: pulumi.jsonStringify(
                    assumeRolePolicy("vpc-flow-logs.amazonaws.com", {
                        StringEquals: { "aws:SourceAccount": account },
                        ArnLike: {
                            "aws:SourceArn": pulumi.interpolate`arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*`,
                        },
                    }),
                ),
            },
            parent,
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-flow-logs`,
            {
                role: role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
                        },
                    ],
                }),
            },
            parent,
        );
        const flowLog = new aws.ec2.FlowLog(
            `${name}-flow-logs`,
            {
                vpcId: vpc.id,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: logGroup.arn,
                iamRoleArn: role.arn,
                tags: { Name: `${name}-flow-logs` },
                // The role is only usable once its policy exists: without this the flow log can be
                // created first and start with an "Access error" delivery status.
            },
            { parent: this, dependsOn: [rolePolicy] },
        );
        return { logGroup, role, flowLog };
    }

    /**
     * The isolated tier's ACL. Rule numbers are per AZ (100 + i, 200 + i), so a third AZ only
     * adds rules. Anything not allowed falls to the ACL's implicit deny.
     */
    private declareIsolatedAcl(
        name: string,
        s: NewVpcSettings,
        vpc: aws.ec2.Vpc,
        isolatedSubnets: aws.ec2.Subnet[],
    ): aws.ec2.NetworkAcl {
        const parent = { parent: this };
        const acl = new aws.ec2.NetworkAcl(
            `${name}-isolated`,
            { vpcId: vpc.id, tags: { Name: `${name}-isolated`, [TIER_TAG]: "isolated" } },
            parent,
        );
        // Every argument of a rule forces a replacement, and a new rule cannot take the number of
        // one still in place (NetworkAclEntryAlreadyExists, pulumi/pulumi-aws#3244): delete first.
        const rule = (n: string, args: Omit<aws.ec2.NetworkAclRuleArgs, "networkAclId" | "ruleAction">) =>
            new aws.ec2.NetworkAclRule(
                `${name}-isolated-${n}`,
                { networkAclId: acl.id, ruleAction: "allow", ...args },
                { parent: this, deleteBeforeReplace: true },
            );
        s.plan.azs.forEach((a, i) => {
            rule(`in-db-from-private-${i}`, {
                ruleNumber: 100 + i,
                egress: false,
                protocol: "tcp",
                fromPort: s.databasePort,
                toPort: s.databasePort,
                cidrBlock: a.private,
            });
            rule(`in-all-from-isolated-${i}`, {
                ruleNumber: 200 + i,
                egress: false,
                protocol: "-1",
                fromPort: 0,
                toPort: 0,
                cidrBlock: a.isolated,
            });
            rule(`out-return-to-private-${i}`, {
                ruleNumber: 100 + i,
                egress: true,
                protocol: "tcp",
                fromPort: EPHEMERAL_PORTS.from,
                toPort: EPHEMERAL_PORTS.to,
                cidrBlock: a.private,
            });
            rule(`out-all-to-isolated-${i}`, {
                ruleNumber: 200 + i,
                egress: true,
                protocol: "-1",
                fromPort: 0,
                toPort: 0,
                cidrBlock: a.isolated,
            });
        });
        isolatedSubnets.forEach((subnet, i) => {
            new aws.ec2.NetworkAclAssociation(
                `${name}-isolated-${i}`,
                { networkAclId: acl.id, subnetId: subnet.id },
                parent,
            );
        });
        return acl;
    }
}

function applyTransform<A, W extends unknown[]>(
    transform: ((args: A, ...where: W) => A) | undefined,
    args: A,
    ...where: W
): A {
    return transform ? transform(args, ...where) : args;
}
