/**
 * `no-world-ingress-to-postgres` (mandatory) and `no-public-ingress-to-database-ports` (advisory):
 * hostile cases over every resource kind that can declare ingress, written from the AWS semantics.
 */
import * as assert from "assert";
import { noPublicIngressToDatabasePorts, noWorldIngressToPostgres } from "../../policy-pack/policies/network";
import { T } from "../../policy-pack/lib/types";
import {
    assertNotApplicable,
    assertOneViolation,
    assertPasses,
    policyConfig,
    runResourcePolicy,
    UNKNOWN_WIRE,
} from "./util";

/** A rule in neutral form, rendered into each resource kind below. */
interface Rule {
    protocol?: unknown;
    fromPort?: unknown;
    toPort?: unknown;
    ipv4?: unknown[];
    ipv6?: unknown[];
    self?: boolean;
    securityGroups?: string[];
    prefixListIds?: string[];
}

/** How each of the three kinds declares one ingress rule. */
const KINDS: { kind: string; type: string; render(r: Rule): Record<string, unknown>[] }[] = [
    {
        kind: "SecurityGroup inline ingress",
        type: T.securityGroup,
        render: (r) => [
            {
                ingress: [
                    {
                        protocol: r.protocol,
                        fromPort: r.fromPort,
                        toPort: r.toPort,
                        cidrBlocks: r.ipv4,
                        ipv6CidrBlocks: r.ipv6,
                        self: r.self,
                        securityGroups: r.securityGroups,
                        prefixListIds: r.prefixListIds,
                    },
                ],
            },
        ],
    },
    {
        kind: "SecurityGroupRule type ingress",
        type: T.securityGroupRule,
        render: (r) => [
            {
                type: "ingress",
                securityGroupId: "sg-db",
                protocol: r.protocol,
                fromPort: r.fromPort,
                toPort: r.toPort,
                cidrBlocks: r.ipv4,
                ipv6CidrBlocks: r.ipv6,
                self: r.self,
                sourceSecurityGroupId: r.securityGroups?.[0],
                prefixListIds: r.prefixListIds,
            },
        ],
    },
    {
        kind: "vpc SecurityGroupIngressRule",
        type: T.securityGroupIngressRule,
        // One CIDR per resource: a rule with IPv4 and IPv6 sources becomes one resource per source.
        render: (r) => {
            const base = { securityGroupId: "sg-db", ipProtocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort };
            const sources: Record<string, unknown>[] = [
                ...(r.ipv4 ?? []).map((c) => ({ cidrIpv4: c })),
                ...(r.ipv6 ?? []).map((c) => ({ cidrIpv6: c })),
                ...(r.securityGroups ?? []).map((g) => ({ referencedSecurityGroupId: g })),
                ...(r.prefixListIds ?? []).map((p) => ({ prefixListId: p })),
            ];
            return (sources.length > 0 ? sources : [{}]).map((s) => ({ ...base, ...s }));
        },
    },
];

/** [description, rule, flagged by the mandatory policy, flagged by the advisory one] */
const CASES: [string, Rule, boolean, boolean][] = [
    // Port ranges.
    [
        "tcp exactly 5432 from 0.0.0.0/0",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] },
        true,
        true,
    ],
    ["tcp range containing 5432", { protocol: "tcp", fromPort: 5000, toPort: 6000, ipv4: ["0.0.0.0/0"] }, true, true],
    ["tcp range starting at 5432", { protocol: "tcp", fromPort: 5432, toPort: 5500, ipv4: ["0.0.0.0/0"] }, true, true],
    ["tcp range ending at 5432", { protocol: "tcp", fromPort: 5400, toPort: 5432, ipv4: ["0.0.0.0/0"] }, true, true],
    ["tcp all ports 0-65535", { protocol: "tcp", fromPort: 0, toPort: 65535, ipv4: ["0.0.0.0/0"] }, true, true],
    ["tcp range just above 5432", { protocol: "tcp", fromPort: 5433, toPort: 6000, ipv4: ["0.0.0.0/0"] }, false, false],
    ["tcp range just below 5432", { protocol: "tcp", fromPort: 5000, toPort: 5431, ipv4: ["0.0.0.0/0"] }, false, false],
    ["tcp 443 only", { protocol: "tcp", fromPort: 443, toPort: 443, ipv4: ["0.0.0.0/0"] }, false, false],
    [
        "tcp 0/0 is port 0, not all ports",
        { protocol: "tcp", fromPort: 0, toPort: 0, ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    // Protocol spellings.
    ["TCP upper case", { protocol: "TCP", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] }, true, true],
    ["protocol number 6", { protocol: "6", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] }, true, true],
    ["udp on 5432", { protocol: "udp", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] }, false, false],
    [
        "protocol number 17 on all ports",
        { protocol: "17", fromPort: 0, toPort: 65535, ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    ["icmp", { protocol: "icmp", fromPort: -1, toPort: -1, ipv4: ["0.0.0.0/0"] }, false, false],
    ["protocol number 1 (icmp)", { protocol: "1", fromPort: 0, toPort: 65535, ipv4: ["0.0.0.0/0"] }, false, false],
    ["icmpv6", { protocol: "icmpv6", fromPort: -1, toPort: -1, ipv6: ["::/0"] }, false, false],
    ["protocol number 58 (icmpv6)", { protocol: "58", fromPort: -1, toPort: -1, ipv6: ["::/0"] }, false, false],
    [
        "another protocol number (50, ESP)",
        { protocol: "50", fromPort: 0, toPort: 0, ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    // All traffic.
    ["-1 with ports 0/0", { protocol: "-1", fromPort: 0, toPort: 0, ipv4: ["0.0.0.0/0"] }, true, true],
    ["-1 with ports -1/-1", { protocol: "-1", fromPort: -1, toPort: -1, ipv4: ["0.0.0.0/0"] }, true, true],
    ["all with ports 0/0", { protocol: "all", fromPort: 0, toPort: 0, ipv6: ["::/0"] }, true, true],
    ["-1 from a private range", { protocol: "-1", fromPort: 0, toPort: 0, ipv4: ["10.0.0.0/8"] }, false, false],
    // IPv6 spellings of the world.
    ["::/0", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["::/0"] }, true, true],
    ["::0/0", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["::0/0"] }, true, true],
    ["0:0:0:0:0:0:0:0/0", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["0:0:0:0:0:0:0:0/0"] }, true, true],
    ["0::/0", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["0::/0"] }, true, true],
    // Mixed sources: the world still counts.
    ["world + self", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"], self: true }, true, true],
    [
        "world + prefix list",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"], prefixListIds: ["pl-123"] },
        true,
        true,
    ],
    [
        "world + security group",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"], securityGroups: ["sg-app"] },
        true,
        true,
    ],
    [
        "private + world (world second)",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["10.0.0.0/16", "0.0.0.0/0"] },
        true,
        true,
    ],
    [
        "only a security group",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, securityGroups: ["sg-app"] },
        false,
        false,
    ],
    ["only self", { protocol: "tcp", fromPort: 5432, toPort: 5432, self: true }, false, false],
    // Private and narrower ranges.
    ["10.0.0.0/8", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["10.0.0.0/8"] }, false, false],
    ["172.16.0.0/12", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["172.16.0.0/12"] }, false, false],
    ["192.168.0.0/16", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["192.168.0.0/16"] }, false, false],
    ["ULA fd00::/8", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["fd00::/8"] }, false, false],
    [
        "0.0.0.0/1 (half the internet, not /0)",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/1"] },
        false,
        true,
    ],
    ["128.0.0.0/1", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["128.0.0.0/1"] }, false, true],
    ["::/1", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["::/1"] }, false, true],
    ["a public /24", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["8.8.8.0/24"] }, false, true],
    ["a public IPv6 /32", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["2600:1f18::/32"] }, false, true],
    // Unknown values (preview / offline plan): never flag, never crash.
    ["unknown protocol", { protocol: null, fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] }, false, false],
    ["missing protocol", { fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] }, false, false],
    ["unknown fromPort", { protocol: "tcp", fromPort: null, toPort: 5432, ipv4: ["0.0.0.0/0"] }, false, false],
    ["unknown toPort", { protocol: "tcp", fromPort: 5432, toPort: undefined, ipv4: ["0.0.0.0/0"] }, false, false],
    ["unknown CIDR", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: [null] }, false, false],
    ["everything undefined", {}, false, false],
    // Review (adversarial): shapes a program can produce through `any`, or that AWS spells oddly.
    ["protocol as the number 6", { protocol: 6, fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] }, true, true],
    ["protocol as the number -1", { protocol: -1, fromPort: 0, toPort: 0, ipv6: ["::/0"] }, true, true],
    ['protocol " tcp " padded', { protocol: " tcp ", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] }, true, true],
    ["protocol ALL upper case", { protocol: "ALL", fromPort: 0, toPort: 0, ipv4: ["0.0.0.0/0"] }, true, true],
    [
        "protocol number 17 as a number",
        { protocol: 17, fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    ["protocol 6.5 is no protocol", { protocol: 6.5, fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] }, false, false],
    [
        "protocol 0 (HOPOPT) is not all traffic",
        { protocol: "0", fromPort: 0, toPort: 65535, ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    [
        "ports as strings containing 5432",
        { protocol: "tcp", fromPort: "5400", toPort: "5500", ipv4: ["0.0.0.0/0"] },
        true,
        true,
    ],
    [
        "ports as strings missing 5432",
        { protocol: "tcp", fromPort: "5433", toPort: "5500", ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    [
        "non-integer port bound is not read as a range",
        { protocol: "tcp", fromPort: 5431.5, toPort: 5433, ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    [
        "tcp -1/-1 (AWS rejects it for TCP) is not all ports",
        { protocol: "tcp", fromPort: -1, toPort: -1, ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    [
        "inverted range 6000-5000 contains nothing",
        { protocol: "tcp", fromPort: 6000, toPort: 5000, ipv4: ["0.0.0.0/0"] },
        false,
        false,
    ],
    [
        "-1 with ports 5432-5432 is still all traffic",
        { protocol: "-1", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/0"] },
        true,
        true,
    ],
    [
        "-1 with ports 22-22 is still all traffic",
        { protocol: "-1", fromPort: 22, toPort: 22, ipv6: ["::/0"] },
        true,
        true,
    ],
    [
        "world CIDR padded with whitespace",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: [" 0.0.0.0/0 "] },
        true,
        true,
    ],
    ["upper-case IPv6 world", { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["::FFFF:0:0/0"] }, true, true],
    [
        "0.0.0.0/00 (prefix length zero, spelt with two digits)",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["0.0.0.0/00"] },
        true,
        true,
    ],
    [
        "host bits under /0 (10.1.2.3/0 is still every address)",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["10.1.2.3/0"] },
        true,
        true,
    ],
    [
        "IPv4-mapped IPv6 ::ffff:0:0/96 is neither the world nor public",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["::ffff:0:0/96"] },
        false,
        false,
    ],
    [
        "::ffff:0.0.0.0/96 (dotted tail) likewise",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6: ["::ffff:0.0.0.0/96"] },
        false,
        false,
    ],
    [
        "a /0 in the other family's list is still the world",
        { protocol: "tcp", fromPort: 5432, toPort: 5432, ipv4: ["::/0"] },
        true,
        true,
    ],
    [
        "malformed CIDRs are not sources",
        {
            protocol: "tcp",
            fromPort: 5432,
            toPort: 5432,
            ipv4: ["0/0", "0.0.0.0", "0.0.0.0/+0", "0.0.0.0 /0", "::/129"],
        },
        false,
        false,
    ],
];

describe("no-world-ingress-to-postgres / no-public-ingress-to-database-ports", () => {
    for (const { kind, type, render } of KINDS) {
        describe(kind, () => {
            for (const [description, rule, world, publicRange] of CASES) {
                it(`${description}: ${world ? "mandatory violation" : "no mandatory violation"}${publicRange ? ", advisory violation" : ""}`, async () => {
                    let worldCount = 0;
                    let publicCount = 0;
                    for (const props of render(rule)) {
                        const w = await runResourcePolicy(noWorldIngressToPostgres, type, props);
                        const p = await runResourcePolicy(noPublicIngressToDatabasePorts, type, props);
                        assert.strictEqual(w.notApplicable, undefined);
                        worldCount += w.violations.length;
                        publicCount += p.violations.length;
                        for (const m of w.violations) {
                            assert.match(m, /must not allow the world to reach port 5432: .*protocol ".*".* from /);
                        }
                    }
                    assert.strictEqual(worldCount > 0, world, `mandatory: ${worldCount} violations`);
                    assert.strictEqual(publicCount > 0, publicRange, `advisory: ${publicCount} violations`);
                });
            }
        });
    }

    describe("review: odd shapes per resource kind", () => {
        it("a SecurityGroupRule without a type is not read as ingress (the provider requires it)", async () => {
            const props = {
                protocol: "tcp",
                fromPort: 5432,
                toPort: 5432,
                cidrBlocks: ["0.0.0.0/0"],
                securityGroupId: "sg-db",
            };
            assertPasses(await runResourcePolicy(noWorldIngressToPostgres, T.securityGroupRule, props));
        });
        it("a SecurityGroupRule of type INGRESS (any case) is ingress", async () => {
            const props = { type: "INGRESS", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.securityGroupRule, props),
                "the rule allows",
            );
        });
        it("a SecurityGroupRule naming a source security group and the world is flagged", async () => {
            const props = {
                type: "ingress",
                protocol: "tcp",
                fromPort: 5432,
                toPort: 5432,
                sourceSecurityGroupId: "sg-app",
                cidrBlocks: ["0.0.0.0/0"],
            };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.securityGroupRule, props),
                "from 0.0.0.0/0",
            );
        });
        it("a bare CIDR string where a list is expected is not read (never guessed)", async () => {
            const props = { ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: "0.0.0.0/0" }] };
            assertPasses(await runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, props));
        });
        it("a null ingress entry is skipped and the next one still checked", async () => {
            const props = {
                ingress: [null, { protocol: 6, fromPort: "5432", toPort: "5432", ipv6CidrBlocks: ["::/0"] }],
            };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, props),
                'ingress[1] allows protocol "6" (TCP), port 5432 from ::/0',
            );
        });
        it("the DefaultSecurityGroup's ingress with protocol given as the number -1", async () => {
            const props = {
                vpcId: "vpc-1",
                ingress: [{ protocol: -1, fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.defaultSecurityGroup, props),
                'protocol "-1" (all traffic)',
            );
        });
        it("a vpc SecurityGroupIngressRule with ipProtocol -1 as a number and ports given anyway", async () => {
            const props = { securityGroupId: "sg-db", ipProtocol: -1, fromPort: 5432, toPort: 5432, cidrIpv6: "::0/0" };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.securityGroupIngressRule, props),
                "from ::0/0",
            );
        });
    });

    describe("the VPC's default security group", () => {
        it("is checked like any security group", async () => {
            const props = {
                vpcId: "vpc-1",
                ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["0:0:0:0:0:0:0:0/0"] }],
            };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.defaultSecurityGroup, props),
                'Default Security Group must not allow the world to reach port 5432: ingress[0] allows protocol "-1" (all traffic) from 0:0:0:0:0:0:0:0/0. Remove this source and allow the port only from the application\'s security group or a private range.',
            );
        });
    });

    describe("egress never counts", () => {
        it("a security group's egress to the world on all traffic", async () => {
            const props = {
                egress: [
                    { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
                ],
            };
            assertPasses(await runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, props));
        });
        it("a SecurityGroupRule of type egress on 5432", async () => {
            const props = { type: "egress", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] };
            assertPasses(await runResourcePolicy(noWorldIngressToPostgres, T.securityGroupRule, props));
        });
        it("a SecurityGroupRule whose type is unknown", async () => {
            const props = { type: null, protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] };
            assertPasses(await runResourcePolicy(noWorldIngressToPostgres, T.securityGroupRule, props));
        });
        it("a vpc SecurityGroupEgressRule is not an ingress type at all", async () => {
            const props = { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" };
            assertNotApplicable(
                await runResourcePolicy(
                    noWorldIngressToPostgres,
                    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                    props,
                ),
            );
        });
    });

    describe("messages", () => {
        it("name the resource kind, the rule, the protocol as written, the ports and the world CIDRs", async () => {
            const props = {
                ingress: [
                    { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] },
                    {
                        protocol: "6",
                        fromPort: 5000,
                        toPort: 6000,
                        cidrBlocks: ["10.0.0.0/8", "0.0.0.0/0"],
                        ipv6CidrBlocks: ["::/0"],
                    },
                ],
            };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, props),
                'Security Group must not allow the world to reach port 5432: ingress[1] allows protocol "6" (TCP), ports 5000-6000 from 0.0.0.0/0, ::/0. Remove these sources and allow the port only from the application\'s security group or a private range.',
            );
        });
        it("report one violation per offending rule", async () => {
            const props = {
                ingress: [
                    { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] },
                    { protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] },
                ],
            };
            const out = await runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, props);
            assert.strictEqual(out.violations.length, 2);
            assert.ok(out.violations[1].includes('ingress[1] allows protocol "-1" (all traffic) from ::/0'));
        });
        it('name a standalone rule as "the rule"', async () => {
            const props = { type: "ingress", protocol: "all", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.securityGroupRule, props),
                'Security Group Rule must not allow the world to reach port 5432: the rule allows protocol "all" (all traffic) from 0.0.0.0/0. Remove this source and allow the port only from the application\'s security group or a private range.',
            );
        });
    });

    describe("configurable ports", () => {
        const mysqlWorld = { ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: ["0.0.0.0/0"] }] };
        it("3306 is not checked by default", async () => {
            assertPasses(await runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, mysqlWorld));
        });
        it("3306 is checked when configured", async () => {
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, mysqlWorld, {
                    config: { ports: [5432, 3306] },
                }),
                "reach port 3306",
            );
        });
        it("one rule reaching several configured ports is one violation naming them all", async () => {
            const props = { ingress: [{ protocol: "tcp", fromPort: 1000, toPort: 6000, cidrBlocks: ["0.0.0.0/0"] }] };
            assertOneViolation(
                await runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, props, {
                    config: { ports: [5432, 1433, 3306] },
                }),
                "reach ports 1433, 3306, 5432",
            );
        });
        it("the advisory policy takes the port list too", async () => {
            const props = { ingress: [{ protocol: "tcp", fromPort: 1433, toPort: 1433, cidrBlocks: ["8.8.8.0/24"] }] };
            assertPasses(await runResourcePolicy(noPublicIngressToDatabasePorts, T.securityGroup, props));
            assertOneViolation(
                await runResourcePolicy(noPublicIngressToDatabasePorts, T.securityGroup, props, {
                    config: { ports: [1433] },
                }),
                "must not allow public addresses to reach port 1433",
                "8.8.8.0/24",
            );
        });
        it("invalid port lists are rejected by the schema", () => {
            for (const ports of [[], [0], [65536], ["5432"], [5432, 5432], 5432]) {
                assert.throws(
                    () => policyConfig(noWorldIngressToPostgres, { ports }),
                    /no-world-ingress-to-postgres\.ports/,
                );
            }
        });
    });

    describe("not applicable to other types", () => {
        it("an RDS instance", async () => {
            assertNotApplicable(
                await runResourcePolicy(noWorldIngressToPostgres, T.rdsInstance, { publiclyAccessible: true }),
                "Policy only applies",
            );
        });
    });

    describe("under the engine's unknown-checking proxy (preview, through the analyzer)", () => {
        const run = (props: Record<string, unknown>) =>
            runResourcePolicy(noWorldIngressToPostgres, T.securityGroup, props);
        it("unknown ports, protocol and CIDRs do not throw and are not flagged", async () => {
            const outcome = await run({
                ingress: [
                    { protocol: UNKNOWN_WIRE, fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] },
                    { protocol: "tcp", fromPort: UNKNOWN_WIRE, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] },
                    { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: UNKNOWN_WIRE },
                    { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: [UNKNOWN_WIRE] },
                ],
            });
            assertPasses(outcome);
            assert.strictEqual(outcome.undecided, undefined);
        });
        it("a known world rule is still flagged beside unknown ones", async () => {
            assertOneViolation(
                await run({
                    ingress: [
                        { protocol: UNKNOWN_WIRE, fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] },
                        { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] },
                    ],
                }),
                "ingress[1]",
            );
        });
        it("a wholly unknown ingress list is not flagged", async () => {
            assertPasses(await run({ ingress: UNKNOWN_WIRE }));
        });
    });
});
