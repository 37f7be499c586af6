import { strict as assert } from "assert";
import fc from "fast-check";
import {
    AZ_SLOTS,
    cidrContains,
    cidrsOverlap,
    formatIpv4,
    MIN_SUBNET_PREFIX,
    planSubnets,
    SubnetPlan,
    usableIps,
} from "../../lib/cidr";
import { parseIpv4Cidr } from "../../lib/aws-facts";

/** Every block of a plan: the subnets in use, the free slots and the spare. */
function allBlocks(plan: SubnetPlan): string[] {
    return [
        ...plan.azs.flatMap((a) => [a.public, a.private, a.isolated]),
        ...plan.freeSlots,
        ...(plan.spare ? [plan.spare] : []),
    ];
}

function sizeOf(cidr: string): number {
    return 2 ** (32 - parseIpv4Cidr(cidr)!.prefix);
}

/** A valid VPC range: a random network address with a prefix from /16 to /24. */
const vpcCidrs = fc
    .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 16, max: 24 }))
    .map(([address, prefix]) => {
        const base = address - (address % 2 ** (32 - prefix));
        return `${formatIpv4(base)}/${prefix}`;
    });
const azCounts = fc.constantFrom<2 | 3>(2, 3);

describe("lib/cidr", () => {
    describe("planSubnets: exact plans", () => {
        const cases: {
            cidr: string;
            azCount: 2 | 3;
            azs: [string, string, string][];
            freeSlots: string[];
            spare?: string;
            prefixes: [number, number, number];
        }[] = [
            {
                cidr: "10.0.0.0/16",
                azCount: 2,
                // [public, private, isolated]
                azs: [
                    ["10.0.128.0/21", "10.0.0.0/19", "10.0.160.0/21"],
                    ["10.0.136.0/21", "10.0.32.0/19", "10.0.168.0/21"],
                ],
                freeSlots: [
                    "10.0.64.0/19",
                    "10.0.96.0/19",
                    "10.0.144.0/21",
                    "10.0.152.0/21",
                    "10.0.176.0/21",
                    "10.0.184.0/21",
                ],
                spare: "10.0.192.0/18",
                prefixes: [21, 19, 21],
            },
            {
                cidr: "10.0.0.0/16",
                azCount: 3,
                azs: [
                    ["10.0.128.0/21", "10.0.0.0/19", "10.0.160.0/21"],
                    ["10.0.136.0/21", "10.0.32.0/19", "10.0.168.0/21"],
                    ["10.0.144.0/21", "10.0.64.0/19", "10.0.176.0/21"],
                ],
                freeSlots: ["10.0.96.0/19", "10.0.152.0/21", "10.0.184.0/21"],
                spare: "10.0.192.0/18",
                prefixes: [21, 19, 21],
            },
            {
                cidr: "192.168.7.0/24",
                azCount: 2,
                azs: [
                    ["192.168.7.128/28", "192.168.7.0/27", "192.168.7.192/28"],
                    ["192.168.7.144/28", "192.168.7.32/27", "192.168.7.208/28"],
                ],
                freeSlots: [
                    "192.168.7.64/27",
                    "192.168.7.96/27",
                    "192.168.7.160/28",
                    "192.168.7.176/28",
                    "192.168.7.224/28",
                    "192.168.7.240/28",
                ],
                prefixes: [28, 27, 28],
            },
            {
                cidr: "192.168.7.0/24",
                azCount: 3,
                azs: [
                    ["192.168.7.128/28", "192.168.7.0/27", "192.168.7.192/28"],
                    ["192.168.7.144/28", "192.168.7.32/27", "192.168.7.208/28"],
                    ["192.168.7.160/28", "192.168.7.64/27", "192.168.7.224/28"],
                ],
                freeSlots: ["192.168.7.96/27", "192.168.7.176/28", "192.168.7.240/28"],
                prefixes: [28, 27, 28],
            },
        ];
        for (const c of cases) {
            it(`${c.cidr} with ${c.azCount} AZs`, () => {
                const plan = planSubnets(c.cidr, c.azCount);
                assert.deepEqual(
                    plan.azs.map((a) => [a.public, a.private, a.isolated]),
                    c.azs,
                );
                assert.deepEqual(
                    plan.azs.map((a) => a.az),
                    c.azs.map((_, i) => i),
                );
                assert.deepEqual(plan.freeSlots, c.freeSlots);
                assert.equal(plan.spare, c.spare);
                assert.deepEqual([plan.prefixes.public, plan.prefixes.private, plan.prefixes.isolated], c.prefixes);
                assert.equal(plan.vpcCidr, c.cidr);
            });
        }

        it("documents the usable addresses of each tier (size minus the 5 AWS reserves)", () => {
            assert.deepEqual(planSubnets("10.0.0.0/16", 2).usableIps, { private: 8187, public: 2043, isolated: 2043 });
            assert.deepEqual(planSubnets("10.0.0.0/20", 2).usableIps, { private: 507, public: 123, isolated: 123 });
            assert.deepEqual(planSubnets("10.0.0.0/22", 2).usableIps, { private: 123, public: 27, isolated: 27 });
            assert.deepEqual(planSubnets("10.0.0.0/23", 2).usableIps, { private: 59, public: 11, isolated: 11 });
            assert.deepEqual(planSubnets("10.0.0.0/24", 2).usableIps, { private: 27, public: 11, isolated: 11 });
            assert.equal(usableIps(28), 11);
        });

        it("keeps a quarter of the VPC spare down to /23, and none for a /24", () => {
            assert.equal(planSubnets("10.0.0.0/16", 3).spare, "10.0.192.0/18");
            assert.equal(planSubnets("10.0.0.0/23", 3).spare, "10.0.1.128/25");
            assert.equal(planSubnets("10.0.0.0/24", 3).spare, undefined);
        });
    });

    describe("planSubnets: rejected input", () => {
        const bad: [string, unknown, RegExp][] = [
            ["10.0.0.0/15", 2, /must be \/16 to \/24/],
            ["10.0.0.0/25", 2, /must be \/16 to \/24/],
            ["10.0.1.0/16", 2, /host bits are set \(use the network address, e\.g\. 10\.0\.0\.0\/16\)/],
            ["10.0.0/16", 2, /expected an IPv4 CIDR/],
            ["300.0.0.0/16", 2, /expected an IPv4 CIDR/],
            ["10.0.0.0/16", 4, /azCount: got 4; expected 2 or 3/],
            ["10.0.0.0/16", 1, /azCount: got 1; expected 2 or 3/],
        ];
        for (const [cidr, azCount, message] of bad) {
            it(`rejects ${cidr} with ${azCount} AZs`, () => {
                assert.throws(() => planSubnets(cidr, azCount as 2 | 3), message);
            });
        }
    });

    describe("planSubnets: properties over random /16–/24 ranges", () => {
        it("every subnet lies inside the VPC, none overlaps another, each is /28 or larger", () => {
            fc.assert(
                fc.property(vpcCidrs, azCounts, (cidr, azCount) => {
                    const blocks = allBlocks(planSubnets(cidr, azCount));
                    for (const [i, b] of blocks.entries()) {
                        assert.ok(cidrContains(cidr, b), `${b} is outside ${cidr}`);
                        assert.ok(
                            parseIpv4Cidr(b)!.prefix <= MIN_SUBNET_PREFIX,
                            `${b} is smaller than /${MIN_SUBNET_PREFIX}`,
                        );
                        for (const other of blocks.slice(i + 1))
                            assert.ok(!cidrsOverlap(b, other), `${b} overlaps ${other}`);
                    }
                }),
            );
        });

        it("subnets, free slots and spare together cover the whole VPC", () => {
            fc.assert(
                fc.property(vpcCidrs, azCounts, (cidr, azCount) => {
                    const total = allBlocks(planSubnets(cidr, azCount)).reduce((s, b) => s + sizeOf(b), 0);
                    assert.equal(total, sizeOf(cidr));
                }),
            );
        });

        it("growing from 2 to 3 AZs moves nothing: AZ 0 and 1 keep their CIDRs, AZ 2 takes a free slot", () => {
            fc.assert(
                fc.property(vpcCidrs, (cidr) => {
                    const two = planSubnets(cidr, 2);
                    const three = planSubnets(cidr, 3);
                    assert.deepEqual(three.azs.slice(0, 2), two.azs);
                    for (const b of [three.azs[2].public, three.azs[2].private, three.azs[2].isolated]) {
                        assert.ok(two.freeSlots.includes(b), `${b} was not a free slot of the 2-AZ plan`);
                    }
                    assert.equal(three.spare, two.spare);
                    assert.equal(two.freeSlots.length, 3 * (AZ_SLOTS - 2));
                    assert.equal(three.freeSlots.length, 3 * (AZ_SLOTS - 3));
                }),
            );
        });

        it("the private tier is larger than the public and isolated tiers", () => {
            fc.assert(
                fc.property(vpcCidrs, azCounts, (cidr, azCount) => {
                    const { prefixes, azs } = planSubnets(cidr, azCount);
                    assert.ok(prefixes.private < prefixes.public && prefixes.private < prefixes.isolated);
                    assert.equal(azs.length, azCount);
                    for (const a of azs) {
                        assert.equal(parseIpv4Cidr(a.private)!.prefix, prefixes.private);
                        assert.equal(parseIpv4Cidr(a.public)!.prefix, prefixes.public);
                        assert.equal(parseIpv4Cidr(a.isolated)!.prefix, prefixes.isolated);
                    }
                }),
            );
        });
    });

    describe("helpers", () => {
        it("formatIpv4 formats what parseIpv4Cidr parses", () => {
            fc.assert(
                fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
                    assert.equal(parseIpv4Cidr(`${formatIpv4(n)}/32`)!.base, n);
                }),
            );
            assert.equal(formatIpv4(0), "0.0.0.0");
            assert.equal(formatIpv4(0xffffffff), "255.255.255.255");
            assert.equal(formatIpv4(0x0a000100), "10.0.1.0");
            assert.throws(() => formatIpv4(-1), /expected a whole number from 0 to 4294967295/);
            assert.throws(() => formatIpv4(2 ** 32), /expected a whole number/);
        });

        it("cidrContains", () => {
            assert.equal(cidrContains("10.0.0.0/16", "10.0.0.0/16"), true);
            assert.equal(cidrContains("10.0.0.0/16", "10.0.255.240/28"), true);
            assert.equal(cidrContains("10.0.0.0/16", "10.1.0.0/28"), false);
            assert.equal(cidrContains("10.0.0.0/24", "10.0.0.0/16"), false);
            assert.equal(cidrContains("0.0.0.0/0", "255.255.255.255/32"), true);
            assert.throws(() => cidrContains("10.0.0.1/16", "10.0.0.0/24"), /host bits are set/);
        });

        it("cidrsOverlap", () => {
            assert.equal(cidrsOverlap("10.0.0.0/16", "10.0.128.0/17"), true);
            assert.equal(cidrsOverlap("10.0.128.0/17", "10.0.0.0/16"), true);
            assert.equal(cidrsOverlap("10.0.0.0/17", "10.0.128.0/17"), false);
            assert.equal(cidrsOverlap("10.0.0.0/28", "10.0.0.16/28"), false);
            assert.equal(cidrsOverlap("0.0.0.0/0", "192.168.0.0/24"), true);
            assert.throws(() => cidrsOverlap("nope", "10.0.0.0/16"), /expected an IPv4 CIDR/);
        });

        it("cidrsOverlap agrees with containment for random aligned ranges", () => {
            const ranges = fc
                .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 32 }))
                .map(([a, p]) => `${formatIpv4(a - (a % 2 ** (32 - p)))}/${p}`);
            fc.assert(
                fc.property(ranges, ranges, (a, b) => {
                    // Aligned CIDR blocks either nest or are disjoint.
                    assert.equal(cidrsOverlap(a, b), cidrContains(a, b) || cidrContains(b, a));
                }),
            );
        });
    });
});
