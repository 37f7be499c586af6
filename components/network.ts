/**
 * The network of the stack (`private-app:network:Network`): a new VPC with three subnet tiers
 * per AZ. (An existing VPC gives the same outputs through `existingNetwork`, existing-vpc.ts.)
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
import { SubnetPlan, SubnetTier } from "../lib/cidr";
import { InterfaceEndpoint } from "../lib/aws-facts";
import { NetworkOptions, NetworkPlan, natLayout, planNetwork } from "../lib/network-plan";
import { orThrow } from "../lib/problems";
import { NetworkOutputs } from "./contracts";
import { assumeRolePolicy } from "../lib/iam";

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
 * Arguments of {@link Network}: the options of a new VPC (documented with their defaults in
 * `lib/network-plan.ts`, where they are checked) and escape hatches for its children. An
 * existing VPC is not a mode of this component: see `existingNetwork` (existing-vpc.ts).
 */
export interface NetworkArgs extends NetworkOptions {
    /**
     * Adjust the args of some children (see {@link NetworkTransforms}).
     * @default - none
     */
    transforms?: NetworkTransforms;
}

/** Pulumi type token of the component. */
export const NETWORK_TYPE = "private-app:network:Network";
/** Destination of a default route. */
export const ANY_IPV4 = "0.0.0.0/0";
/** Value of the `private-app:tier` tag on each subnet. */
export const TIER_TAG = "private-app:tier";
/** Ports of return traffic to clients (covers Linux, Lambda and NAT ephemeral ranges). */
export const EPHEMERAL_PORTS = { from: 1024, to: 65535 } as const;
/** Keeps Local Zones and Wavelength Zones out of `getAvailabilityZones` (regular AZs need no opt-in). */
export const AZ_ONLY_FILTER = { name: "opt-in-status", values: ["opt-in-not-required"] };
/** The underlying resources, for what the outputs do not cover. */
export interface NetworkNodes {
    vpc: aws.ec2.Vpc;
    /** Per tier, in AZ order. */
    subnets: Record<SubnetTier, aws.ec2.Subnet[]>;
    internetGateway: aws.ec2.InternetGateway;
    natGateways: aws.ec2.NatGateway[];
    natIps: aws.ec2.Eip[];
    publicRouteTable: aws.ec2.RouteTable;
    privateRouteTables: aws.ec2.RouteTable[];
    isolatedRouteTables: aws.ec2.RouteTable[];
    s3Endpoint: aws.ec2.VpcEndpoint;
    interfaceEndpoints: Partial<Record<InterfaceEndpoint, aws.ec2.VpcEndpoint>>;
    endpointSecurityGroup?: aws.ec2.SecurityGroup;
    defaultSecurityGroup: aws.ec2.DefaultSecurityGroup;
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
 * A new VPC with public, private and isolated subnets in 2 or 3 AZs, NAT per `natGateways`, an
 * S3 gateway endpoint, optional interface endpoints, flow logs and an isolated-tier ACL.
 * Implements {@link NetworkOutputs}; an existing VPC gives the same outputs through
 * `existingNetwork`.
 *
 * Invokes: `aws:index/getAvailabilityZones:getAvailabilityZones` and
 * `aws:index/getRegion:getRegion`.
 */
export class Network extends pulumi.ComponentResource implements NetworkOutputs {
    readonly vpcId: pulumi.Output<string>;
    readonly vpcCidr: pulumi.Output<string>;
    /** In AZ order. */
    readonly publicSubnetIds: pulumi.Output<string[]>;
    readonly privateSubnetIds: pulumi.Output<string[]>;
    readonly isolatedSubnetIds: pulumi.Output<string[]>;
    /** From the plan, in AZ order. */
    readonly privateSubnetCidrs: string[];
    readonly isolatedSubnetCidrs: string[];
    readonly publicRouteTableId: pulumi.Output<string>;
    /** One per AZ. */
    readonly privateRouteTableIds: pulumi.Output<string[]>;
    readonly isolatedRouteTableIds: pulumi.Output<string[]>;
    /** 0, 1 or one per AZ. */
    readonly natGatewayIds: pulumi.Output<string[]>;
    /** AZ names in use, in AZ order. */
    readonly availabilityZones: pulumi.Output<string[]>;
    /** True when the private subnets route to the internet through NAT. */
    readonly privateEgress: boolean;
    /** The security group of the interface endpoints; undefined when there are none. */
    readonly endpointSecurityGroupId?: pulumi.Output<string>;
    /** The subnet plan. */
    readonly plan: SubnetPlan;
    readonly nodes: NetworkNodes;

    constructor(name: string, args: NetworkArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        // Validate before declaring anything, the component itself included.
        const settings = orThrow("Network", name, planNetwork(args));
        const { transforms: _transforms, ...inputs } = args;
        super(NETWORK_TYPE, name, inputs, opts);

        const nodes = this.declareVpc(name, settings, args.transforms ?? {});
        const ids = (rs: { id: pulumi.Output<string> }[]) => pulumi.all(rs.map((r) => r.id));
        this.plan = settings.subnets;
        this.vpcId = nodes.vpc.id;
        this.vpcCidr = pulumi.output(settings.subnets.vpcCidr);
        this.publicSubnetIds = ids(nodes.subnets.public);
        // Resolves only once the private subnets' egress exists (see NetworkNodes.privateEgress).
        this.privateSubnetIds = pulumi
            .all([ids(nodes.subnets.private), pulumi.all(nodes.privateEgress.map((r) => r.urn))])
            .apply(([subnetIds]) => subnetIds);
        this.isolatedSubnetIds = ids(nodes.subnets.isolated);
        this.privateSubnetCidrs = settings.subnets.azs.map((a) => a.private);
        this.isolatedSubnetCidrs = settings.subnets.azs.map((a) => a.isolated);
        this.publicRouteTableId = nodes.publicRouteTable.id;
        this.privateRouteTableIds = ids(nodes.privateRouteTables);
        this.isolatedRouteTableIds = ids(nodes.isolatedRouteTables);
        this.natGatewayIds = ids(nodes.natGateways);
        this.availabilityZones = nodes.availabilityZones;
        this.privateEgress = settings.natGateways !== "none";
        this.endpointSecurityGroupId = nodes.endpointSecurityGroup?.id;
        const { availabilityZones: _azs, ...rest } = nodes;
        this.nodes = rest;

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
        s: NetworkPlan,
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
                cidrBlock: s.subnets.vpcCidr,
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
        for (const a of s.subnets.azs) {
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
                            cidrBlocks: [s.subnets.vpcCidr],
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
                            subnetIds: subnets.private.slice(0, s.interfaceEndpointAzCount).map((x) => x.id),
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
    private declareFlowLogs(name: string, s: NetworkPlan, vpc: aws.ec2.Vpc, t: NetworkTransforms) {
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
                        // AWS's documented policy for the flow-log role also lists
                        // logs:DescribeLogGroups (VPC User Guide, "IAM role for publishing flow logs
                        // to CloudWatch Logs",
                        // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
                        // It is a list action: it cannot name one group, only the account's groups
                        // in this region. It reads names and settings, never log data.
                        {
                            Effect: "Allow",
                            Action: "logs:DescribeLogGroups",
                            Resource: pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:*`,
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
        s: NetworkPlan,
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
        s.subnets.azs.forEach((a, i) => {
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
