/**
 * The pure ingress predicates (policy-pack/lib/ingress.ts): protocols, port ranges, CIDRs, rule
 * extraction. Table-driven from the AWS semantics, plus property tests.
 */
import * as assert from "assert";
import fc from "fast-check";
import {
    cidrWithin,
    describeRule,
    findExposures,
    ingressRulesOf,
    isPublicCidr,
    isWorldCidr,
    normaliseProtocol,
    parseCidr,
    portRangeContains,
    reachesTcpPort,
} from "../../policy-pack/lib/ingress";
import { UNKNOWN } from "../../policy-pack/lib/props";
import { T } from "../../policy-pack/lib/types";

describe("ingress predicates", () => {
    describe("normaliseProtocol", () => {
        const cases: [unknown, ReturnType<typeof normaliseProtocol>][] = [
            ["tcp", "tcp"],
            ["TCP", "tcp"],
            [" Tcp ", "tcp"],
            ["6", "tcp"],
            [6, "tcp"],
            ["udp", "udp"],
            ["UDP", "udp"],
            ["17", "udp"],
            [17, "udp"],
            ["icmp", "icmp"],
            ["1", "icmp"],
            ["icmpv6", "icmpv6"],
            ["ICMPv6", "icmpv6"],
            ["58", "icmpv6"],
            ["-1", "all"],
            [-1, "all"],
            ["all", "all"],
            ["ALL", "all"],
            ["50", "other"],
            ["132", "other"],
            [0, "other"],
            [undefined, UNKNOWN],
            [null, UNKNOWN],
            [UNKNOWN, UNKNOWN],
            ["", UNKNOWN],
            ["tcpx", UNKNOWN],
            ["256", UNKNOWN],
            [6.5, UNKNOWN],
            [{}, UNKNOWN],
            ["04da6b54-80e4-46f7-96ec-b56ff0331ba9", UNKNOWN],
        ];
        for (const [input, expected] of cases) {
            it(`${JSON.stringify(input) ?? String(input)} -> ${String(expected)}`, () => {
                assert.strictEqual(normaliseProtocol(input), expected);
            });
        }
    });

    describe("portRangeContains", () => {
        const cases: [unknown, unknown, number, boolean | typeof UNKNOWN][] = [
            [5432, 5432, 5432, true],
            [5432, 6000, 5432, true], // starts at
            [5000, 5432, 5432, true], // ends at
            [0, 65535, 5432, true],
            [5433, 6000, 5432, false], // just above
            [5000, 5431, 5432, false], // just below
            [0, 0, 5432, false], // 0/0 is port 0 for TCP, not "all ports"
            [-1, -1, 5432, false],
            [6000, 5000, 5432, false], // inverted: contains nothing
            ["5000", "6000", 5432, true], // numeric strings
            [undefined, 6000, 5432, UNKNOWN],
            [5000, null, 5432, UNKNOWN],
            [5000.5, 6000, 5432, UNKNOWN],
            ["abc", 6000, 5432, UNKNOWN],
        ];
        for (const [from, to, port, expected] of cases) {
            it(`${String(from)}..${String(to)} contains ${port}: ${String(expected)}`, () => {
                assert.strictEqual(portRangeContains(from, to, port), expected);
            });
        }

        it("agrees with from <= port <= to for every integer range (property)", () => {
            fc.assert(
                fc.property(
                    fc.integer({ min: -1, max: 65535 }),
                    fc.integer({ min: -1, max: 65535 }),
                    fc.integer({ min: 0, max: 65535 }),
                    fc.boolean(),
                    (from, to, port, asStrings) => {
                        const f = asStrings ? String(from) : from;
                        const t = asStrings ? String(to) : to;
                        assert.strictEqual(portRangeContains(f, t, port), from <= port && port <= to);
                    },
                ),
                { numRuns: 2000 },
            );
        });

        it("a range always contains its own ends and nothing outside them (property)", () => {
            fc.assert(
                fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), (a, b) => {
                    const [lo, hi] = a <= b ? [a, b] : [b, a];
                    assert.strictEqual(portRangeContains(lo, hi, lo), true);
                    assert.strictEqual(portRangeContains(lo, hi, hi), true);
                    if (lo > 0) {
                        assert.strictEqual(portRangeContains(lo, hi, lo - 1), false);
                    }
                    if (hi < 65535) {
                        assert.strictEqual(portRangeContains(lo, hi, hi + 1), false);
                    }
                }),
            );
        });
    });

    describe("reachesTcpPort", () => {
        const cases: [unknown, unknown, unknown, string][] = [
            ["tcp", 5432, 5432, "yes"],
            ["6", 0, 65535, "yes"],
            ["TCP", 5433, 5433, "no"],
            ["-1", 0, 0, "yes"], // all traffic: ports ignored
            ["-1", -1, -1, "yes"],
            ["all", 0, 0, "yes"],
            ["-1", undefined, undefined, "yes"],
            ["udp", 0, 65535, "no"],
            ["17", 5432, 5432, "no"],
            ["icmp", -1, -1, "no"],
            ["1", 0, 65535, "no"],
            ["icmpv6", -1, -1, "no"],
            ["58", 0, 65535, "no"],
            ["50", 0, 65535, "no"],
            [undefined, 0, 65535, "unknown"],
            ["tcp", undefined, 5432, "unknown"],
        ];
        for (const [protocol, from, to, expected] of cases) {
            it(`${String(protocol)} ${String(from)}-${String(to)} -> ${expected}`, () => {
                assert.strictEqual(reachesTcpPort(protocol, from, to, 5432), expected);
            });
        }

        it("all traffic reaches every port and UDP none, whatever the ports (property)", () => {
            fc.assert(
                fc.property(
                    fc.integer({ min: -1, max: 65535 }),
                    fc.integer({ min: -1, max: 65535 }),
                    fc.integer({ min: 1, max: 65535 }),
                    (f, t, p) => {
                        assert.strictEqual(reachesTcpPort("-1", f, t, p), "yes");
                        assert.strictEqual(reachesTcpPort("udp", f, t, p), "no");
                    },
                ),
            );
        });
    });

    describe("parseCidr / isWorldCidr", () => {
        const world = [
            "0.0.0.0/0",
            " 0.0.0.0/0 ",
            "::/0",
            "::0/0",
            "0::/0",
            "0:0:0:0:0:0:0:0/0",
            "0000:0000:0000:0000:0000:0000:0000:0000/0",
            "::ffff:0.0.0.0/0",
            "10.0.0.0/0",
            "2001:db8::/0",
            "::/00",
        ];
        for (const c of world) {
            it(`${JSON.stringify(c)} is the world`, () => assert.strictEqual(isWorldCidr(c), true));
        }
        const notWorld: unknown[] = [
            "0.0.0.0/1",
            "128.0.0.0/1",
            "::/1",
            "8000::/1",
            "0.0.0.0/32",
            "0.0.0.0",
            "::",
            "10.0.0.0/8",
            "0.0.0.0/33",
            "::/129",
            "1.2.3/0",
            "1.2.3.4.5/0",
            "256.0.0.0/0",
            ":::/0",
            "1::2::3/0",
            "g::/0",
            "/0",
            "",
            undefined,
            null,
            0,
            ["0.0.0.0/0"],
            "0.0.0.0/0/0",
            "0.0.0.0/-0",
        ];
        for (const c of notWorld) {
            it(`${JSON.stringify(c) ?? String(c)} is not the world`, () => assert.strictEqual(isWorldCidr(c), false));
        }

        it("parses IPv6 forms to the same network", () => {
            const a = parseCidr("2001:db8:0:0:0:0:0:1/128");
            const b = parseCidr("2001:DB8::1/128");
            const c = parseCidr("::ffff:192.0.2.1/128");
            const d = parseCidr("::ffff:c000:201/128");
            assert.ok(a && b && c && d);
            assert.strictEqual(a.network, b.network);
            assert.strictEqual(c.network, d.network);
        });

        it("clears host bits", () => {
            assert.deepStrictEqual(parseCidr("10.1.2.3/8"), parseCidr("10.0.0.0/8"));
        });

        it("any IPv4 or IPv6 address with prefix 0 is the world, any other prefix is not (property)", () => {
            const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
            const v6 = fc
                .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
                .map((g) => g.map((x) => x.toString(16)).join(":"));
            fc.assert(
                fc.property(fc.oneof(v4, v6), fc.nat(128), (addr, prefix) => {
                    const max = addr.includes(":") ? 128 : 32;
                    const p = prefix % (max + 1);
                    assert.strictEqual(isWorldCidr(`${addr}/${p}`), p === 0);
                }),
                { numRuns: 1000 },
            );
        });
    });

    describe("isPublicCidr", () => {
        const cases: [string, boolean][] = [
            ["0.0.0.0/0", true],
            ["::/0", true],
            ["0.0.0.0/1", true], // not the world, but public
            ["128.0.0.0/1", true],
            ["8.8.8.0/24", true],
            ["52.0.0.0/8", true],
            ["2600:1f18::/32", true],
            ["10.0.0.0/8", false],
            ["10.20.0.0/16", false],
            ["172.16.0.0/12", false],
            ["172.31.255.0/24", false],
            ["172.32.0.0/16", true], // just outside 172.16/12
            ["172.15.0.0/16", true],
            ["192.168.0.0/16", false],
            ["192.168.10.0/24", false],
            ["100.64.0.0/10", false],
            ["127.0.0.1/32", false],
            ["169.254.0.0/16", false],
            ["192.0.2.0/24", false],
            ["fd00::/8", false],
            ["fc00::/7", false],
            ["fe80::/10", false],
            ["::1/128", false],
            ["2001:db8::/32", false],
            ["10.0.0.0/7", true], // wider than 10/8: includes 11/8
            ["not-a-cidr", false],
        ];
        for (const [c, expected] of cases) {
            it(`${c}: ${expected ? "public" : "not public"}`, () => assert.strictEqual(isPublicCidr(c), expected));
        }

        it("cidrWithin compares networks of the same family only", () => {
            assert.strictEqual(cidrWithin(parseCidr("10.1.0.0/16")!, parseCidr("10.0.0.0/8")!), true);
            assert.strictEqual(cidrWithin(parseCidr("10.0.0.0/8")!, parseCidr("10.1.0.0/16")!), false);
            assert.strictEqual(cidrWithin(parseCidr("::/0")!, parseCidr("0.0.0.0/0")!), false);
        });
    });

    describe("ingressRulesOf", () => {
        it("reads inline ingress of a security group, IPv4 and IPv6 together, and ignores egress", () => {
            const rules = ingressRulesOf(T.securityGroup, {
                ingress: [
                    {
                        protocol: "tcp",
                        fromPort: 5432,
                        toPort: 5432,
                        cidrBlocks: ["10.0.0.0/16"],
                        ipv6CidrBlocks: ["::/0"],
                        self: true,
                    },
                ],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            });
            assert.deepStrictEqual(
                rules.map((r) => [r.location, r.cidrs]),
                [["ingress[0]", ["10.0.0.0/16", "::/0"]]],
            );
        });

        it("reads a SecurityGroupRule only when its type is ingress", () => {
            const base = { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] };
            assert.strictEqual(ingressRulesOf(T.securityGroupRule, { ...base, type: "ingress" }).length, 1);
            assert.strictEqual(ingressRulesOf(T.securityGroupRule, { ...base, type: "egress" }).length, 0);
            assert.strictEqual(ingressRulesOf(T.securityGroupRule, { ...base, type: null }).length, 0);
            assert.strictEqual(ingressRulesOf(T.securityGroupRule, base).length, 0);
        });

        it("reads a vpc SecurityGroupIngressRule's cidrIpv4/cidrIpv6/ipProtocol", () => {
            const [rule] = ingressRulesOf(T.securityGroupIngressRule, {
                ipProtocol: "6",
                fromPort: 5432,
                toPort: 5432,
                cidrIpv6: "::/0",
            });
            assert.deepStrictEqual([rule.protocol, rule.cidrs], ["6", ["::/0"]]);
        });

        it("returns nothing for unknown or malformed inputs, without throwing", () => {
            for (const props of [
                undefined,
                null,
                {},
                { ingress: null },
                { ingress: "x" },
                { ingress: [null, 3, "x"] },
            ]) {
                for (const type of [
                    T.securityGroup,
                    T.securityGroupRule,
                    T.securityGroupIngressRule,
                    "aws:s3/bucket:Bucket",
                ]) {
                    const rules = ingressRulesOf(type, props);
                    assert.deepStrictEqual(findExposures(rules, [5432], isWorldCidr), []);
                }
            }
        });
    });

    describe("describeRule", () => {
        it("names the protocol as written, the ports and all-traffic", () => {
            assert.strictEqual(
                describeRule({ location: "rule", protocol: "6", fromPort: 5000, toPort: 6000, cidrs: [] }),
                `protocol "6" (TCP), ports 5000-6000`,
            );
            assert.strictEqual(
                describeRule({ location: "rule", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrs: [] }),
                `protocol "tcp", port 5432`,
            );
            assert.strictEqual(
                describeRule({ location: "rule", protocol: "-1", fromPort: 0, toPort: 0, cidrs: [] }),
                `protocol "-1" (all traffic)`,
            );
        });
    });
});
