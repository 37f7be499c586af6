/**
 * `no-ssh-ingress`: a passing fixture, then one change per failing case, in each of the kinds
 * of resource that declare ingress; exact on protocol spellings and port ranges.
 */
import * as assert from "assert";
import { T } from "../../policy-pack/lib/types";
import { noSshIngress } from "../../policy-pack/policies/network";
import { assertOneViolation, assertPasses, runResourcePolicy, UNKNOWN_WIRE } from "./util";

/** The instances' rule of the ec2 mode: the app port from the load balancer's group. */
const APP_RULE = {
    securityGroupId: "sg-instance",
    ipProtocol: "tcp",
    fromPort: 8080,
    toPort: 8080,
    referencedSecurityGroupId: "sg-lb",
};

describe("policy no-ssh-ingress", function () {
    this.timeout(60_000);

    it("is mandatory, with port 22 by default", () => {
        assert.strictEqual(noSshIngress.enforcementLevel, "mandatory");
        assert.deepStrictEqual((noSshIngress.configSchema!.properties as any).ports.default, [22]);
    });

    it("passes the app's rule, UDP 22, and ranges beside 22", async () => {
        assertPasses(await runResourcePolicy(noSshIngress, T.securityGroupIngressRule, APP_RULE));
        for (const change of [
            { ipProtocol: "udp", fromPort: 22, toPort: 22 },
            { ipProtocol: "17", fromPort: 0, toPort: 65535 },
            { ipProtocol: "icmp", fromPort: -1, toPort: -1 },
            { fromPort: 23, toPort: 1024 },
            { fromPort: 1, toPort: 21 },
            { fromPort: UNKNOWN_WIRE, toPort: UNKNOWN_WIRE },
        ])
            assertPasses(
                await runResourcePolicy(noSshIngress, T.securityGroupIngressRule, { ...APP_RULE, ...change }),
                true,
            );
    });

    it("fails 22 from a security group, a range holding 22, all traffic, and TCP spelled 6", async () => {
        for (const change of [
            { fromPort: 22, toPort: 22 },
            { fromPort: 0, toPort: 65535 },
            { ipProtocol: "-1", fromPort: 0, toPort: 0 },
            { ipProtocol: "6", fromPort: 20, toPort: 30 },
            { fromPort: 22, toPort: 22, referencedSecurityGroupId: undefined, cidrIpv4: "10.0.0.0/8" },
        ])
            assertOneViolation(
                await runResourcePolicy(noSshIngress, T.securityGroupIngressRule, { ...APP_RULE, ...change }),
                "must not allow ingress to port 22",
            );
    });

    it("reads inline group rules and SecurityGroupRule of type ingress only", async () => {
        assertOneViolation(
            await runResourcePolicy(noSshIngress, T.securityGroup, {
                ingress: [
                    { protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: ["sg-lb"] },
                    { protocol: "tcp", fromPort: 22, toPort: 22, self: true },
                ],
            }),
            'ingress[1] allows protocol "tcp", port 22',
        );
        const rule = {
            protocol: "tcp",
            fromPort: 22,
            toPort: 22,
            sourceSecurityGroupId: "sg-x",
            securityGroupId: "sg-y",
        };
        assertOneViolation(await runResourcePolicy(noSshIngress, T.securityGroupRule, { ...rule, type: "ingress" }));
        assertPasses(await runResourcePolicy(noSshIngress, T.securityGroupRule, { ...rule, type: "egress" }));
    });

    it("takes other shell ports from its config", async () => {
        const rdp = { ...APP_RULE, fromPort: 3389, toPort: 3389 };
        assertPasses(await runResourcePolicy(noSshIngress, T.securityGroupIngressRule, rdp));
        assertOneViolation(
            await runResourcePolicy(noSshIngress, T.securityGroupIngressRule, rdp, { config: { ports: [22, 3389] } }),
            "port 3389",
        );
    });
});
