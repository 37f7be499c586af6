import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AZ_ONLY_FILTER, Network, NETWORK_TYPE, NetworkArgs, TIER_TAG } from "../../components/network";
import { existingNetwork } from "../../components/existing-vpc";
import { NetworkOutputs } from "../../components/contracts";
import { DB_PORT as DEFAULT_DATABASE_PORT, INTERFACE_ENDPOINTS } from "../../lib/aws-facts";
import { natLayout, NETWORK_DEFAULTS, NetworkOptions, planExistingVpc } from "../../lib/network-plan";
import { ConfigError, renderProblem } from "../../lib/problems";
import { RecordedResource, RecordingMocks } from "../../tools/mocks";
import { byId, ofType, one, settle, useMocks, valueOf } from "../support/harness";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    igw: "aws:ec2/internetGateway:InternetGateway",
    eip: "aws:ec2/eip:Eip",
    nat: "aws:ec2/natGateway:NatGateway",
    routeTable: "aws:ec2/routeTable:RouteTable",
    route: "aws:ec2/route:Route",
    association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    acl: "aws:ec2/networkAcl:NetworkAcl",
    aclRule: "aws:ec2/networkAclRule:NetworkAclRule",
    aclAssociation: "aws:ec2/networkAclAssociation:NetworkAclAssociation",
    flowLog: "aws:ec2/flowLog:FlowLog",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
} as const;

interface Built {
    mocks: RecordingMocks;
    network: Network;
    rs: RecordedResource[];
    /** Every invoke, with its arguments, in call order. */
    invokes: { token: string; inputs: Record<string, unknown> }[];
    /** Resource options as sent to the engine, by `type::name` (dependencies are URNs). */
    options: Map<string, { dependencies: string[]; deleteBeforeReplace: boolean }>;
}

/** Extra invoke answers for a build, by token (for invokes the shared mocks do not answer). */
type Answers = Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;

/** Mocks are process-wide, so builds run one after another, never interleaved. */
let lastBuild: Promise<unknown> = Promise.resolve();
function build(args: NetworkArgs, name = "net", answers: Answers = {}): Promise<Built> {
    const next = lastBuild
        .catch(() => undefined)
        .then(async () => {
            const mocks = await useMocks();
            // Record what the recording mocks do not: invoke arguments and resource options.
            const invokes: Built["invokes"] = [];
            const call = mocks.call.bind(mocks);
            mocks.call = (a) => {
                invokes.push({ token: a.token, inputs: a.inputs });
                const answer = answers[a.token];
                return answer ? answer(a.inputs) : call(a);
            };
            const options: Built["options"] = new Map();
            const monitor = pulumi.runtime.getMonitor() as any;
            const register = monitor.registerResource.bind(monitor);
            monitor.registerResource = (req: any, callback: unknown) => {
                options.set(`${req.getType()}::${req.getName()}`, {
                    dependencies: req.getDependenciesList(),
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                });
                return register(req, callback);
            };
            const network = new Network(name, args);
            const rs = await settle(mocks);
            return { mocks, network, rs, invokes, options };
        });
    lastBuild = next;
    return next;
}

/**
 * Builds are the slow part (each resource costs Pulumi a mapped stack trace), so tests that
 * only read the record share one build per distinct set of arguments (functions excluded).
 */
const builds = new Map<string, Promise<Built>>();
function shared(args: Omit<NetworkArgs, "transforms">): Promise<Built> {
    const key = JSON.stringify({ ...NETWORK_DEFAULTS, ...args });
    if (!builds.has(key)) builds.set(key, build(args));
    return builds.get(key)!;
}

const input = <T = unknown>(r: RecordedResource, key: string) => r.inputs[key] as T;
const tagsOf = (r: RecordedResource) => input<Record<string, string>>(r, "tags");
const subnetsOf = (rs: RecordedResource[], tier: string) =>
    ofType(rs, T.subnet)
        .filter((s) => tagsOf(s)[TIER_TAG] === tier)
        .sort((a, b) => a.name.localeCompare(b.name));
const routesOf = (rs: RecordedResource[], table: RecordedResource) =>
    ofType(rs, T.route).filter((r) => input(r, "routeTableId") === table.id);
/** Routes a table declares inline (`routes`), which `routesOf` does not see. */
const inlineRoutesOf = (table: RecordedResource) => input<unknown[] | undefined>(table, "routes") ?? [];
/** The engine-side options of a recorded resource, and its dependencies by name. */
function optionsOf(b: Built, r: RecordedResource): { dependsOn: string[]; deleteBeforeReplace: boolean } {
    const o = b.options.get(`${r.type}::${r.name}`);
    assert.ok(o, `no registration recorded for ${r.name}`);
    const nameOf = (urn: string) => b.rs.find((x) => x.urn === urn)?.name ?? urn;
    return { dependsOn: o.dependencies.map(nameOf), deleteBeforeReplace: o.deleteBeforeReplace };
}
const tablesOf = (rs: RecordedResource[], tier: string) =>
    ofType(rs, T.routeTable)
        .filter((t) => tagsOf(t)[TIER_TAG] === tier)
        .sort((a, b) => a.name.localeCompare(b.name));
/** The route table a subnet is associated with (exactly one association per subnet). */
function tableOfSubnet(rs: RecordedResource[], subnet: RecordedResource): RecordedResource {
    const assocs = ofType(rs, T.association).filter((a) => input(a, "subnetId") === subnet.id);
    assert.equal(assocs.length, 1, `${subnet.name} has ${assocs.length} route table associations`);
    const table = byId(rs, input(assocs[0], "routeTableId"));
    assert.ok(table, `association of ${subnet.name} points to an unknown route table`);
    return table;
}

describe("components/network", function () {
    describe("defaults: 10.0.0.0/16, 2 AZs, single NAT, isolated ACL", () => {
        let b: Built;
        before(async () => {
            b = await shared({});
        });

        it("declares every child under the component, with names derived from its name", () => {
            const component = one(b.rs, NETWORK_TYPE, "net");
            for (const r of b.rs.filter((x) => x !== component)) {
                assert.equal(r.parent, component.urn, `${r.type} ${r.name} is not a child of the Network`);
                assert.ok(r.name.startsWith("net-"), `${r.name} is not derived from the component name`);
            }
        });

        it("creates a VPC with DNS support and hostnames", () => {
            const vpc = one(b.rs, T.vpc);
            assert.equal(input(vpc, "cidrBlock"), "10.0.0.0/16");
            assert.equal(input(vpc, "enableDnsSupport"), true);
            assert.equal(input(vpc, "enableDnsHostnames"), true);
        });

        it("creates 2 AZs × 3 tiers = 6 subnets with the planned CIDRs, tier tags and AZs", () => {
            assert.equal(ofType(b.rs, T.subnet).length, 6);
            const expected: Record<string, [string, string]> = {
                "net-public-0": ["10.0.128.0/21", "eu-west-1a"],
                "net-public-1": ["10.0.136.0/21", "eu-west-1b"],
                "net-private-0": ["10.0.0.0/19", "eu-west-1a"],
                "net-private-1": ["10.0.32.0/19", "eu-west-1b"],
                "net-isolated-0": ["10.0.160.0/21", "eu-west-1a"],
                "net-isolated-1": ["10.0.168.0/21", "eu-west-1b"],
            };
            for (const [n, [cidr, az]] of Object.entries(expected)) {
                const s = one(b.rs, T.subnet, n);
                assert.equal(input(s, "cidrBlock"), cidr, n);
                assert.equal(input(s, "availabilityZone"), az, n);
                assert.equal(input(s, "vpcId"), one(b.rs, T.vpc).id);
                assert.deepEqual(tagsOf(s), { Name: n, [TIER_TAG]: n.split("-")[1] });
            }
        });

        it("maps public IPs on launch in the public subnets only (explicitly false elsewhere)", () => {
            for (const s of ofType(b.rs, T.subnet)) {
                assert.equal(input(s, "mapPublicIpOnLaunch"), tagsOf(s)[TIER_TAG] === "public", s.name);
            }
        });

        it("routes the public subnets to the internet gateway through one route table", () => {
            const igw = one(b.rs, T.igw);
            const publicTable = one(b.rs, T.routeTable, "net-public");
            const igwRoutes = ofType(b.rs, T.route).filter((r) => input(r, "gatewayId") !== undefined);
            assert.equal(igwRoutes.length, 1);
            assert.equal(input(igwRoutes[0], "routeTableId"), publicTable.id);
            assert.equal(input(igwRoutes[0], "gatewayId"), igw.id);
            assert.equal(input(igwRoutes[0], "destinationCidrBlock"), "0.0.0.0/0");
            for (const s of subnetsOf(b.rs, "public")) assert.equal(tableOfSubnet(b.rs, s), publicTable);
        });

        it("gives each private and isolated subnet its own route table", () => {
            for (const tier of ["private", "isolated"]) {
                const subnets = subnetsOf(b.rs, tier);
                const tables = subnets.map((s) => tableOfSubnet(b.rs, s));
                assert.deepEqual(
                    tables.map((t) => t.name),
                    [`net-${tier}-0`, `net-${tier}-1`],
                );
                for (const t of tables) assert.equal(tagsOf(t)[TIER_TAG], tier);
            }
            assert.equal(ofType(b.rs, T.routeTable).length, 5);
        });

        it("routes every private table to the single NAT in the first public subnet", () => {
            const nat = one(b.rs, T.nat);
            const eip = one(b.rs, T.eip);
            assert.equal(input(nat, "subnetId"), one(b.rs, T.subnet, "net-public-0").id);
            assert.equal(input(nat, "allocationId"), eip.id);
            assert.equal(input(eip, "domain"), "vpc");
            for (const table of tablesOf(b.rs, "private")) {
                const routes = routesOf(b.rs, table);
                assert.equal(routes.length, 1, table.name);
                assert.equal(input(routes[0], "destinationCidrBlock"), "0.0.0.0/0");
                assert.equal(input(routes[0], "natGatewayId"), nat.id);
            }
        });

        it("gives the isolated route tables no route at all (only local and the S3 endpoint)", () => {
            for (const table of tablesOf(b.rs, "isolated")) {
                assert.deepEqual(routesOf(b.rs, table), [], table.name);
                assert.deepEqual(inlineRoutesOf(table), [], `${table.name} has inline routes`);
            }
            // No route table declares routes inline (they would fight the Route resources).
            for (const table of ofType(b.rs, T.routeTable)) assert.deepEqual(inlineRoutesOf(table), [], table.name);
            assert.equal(ofType(b.rs, "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation").length, 0);
        });

        it("creates the NAT gateway only after the internet gateway", () => {
            assert.ok(
                optionsOf(b, one(b.rs, T.nat)).dependsOn.includes("net-igw"),
                "the NAT gateway does not depend on the internet gateway",
            );
        });

        it("attaches the S3 gateway endpoint to exactly the private and isolated route tables", () => {
            const s3 = one(b.rs, T.endpoint);
            assert.equal(input(s3, "vpcEndpointType"), "Gateway");
            assert.equal(input(s3, "serviceName"), "com.amazonaws.eu-west-1.s3");
            const expected = [...tablesOf(b.rs, "private"), ...tablesOf(b.rs, "isolated")].map((t) => t.id).sort();
            assert.deepEqual([...input<string[]>(s3, "routeTableIds")].sort(), expected);
        });

        it("creates no interface endpoint and no endpoint security group", () => {
            assert.equal(ofType(b.rs, T.sg).length, 0);
            assert.equal(b.network.endpointSecurityGroupId, undefined);
        });

        it("strips the default security group of every rule", () => {
            const sg = one(b.rs, T.defaultSg);
            assert.equal(input(sg, "vpcId"), one(b.rs, T.vpc).id);
            assert.deepEqual(input(sg, "ingress"), []);
            assert.deepEqual(input(sg, "egress"), []);
        });

        it("creates no flow logs", () => {
            for (const t of [T.flowLog, T.logGroup, T.role, T.rolePolicy]) assert.equal(ofType(b.rs, t).length, 0, t);
        });

        it("puts an ACL on the isolated subnets: 5432 from each private subnet, isolated to isolated, return traffic only", () => {
            const acl = one(b.rs, T.acl);
            const rules = ofType(b.rs, T.aclRule).map((r) => {
                assert.equal(input(r, "networkAclId"), acl.id);
                const { ruleNumber, egress, protocol, fromPort, toPort, cidrBlock, ruleAction } = r.inputs;
                return { ruleNumber, egress, protocol, fromPort, toPort, cidrBlock, ruleAction };
            });
            const sort = (x: typeof rules) =>
                [...x].sort(
                    (a, b) => Number(a.egress) - Number(b.egress) || Number(a.ruleNumber) - Number(b.ruleNumber),
                );
            assert.deepEqual(
                sort(rules),
                sort([
                    {
                        ruleNumber: 100,
                        egress: false,
                        protocol: "tcp",
                        fromPort: 5432,
                        toPort: 5432,
                        cidrBlock: "10.0.0.0/19",
                        ruleAction: "allow",
                    },
                    {
                        ruleNumber: 101,
                        egress: false,
                        protocol: "tcp",
                        fromPort: 5432,
                        toPort: 5432,
                        cidrBlock: "10.0.32.0/19",
                        ruleAction: "allow",
                    },
                    {
                        ruleNumber: 200,
                        egress: false,
                        protocol: "-1",
                        fromPort: 0,
                        toPort: 0,
                        cidrBlock: "10.0.160.0/21",
                        ruleAction: "allow",
                    },
                    {
                        ruleNumber: 201,
                        egress: false,
                        protocol: "-1",
                        fromPort: 0,
                        toPort: 0,
                        cidrBlock: "10.0.168.0/21",
                        ruleAction: "allow",
                    },
                    {
                        ruleNumber: 100,
                        egress: true,
                        protocol: "tcp",
                        fromPort: 1024,
                        toPort: 65535,
                        cidrBlock: "10.0.0.0/19",
                        ruleAction: "allow",
                    },
                    {
                        ruleNumber: 101,
                        egress: true,
                        protocol: "tcp",
                        fromPort: 1024,
                        toPort: 65535,
                        cidrBlock: "10.0.32.0/19",
                        ruleAction: "allow",
                    },
                    {
                        ruleNumber: 200,
                        egress: true,
                        protocol: "-1",
                        fromPort: 0,
                        toPort: 0,
                        cidrBlock: "10.0.160.0/21",
                        ruleAction: "allow",
                    },
                    {
                        ruleNumber: 201,
                        egress: true,
                        protocol: "-1",
                        fromPort: 0,
                        toPort: 0,
                        cidrBlock: "10.0.168.0/21",
                        ruleAction: "allow",
                    },
                ]),
            );
            assert.ok(
                rules.every((r) => r.cidrBlock !== "0.0.0.0/0"),
                "an ACL rule allows 0.0.0.0/0",
            );
            const associated = ofType(b.rs, T.aclAssociation).map((a) => {
                assert.equal(input(a, "networkAclId"), acl.id);
                return input<string>(a, "subnetId");
            });
            assert.deepEqual(
                associated.sort(),
                subnetsOf(b.rs, "isolated")
                    .map((s) => s.id)
                    .sort(),
            );
        });

        it("exposes typed outputs in AZ order", async () => {
            const n = b.network;
            const id = (name: string) => one(b.rs, T.subnet, name).id;
            assert.equal(await valueOf(n.vpcId), one(b.rs, T.vpc).id);
            assert.equal(await valueOf(n.vpcCidr), "10.0.0.0/16");
            assert.deepEqual(await valueOf(n.publicSubnetIds), [id("net-public-0"), id("net-public-1")]);
            assert.deepEqual(await valueOf(n.privateSubnetIds), [id("net-private-0"), id("net-private-1")]);
            assert.deepEqual(await valueOf(n.isolatedSubnetIds), [id("net-isolated-0"), id("net-isolated-1")]);
            assert.deepEqual(n.privateSubnetCidrs, ["10.0.0.0/19", "10.0.32.0/19"]);
            assert.deepEqual(n.isolatedSubnetCidrs, ["10.0.160.0/21", "10.0.168.0/21"]);
            assert.equal(await valueOf(n.publicRouteTableId!), one(b.rs, T.routeTable, "net-public").id);
            assert.deepEqual(
                await valueOf(n.privateRouteTableIds),
                tablesOf(b.rs, "private").map((t) => t.id),
            );
            assert.deepEqual(
                await valueOf(n.isolatedRouteTableIds),
                tablesOf(b.rs, "isolated").map((t) => t.id),
            );
            assert.deepEqual(await valueOf(n.natGatewayIds), [one(b.rs, T.nat).id]);
            assert.deepEqual(await valueOf(n.availabilityZones), ["eu-west-1a", "eu-west-1b"]);
            assert.equal(n.privateEgress, true);
            assert.ok(n.nodes.vpc && n.nodes.subnets.private.length === 2 && n.nodes.isolatedAcl);
            const contract: NetworkOutputs = n;
            assert.ok(contract);
        });

        it("asks AWS only for the available AZs and the region", () => {
            assert.deepEqual([...b.mocks.calls.keys()].sort(), [
                "aws:index/getAvailabilityZones:getAvailabilityZones",
                "aws:index/getRegion:getRegion",
            ]);
        });

        it("asks for available regular AZs only, never opted-in Local or Wavelength Zones", () => {
            const azCalls = b.invokes.filter((i) => i.token === "aws:index/getAvailabilityZones:getAvailabilityZones");
            assert.equal(azCalls.length, 1);
            assert.equal(azCalls[0].inputs.state, "available");
            assert.deepEqual(azCalls[0].inputs.filters, [{ name: "opt-in-status", values: ["opt-in-not-required"] }]);
            assert.deepEqual(AZ_ONLY_FILTER, { name: "opt-in-status", values: ["opt-in-not-required"] });
            assert.equal(
                azCalls[0].inputs.allAvailabilityZones,
                undefined,
                "allAvailabilityZones would list zones the account has not opted in to",
            );
        });

        it("replaces an ACL rule by deleting it first (a rule number can be taken only once)", () => {
            const rules = ofType(b.rs, T.aclRule);
            assert.equal(rules.length, 8);
            for (const r of rules) assert.equal(optionsOf(b, r).deleteBeforeReplace, true, r.name);
        });
    });

    describe("NAT gateways", () => {
        const cases = [
            { mode: "none", azCount: 2, nats: 0 },
            { mode: "none", azCount: 3, nats: 0 },
            { mode: "single", azCount: 2, nats: 1 },
            { mode: "single", azCount: 3, nats: 1 },
            { mode: "perAz", azCount: 2, nats: 2 },
            { mode: "perAz", azCount: 3, nats: 3 },
        ] as const;
        for (const c of cases) {
            it(`${c.mode} with ${c.azCount} AZs: ${c.nats} NAT(s), and the right default routes`, async () => {
                const { rs, network } = await shared({ natGateways: c.mode, azCount: c.azCount });
                assert.equal(ofType(rs, T.subnet).length, 3 * c.azCount);
                assert.equal(ofType(rs, T.nat).length, c.nats);
                assert.equal(ofType(rs, T.eip).length, c.nats);
                assert.equal(network.privateEgress, c.mode !== "none");
                assert.equal((await valueOf(network.natGatewayIds)).length, c.nats);
                const privateTables = subnetsOf(rs, "private").map((s) => tableOfSubnet(rs, s));
                assert.equal(new Set(privateTables).size, c.azCount, "one route table per private subnet");
                privateTables.forEach((table, i) => {
                    const routes = routesOf(rs, table);
                    if (c.mode === "none") {
                        assert.deepEqual(routes, [], `${table.name} has a route`);
                        return;
                    }
                    assert.equal(routes.length, 1);
                    assert.equal(input(routes[0], "destinationCidrBlock"), "0.0.0.0/0");
                    const nat = byId(rs, input(routes[0], "natGatewayId"));
                    assert.ok(nat && nat.type === T.nat, `${table.name} does not route to a NAT`);
                    const natSubnet = byId(rs, nat.inputs.subnetId)!;
                    const expected = c.mode === "single" ? "net-public-0" : `net-public-${i}`;
                    assert.equal(natSubnet.name, expected, `${table.name} routes to the NAT in ${natSubnet.name}`);
                    assert.equal(byId(rs, nat.inputs.allocationId)?.type, T.eip);
                });
                // Nothing but the public table routes to the internet gateway, and no isolated table routes anywhere.
                const publicTable = one(rs, T.routeTable, "net-public");
                for (const r of ofType(rs, T.route)) {
                    if (r.inputs.gatewayId !== undefined) assert.equal(r.inputs.routeTableId, publicTable.id);
                    if (r.inputs.natGatewayId !== undefined)
                        assert.equal(tagsOf(byId(rs, r.inputs.routeTableId)!)[TIER_TAG], "private");
                }
                for (const s of subnetsOf(rs, "isolated")) {
                    const table = tableOfSubnet(rs, s);
                    const routes = routesOf(rs, table);
                    assert.ok(
                        routes.every((r) => r.inputs.gatewayId === undefined && r.inputs.natGatewayId === undefined),
                        `${s.name} reaches the internet`,
                    );
                    assert.deepEqual(routes, []);
                    assert.deepEqual(inlineRoutesOf(table), [], `${table.name} has inline routes`);
                }
                // Only the public subnets map public IPs on launch.
                for (const s of ofType(rs, T.subnet))
                    assert.equal(s.inputs.mapPublicIpOnLaunch, tagsOf(s)[TIER_TAG] === "public", s.name);
            });
        }

        it("natLayout handles every mode", () => {
            assert.deepEqual(natLayout("none", 3), { gateways: 0, natOfAz: [undefined, undefined, undefined] });
            assert.deepEqual(natLayout("single", 3), { gateways: 1, natOfAz: [0, 0, 0] });
            assert.deepEqual(natLayout("perAz", 3), { gateways: 3, natOfAz: [0, 1, 2] });
            assert.throws(() => natLayout("many" as never, 2), /unexpected value "many"/);
        });
    });

    describe("stability", () => {
        it("growing from 2 to 3 AZs keeps every name and CIDR of AZ 0 and 1", async () => {
            const two = await shared({ azCount: 2 });
            const three = await shared({ azCount: 3 });
            for (const r of two.rs.filter((x) => x.type !== NETWORK_TYPE)) {
                const same = one(three.rs, r.type, r.name);
                if (r.type === T.subnet || r.type === T.aclRule) assert.deepEqual(same.inputs, r.inputs, r.name);
            }
            assert.deepEqual(
                subnetsOf(three.rs, "private").map((s) => input(s, "cidrBlock")),
                ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
            );
        });

        it("natGateways, endpoints and flow logs rename nothing: the VPC, subnets and route tables keep their names", async () => {
            const variants = await Promise.all([
                shared({ natGateways: "none" }),
                shared({ natGateways: "single" }),
                shared({ natGateways: "perAz" }),
                shared({ interfaceEndpoints: INTERFACE_ENDPOINTS, natGateways: "none" }),
                shared({ flowLogs: true, flowLogRetentionDays: 90 }),
            ]);
            const core = [T.vpc, T.subnet, T.igw, T.routeTable, T.association, T.defaultSg, T.acl, T.aclRule];
            const names = (rs: RecordedResource[]) =>
                rs
                    .filter((r) => (core as readonly string[]).includes(r.type))
                    .map((r) => `${r.type}::${r.name}`)
                    .sort();
            const [first, ...others] = variants.map((v) => names(v.rs));
            for (const o of others) assert.deepEqual(o, first);
            // The first NAT keeps its name from single to perAz.
            assert.deepEqual(
                ofType(variants[1].rs, T.nat).map((n) => n.name),
                ["net-nat-0"],
            );
            assert.deepEqual(
                ofType(variants[2].rs, T.nat).map((n) => n.name),
                ["net-nat-0", "net-nat-1"],
            );
        });
    });

    describe("/24 VPC with 3 AZs, given as the validated network options", () => {
        // index.ts passes settings.network as is: the type check here is part of the test.
        const config: NetworkOptions = {
            cidr: "10.1.2.0/24",
            azCount: 3,
            natGateways: "perAz",
            interfaceEndpoints: ["sts"],
            flowLogs: false,
            flowLogRetentionDays: 30,
            isolatedSubnetAcl: true,
        };

        it("plans /27 private and /28 public and isolated subnets", async () => {
            const { rs, network } = await shared(config);
            assert.deepEqual(
                subnetsOf(rs, "private").map((s) => input(s, "cidrBlock")),
                ["10.1.2.0/27", "10.1.2.32/27", "10.1.2.64/27"],
            );
            assert.deepEqual(
                subnetsOf(rs, "public").map((s) => input(s, "cidrBlock")),
                ["10.1.2.128/28", "10.1.2.144/28", "10.1.2.160/28"],
            );
            assert.deepEqual(
                subnetsOf(rs, "isolated").map((s) => input(s, "cidrBlock")),
                ["10.1.2.192/28", "10.1.2.208/28", "10.1.2.224/28"],
            );
            assert.deepEqual(await valueOf(network.availabilityZones), ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
            assert.deepEqual(
                subnetsOf(rs, "isolated").map((s) => input(s, "availabilityZone")),
                ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
            );
        });

        it("applies every field of the config", async () => {
            const { rs } = await shared(config);
            assert.equal(one(rs, T.vpc).inputs.cidrBlock, "10.1.2.0/24");
            assert.equal(ofType(rs, T.nat).length, 3);
            assert.equal(one(rs, T.endpoint, "net-endpoint-sts").inputs.serviceName, "com.amazonaws.eu-west-1.sts");
            assert.equal(ofType(rs, T.flowLog).length, 0);
            assert.equal(ofType(rs, T.aclAssociation).length, 3);
        });
    });

    describe("interface endpoints", () => {
        let b: Built;
        const services = INTERFACE_ENDPOINTS;
        before(async () => {
            b = await shared({ interfaceEndpoints: services, natGateways: "none" });
        });

        it("hands out the private subnet ids only once their egress exists (routes, endpoints)", async () => {
            // Whatever is placed in the private subnets (functions, and the migration they run on
            // the first deploy) must not start before it can reach AWS APIs.
            const deps = (await (
                b.network.privateSubnetIds as unknown as { allResources(): Promise<Set<pulumi.Resource>> }
            ).allResources()) as Set<pulumi.Resource>;
            const names = await Promise.all([...deps].map((r) => valueOf(r.urn)));
            const endpoints = ofType(b.rs, T.endpoint).map((e) => e.urn);
            assert.deepEqual(
                endpoints.filter((u) => !names.includes(u)),
                [],
                "every VPC endpoint is a dependency",
            );
            const associations = ofType(b.rs, "aws:ec2/routeTableAssociation:RouteTableAssociation")
                .filter((a) => /private/.test(a.name))
                .map((a) => a.urn);
            assert.equal(associations.length, 2);
            assert.deepEqual(
                associations.filter((u) => !names.includes(u)),
                [],
                "every private route table association is a dependency",
            );
        });

        it("creates one interface endpoint per service in the private subnets, with private DNS", () => {
            const sg = one(b.rs, T.sg);
            const privateIds = subnetsOf(b.rs, "private").map((s) => s.id);
            const endpoints = ofType(b.rs, T.endpoint).filter((e) => e.inputs.vpcEndpointType === "Interface");
            assert.equal(endpoints.length, services.length);
            assert.deepEqual(
                endpoints.map((e) => e.inputs.serviceName).sort(),
                services.map((s) => `com.amazonaws.eu-west-1.${s}`).sort(),
            );
            for (const e of endpoints) {
                assert.deepEqual(input(e, "subnetIds"), privateIds);
                assert.deepEqual(input(e, "securityGroupIds"), [sg.id]);
                assert.equal(input(e, "privateDnsEnabled"), true);
                assert.equal(input(e, "routeTableIds"), undefined);
            }
            assert.deepEqual(
                ofType(b.rs, T.endpoint)
                    .map((e) => e.name)
                    .filter((n) => n.startsWith("net-endpoint-"))
                    .sort(),
                services.map((s) => `net-endpoint-${s.replace(".", "-")}`).sort(),
            );
        });

        it("admits only TCP 443 from the VPC range to the endpoints, and allows no egress", async () => {
            const sg = one(b.rs, T.sg);
            assert.equal(input(sg, "vpcId"), one(b.rs, T.vpc).id);
            const ingress = input<Record<string, unknown>[]>(sg, "ingress");
            assert.equal(ingress.length, 1);
            assert.deepEqual(
                {
                    protocol: ingress[0].protocol,
                    fromPort: ingress[0].fromPort,
                    toPort: ingress[0].toPort,
                    cidrBlocks: ingress[0].cidrBlocks,
                },
                { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"] },
            );
            assert.deepEqual(input(sg, "egress"), []);
            assert.equal(await valueOf(b.network.endpointSecurityGroupId!), sg.id);
        });

        it("keeps the S3 gateway endpoint", () => {
            assert.equal(ofType(b.rs, T.endpoint).filter((e) => e.inputs.vpcEndpointType === "Gateway").length, 1);
        });

        it("puts each endpoint in the first interfaceEndpointAzCount AZs only (fewer AZ-hours to pay)", async () => {
            const one_ = await shared({
                interfaceEndpoints: ["secretsmanager"],
                natGateways: "none",
                interfaceEndpointAzCount: 1,
            });
            const [endpoint] = ofType(one_.rs, T.endpoint).filter((e) => e.inputs.vpcEndpointType === "Interface");
            assert.deepEqual(input(endpoint, "subnetIds"), [subnetsOf(one_.rs, "private")[0].id]);
        });
    });

    describe("flow logs", () => {
        let b: Built;
        before(async () => {
            b = await shared({ flowLogs: true, flowLogRetentionDays: 90 });
        });

        it("sends all traffic of the VPC to a log group with the configured retention", () => {
            const flow = one(b.rs, T.flowLog);
            const group = one(b.rs, T.logGroup);
            const role = one(b.rs, T.role);
            assert.equal(input(group, "retentionInDays"), 90);
            assert.equal(input(flow, "trafficType"), "ALL");
            assert.equal(input(flow, "vpcId"), one(b.rs, T.vpc).id);
            assert.equal(input(flow, "logDestinationType"), "cloud-watch-logs");
            assert.match(
                input<string>(flow, "logDestination"),
                /^arn:aws:logs:eu-west-1:123456789012:log-group:net-flow-logs-/,
            );
            assert.match(input<string>(flow, "iamRoleArn"), /^arn:aws:iam::123456789012:role\/net-flow-logs-/);
            assert.equal(role.name, "net-flow-logs");
        });

        it("lets only the flow logs service of this account assume the role", () => {
            const trust = JSON.parse(input<string>(one(b.rs, T.role), "assumeRolePolicy"));
            assert.deepEqual(trust.Statement, [
                {
                    Effect: "Allow",
                    Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: {
                        StringEquals: { "aws:SourceAccount": "123456789012" },
                        ArnLike: { "aws:SourceArn": "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*" },
                    },
                },
            ]);
        });

        it("creates the flow log only once its role may write (depends on the role policy)", () => {
            // The role policy shares its name with the log group, role and flow log: compare URNs.
            const deps = b.options.get(`${T.flowLog}::net-flow-logs`)!.dependencies;
            assert.ok(deps.includes(one(b.rs, T.rolePolicy).urn), "the flow log does not wait for the role policy");
        });

        it("grants writing to that log group only", () => {
            const group = one(b.rs, T.logGroup);
            const flow = one(b.rs, T.flowLog);
            const policy = one(b.rs, T.rolePolicy);
            assert.equal(input(policy, "role"), one(b.rs, T.role).id);
            const doc = JSON.parse(input<string>(policy, "policy"));
            const arn = input<string>(flow, "logDestination");
            assert.deepEqual(doc.Statement, [
                {
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    Resource: [arn, `${arn}:*`],
                },
                {
                    // AWS's documented flow-log role policy lists DescribeLogGroups; it is a list
                    // action, so it names every group of the account and region, not one.
                    Effect: "Allow",
                    Action: "logs:DescribeLogGroups",
                    Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:*",
                },
            ]);
            assert.ok(group);
        });
    });

    describe("options", () => {
        it("leaves out the isolated ACL when isolatedSubnetAcl is false", async () => {
            const { rs, network } = await build({ isolatedSubnetAcl: false });
            for (const t of [T.acl, T.aclRule, T.aclAssociation]) assert.equal(ofType(rs, t).length, 0, t);
            assert.equal(network.nodes.isolatedAcl, undefined);
        });

        it("admits the configured database port in the isolated ACL", async () => {
            const { rs } = await build({ databasePort: 6432 });
            const dbRules = ofType(rs, T.aclRule).filter(
                (r) => r.inputs.egress === false && r.inputs.protocol === "tcp",
            );
            assert.equal(dbRules.length, 2);
            for (const r of dbRules) assert.deepEqual([r.inputs.fromPort, r.inputs.toPort], [6432, 6432]);
        });

        it("applies the transforms to the children they name", async () => {
            const placements: string[] = [];
            const { rs } = await build({
                interfaceEndpoints: ["kms"],
                transforms: {
                    vpc: (a) => ({ ...a, enableNetworkAddressUsageMetrics: true }),
                    subnet: (a, p) => {
                        placements.push(`${p.tier}-${p.az}`);
                        return { ...a, tags: { ...(a.tags as Record<string, string>), extra: p.tier } };
                    },
                    natGateway: (a, i) => ({ ...a, tags: { Name: `nat ${i}` } }),
                    interfaceEndpoint: (a, service) => ({ ...a, tags: { Name: service } }),
                },
            });
            assert.equal(one(rs, T.vpc).inputs.enableNetworkAddressUsageMetrics, true);
            assert.deepEqual(placements.sort(), [
                "isolated-0",
                "isolated-1",
                "private-0",
                "private-1",
                "public-0",
                "public-1",
            ]);
            assert.equal(tagsOf(one(rs, T.subnet, "net-isolated-1")).extra, "isolated");
            assert.equal(tagsOf(one(rs, T.nat)).Name, "nat 0");
            assert.equal(tagsOf(one(rs, T.endpoint, "net-endpoint-kms")).Name, "kms");
        });
    });

    describe("existing VPC (existingNetwork)", () => {
        const existingVpc = {
            vpcId: "vpc-0123456789abcdef0",
            cidr: "10.20.0.0/16",
            publicSubnetIds: ["subnet-00000000000000001", "subnet-00000000000000002"],
            privateSubnetIds: ["subnet-00000000000000003", "subnet-00000000000000004"],
            isolatedSubnetIds: ["subnet-00000000000000005", "subnet-00000000000000006"],
        };

        it("declares nothing and hands out the given ids", async () => {
            const mocks = await useMocks();
            const network = existingNetwork("net", { ...existingVpc, privateEgress: true });
            const rs = await settle(mocks);
            assert.deepEqual(rs, []);
            assert.equal(await valueOf(network.vpcId), existingVpc.vpcId);
            assert.equal(await valueOf(network.vpcCidr), existingVpc.cidr);
            assert.deepEqual(await valueOf(network.publicSubnetIds), existingVpc.publicSubnetIds);
            assert.deepEqual(await valueOf(network.privateSubnetIds), existingVpc.privateSubnetIds);
            assert.deepEqual(await valueOf(network.isolatedSubnetIds), existingVpc.isolatedSubnetIds);
            assert.equal(network.privateEgress, true);
        });

        it("looks the CIDR up with aws:ec2/getVpc when cidr is not given", async () => {
            const mocks = await useMocks();
            const invokes: { token: string; id: unknown }[] = [];
            const call = mocks.call.bind(mocks);
            mocks.call = (a) => {
                invokes.push({ token: a.token, id: a.inputs.id });
                if (a.token === "aws:ec2/getVpc:getVpc") return { id: a.inputs.id, cidrBlock: "10.20.0.0/16" };
                return call(a);
            };
            const network = existingNetwork("net", { ...existingVpc, cidr: undefined });
            assert.equal(await valueOf(network.vpcCidr), "10.20.0.0/16");
            assert.deepEqual(await settle(mocks), []);
            assert.deepEqual(invokes, [{ token: "aws:ec2/getVpc:getVpc", id: existingVpc.vpcId }]);
        });

        it("takes privateEgress as given and allows no public subnets", async () => {
            await useMocks();
            const network = existingNetwork("net", {
                ...existingVpc,
                publicSubnetIds: undefined,
                privateEgress: false,
            });
            assert.equal(network.privateEgress, false);
            assert.deepEqual(await valueOf(network.publicSubnetIds), []);
        });

        it("rejects bad ids and counts, naming each key, value and fix", () => {
            const problems = planExistingVpc({
                vpcId: "vpc-xyz",
                cidr: "10.20.0.1/16",
                publicSubnetIds: ["subnet-00000000000000001"],
                privateSubnetIds: ["subnet-00000000000000001"],
                isolatedSubnetIds: ["subnet-00000000000000005", "subnet-00000000000000005", "sub-1"],
            }).problems.map((p) => renderProblem(p));
            assert.deepEqual(problems, [
                'vpcId: got "vpc-xyz"; expected a VPC id such as vpc-0123456789abcdef0. Fix: set it to the id of the VPC',
                'cidr: got "10.20.0.1/16"; host bits are set. Fix: use the network address 10.20.0.0/16',
                'privateSubnetIds[0]: got "subnet-00000000000000001"; is also in publicSubnetIds; each tier needs its own subnets. Fix: remove it from one tier',
                'isolatedSubnetIds[1]: got "subnet-00000000000000005"; is listed twice; subnet ids must be distinct. Fix: list each subnet once',
                'isolatedSubnetIds[2]: got "sub-1"; expected a subnet id such as subnet-0123456789abcdef0. Fix: correct or remove it',
                'privateSubnetIds: got ["subnet-00000000000000001"]; expected 2 or 3 subnets, one per AZ. Fix: list one private subnet per AZ',
                'isolatedSubnetIds: got ["subnet-00000000000000005","subnet-00000000000000005","sub-1"]; expected as many subnets as private subnets (1). Fix: list one isolated subnet per AZ, in the same AZ order',
            ]);
            assert.throws(
                () => existingNetwork("net", { vpcId: "vpc-xyz", privateSubnetIds: [], isolatedSubnetIds: [] }),
                (e: unknown) =>
                    ConfigError.isInstance(e) && /^existingNetwork "net": invalid arguments/.test(e.message),
            );
        });

        it("rejects public subnets that do not match the private ones in number", () => {
            const problems = planExistingVpc({
                vpcId: "vpc-0123456789abcdef0",
                publicSubnetIds: ["subnet-00000000000000001"],
                privateSubnetIds: ["subnet-00000000000000003", "subnet-00000000000000004"],
                isolatedSubnetIds: ["subnet-00000000000000005", "subnet-00000000000000006"],
            }).problems.map((p) => renderProblem(p));
            assert.deepEqual(problems, [
                'publicSubnetIds: got ["subnet-00000000000000001"]; expected none or as many subnets as private subnets (2). Fix: list one public subnet per AZ or none',
            ]);
        });
    });

    describe("invalid arguments", () => {
        async function rejected(args: NetworkArgs): Promise<ConfigError> {
            const mocks = await useMocks();
            let error: unknown;
            try {
                new Network("net", args);
            } catch (e) {
                error = e;
            }
            const rs = await settle(mocks);
            assert.deepEqual(rs, [], "something was declared before the error");
            assert.ok(ConfigError.isInstance(error), `expected a ConfigError, got ${String(error)}`);
            return error;
        }

        it("reports every problem of a new VPC at once, naming key, value and fix", async () => {
            const e = await rejected({
                cidr: "10.0.1.0/16",
                azCount: 4,
                natGateways: "many" as never,
                interfaceEndpoints: ["logs", "logs", "s3" as never],
                flowLogRetentionDays: 31,
                databasePort: 80,
            });
            assert.deepEqual(e.problems, [
                'cidr: got "10.0.1.0/16"; host bits are set. Fix: use the network address 10.0.0.0/16',
                "azCount: got 4; expected 2 or 3. Fix: set azCount to 2 or 3",
                'natGateways: got "many"; expected one of: none, single, perAz. Fix: set natGateways to one of them',
                'interfaceEndpoints[1]: got "logs"; is listed twice; each endpoint can be listed once. Fix: remove the duplicate',
                `interfaceEndpoints[2]: got "s3"; expected any of: ${INTERFACE_ENDPOINTS.join(", ")}. Fix: remove or correct it`,
                "flowLogRetentionDays: got 31; expected one of: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653. Fix: pick the nearest of them",
                "databasePort: got 80; expected a whole number from 1150 to 65535 (the ports RDS accepts). Fix: use the database's port, e.g. 5432",
            ]);
            assert.match(e.message, /^Network "net": invalid arguments \(7 problems\):\n {2}cidr: /);
        });

        it("rejects a VPC range outside /16–/24", async () => {
            const e = await rejected({ cidr: "10.0.0.0/25" });
            assert.deepEqual(e.problems, [
                'cidr: got "10.0.0.0/25"; the prefix must be /16 to /24 (AWS allows /28, but below /24 the three subnet tiers do not fit). Fix: use a range from /16 to /24',
            ]);
            const f = await rejected({ cidr: "10.0.0.0" });
            assert.match(f.problems[0], /^cidr: got "10\.0\.0\.0"; expected an IPv4 CIDR/);
        });

        it("rejects an interfaceEndpointAzCount outside 1 to azCount", async () => {
            for (const n of [0, 3, 1.5]) {
                const e = await rejected({ azCount: 2, interfaceEndpointAzCount: n });
                assert.deepEqual(e.problems, [
                    `interfaceEndpointAzCount: got ${n}; expected a whole number from 1 to azCount (2). Fix: set it to the number of AZs that hold the endpoints, or remove it for every AZ`,
                ]);
            }
        });
    });

    describe("documentation", () => {
        const source =
            fs.readFileSync(path.join(__dirname, "../../lib/network-plan.ts"), "utf8") +
            fs.readFileSync(path.join(__dirname, "../../components/network.ts"), "utf8");
        const body =
            /export interface NetworkOptions \{\n([\s\S]*?)\n\}/.exec(source)![1] +
            /export interface NetworkArgs extends NetworkOptions \{\n([\s\S]*?)\n\}/.exec(source)![1];
        const fields = [...body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\??:/g)].map((m) => ({ name: m[2], doc: m[1] }));

        it("documents every argument with a summary and a @default", () => {
            assert.deepEqual(
                fields.map((f) => f.name),
                [
                    "cidr",
                    "azCount",
                    "natGateways",
                    "interfaceEndpoints",
                    "interfaceEndpointAzCount",
                    "flowLogs",
                    "flowLogRetentionDays",
                    "isolatedSubnetAcl",
                    "databasePort",
                    "transforms",
                ],
            );
            for (const f of fields) {
                assert.match(f.doc, /^\s*\*\s+\S/, `${f.name} has no summary`);
                assert.match(f.doc, /@default /, `${f.name} has no @default`);
            }
        });

        it("documents the defaults the code uses", () => {
            for (const [key, value] of Object.entries(NETWORK_DEFAULTS)) {
                const f = fields.find((x) => x.name === key);
                assert.ok(f, `${key} is not documented`);
                const documented = /@default (\S+)/.exec(f.doc)![1];
                assert.deepEqual(
                    JSON.parse(documented),
                    value,
                    `${key}: documented ${documented}, code uses ${JSON.stringify(value)}`,
                );
            }
            for (const f of fields.filter((x) => !(x.name in NETWORK_DEFAULTS))) {
                assert.match(f.doc, /@default - /, `${f.name} has no code default, so its @default must be prose`);
            }
            assert.equal(NETWORK_DEFAULTS.databasePort, DEFAULT_DATABASE_PORT);
        });

        it("the defaults are what an empty argument list builds", async () => {
            const { rs } = await shared({});
            assert.equal(one(rs, T.vpc).inputs.cidrBlock, NETWORK_DEFAULTS.cidr);
            assert.equal(ofType(rs, T.subnet).length, 3 * NETWORK_DEFAULTS.azCount);
            assert.equal(ofType(rs, T.nat).length, 1);
            assert.equal(ofType(rs, T.acl).length, 1);
            assert.equal(ofType(rs, T.flowLog).length, 0);
        });
    });
});
