/**
 * `lb-http-redirects-to-https` (stack): HTTP listeners must redirect once the stack has TLS.
 */
import * as assert from "assert";
import { lbHttpRedirectsToHttps } from "../../policy-pack/policies/network";
import { T } from "../../policy-pack/lib/types";
import { runStackPolicy, StackResource, urnOf } from "./util";

const redirect = { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } };
const forward = { type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/app/1" };

function stack(httpActions: unknown[] | null, extra: StackResource[] = []): StackResource[] {
    return [
        {
            type: T.acmCertificate,
            name: "cert",
            id: "arn:aws:acm:eu-west-1:1:certificate/1",
            props: { domainName: "app.example.com" },
        },
        {
            type: T.lbListener,
            name: "https",
            id: "l-1",
            props: {
                loadBalancerArn: "lb",
                port: 443,
                protocol: "HTTPS",
                certificateArn: "arn:aws:acm:eu-west-1:1:certificate/1",
                defaultActions: [forward],
            },
        },
        {
            type: T.lbListener,
            name: "http",
            id: "l-2",
            props: { loadBalancerArn: "lb", port: 80, protocol: "HTTP", defaultActions: httpActions },
        },
        ...extra,
    ];
}

describe("lb-http-redirects-to-https", () => {
    const p = lbHttpRedirectsToHttps;

    it("is mandatory", () => assert.strictEqual(p.enforcementLevel, "mandatory"));

    it("passes an HTTP listener that redirects to HTTPS", async () => {
        assert.deepStrictEqual(await runStackPolicy(p, stack([redirect])), { violations: [] });
    });

    it("flags an HTTP listener that forwards", async () => {
        const out = await runStackPolicy(p, stack([forward]));
        assert.deepStrictEqual(out.violations, [
            {
                urn: urnOf(T.lbListener, "http"),
                message:
                    'Load Balancer Listener must redirect HTTP to HTTPS: port 80 (HTTP) has default action "forward", and the stack has a TLS certificate.',
            },
        ]);
    });

    it("flags a redirect to plain HTTP", async () => {
        const out = await runStackPolicy(
            p,
            stack([{ type: "redirect", redirect: { protocol: "HTTP", port: "8080", statusCode: "HTTP_302" } }]),
        );
        assert.strictEqual(out.violations.length, 1);
    });

    it("treats a listener without protocol as HTTP (the ALB default) and checks the alb alias type too", async () => {
        const resources = stack(
            [redirect],
            [{ type: T.albListener, name: "legacy", id: "l-3", props: { port: 80, defaultActions: [forward] } }],
        );
        const out = await runStackPolicy(p, resources);
        assert.deepStrictEqual(
            out.violations.map((v) => v.urn),
            [urnOf(T.albListener, "legacy")],
        );
    });

    it("is not applicable without a certificate", async () => {
        const resources = stack([forward])
            .filter((r) => r.type !== T.acmCertificate)
            .map((r) =>
                r.name === "https" ? { ...r, props: { port: 8080, protocol: "HTTP", defaultActions: [forward] } } : r,
            );
        const out = await runStackPolicy(p, resources);
        assert.deepStrictEqual(out.violations, []);
        assert.ok(out.notApplicable?.includes("no TLS certificate"));
    });

    it("is not applicable without listeners", async () => {
        const out = await runStackPolicy(p, [{ type: T.acmCertificate, name: "cert", props: {} }]);
        assert.ok(out.notApplicable);
    });

    it("ignores other ports and protocols unless configured", async () => {
        const resources = stack(
            [redirect],
            [{ type: T.lbListener, name: "alt", props: { port: 8080, protocol: "HTTP", defaultActions: [forward] } }],
        );
        assert.deepStrictEqual((await runStackPolicy(p, resources)).violations, []);
        assert.strictEqual(
            (await runStackPolicy(p, resources, { config: { ports: [80, 8080] } })).violations.length,
            1,
        );
        const tcp = stack(
            [redirect],
            [{ type: T.lbListener, name: "nlb", props: { port: 80, protocol: "TCP", defaultActions: [forward] } }],
        );
        assert.deepStrictEqual((await runStackPolicy(p, tcp)).violations, []);
    });

    it("never flags unknown actions, ports or protocols", async () => {
        for (const actions of [null, [null], [{ type: null }], [{ type: "redirect", redirect: { protocol: null } }]]) {
            assert.deepStrictEqual(
                (await runStackPolicy(p, stack(actions as unknown[] | null))).violations,
                [],
                JSON.stringify(actions),
            );
        }
        const unknownPort = stack([forward]).map((r) =>
            r.name === "http" ? { ...r, props: { ...r.props, port: null } } : r,
        );
        assert.deepStrictEqual((await runStackPolicy(p, unknownPort)).violations, []);
    });
});
