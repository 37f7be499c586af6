/**
 * Sign-in at the public entry through the whole program (`npm run plan`):
 * - examples/Pulumi.auth-cognito.yaml: lambda behind the HTTP API with a JWT authorizer;
 * - the same authorizer in front of ecs through the VPC link (a temporary stack), where the
 *   integration writes the caller's `sub` for the server and the open routes strip it;
 * - examples/Pulumi.ecs-alb-oidc.yaml: ecs behind the public ALB with OIDC sign-in;
 * - without sign-in nothing of it exists (the committed stacks plan as before: their URNs are
 *   pinned in test/plan/prod-urns.txt).
 */
import * as assert from "assert";
import * as path from "path";
import { parse } from "yaml";
import * as fs from "fs";
import type { PlanDocument } from "../../tools/run-plan";
import { type CliResult, planCli, planJson, ROOT, tempStackFile } from "../support/plan-cli";

type Res = PlanDocument["resources"][number];
const ROUTE = "aws:apigatewayv2/route:Route";
const AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer";
const INTEGRATION = "aws:apigatewayv2/integration:Integration";
const ofType = (doc: PlanDocument, type: string) => doc.resources.filter((r) => r.type === type);
const one = (doc: PlanDocument, type: string) => {
    const all = ofType(doc, type);
    assert.strictEqual(all.length, 1, `${type}: ${all.map((r) => r.name).join(", ")}`);
    return all[0]!;
};
const inputs = (r: Res) => r.inputs as Record<string, any>;
const byKey = (doc: PlanDocument) => new Map(ofType(doc, ROUTE).map((r) => [inputs(r).routeKey as string, inputs(r)]));
const integrationOf = (doc: PlanDocument, route: Record<string, any>) =>
    ofType(doc, INTEGRATION).find((i) => route.target === `integrations/${i.id}`);
const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI";
const CLIENT = "1example23456789abcdefghij";
const taskEnv = (doc: PlanDocument) =>
    (
        JSON.parse(inputs(one(doc, "aws:ecs/taskDefinition:TaskDefinition")).containerDefinitions)[0].environment as {
            name: string;
            value: string;
        }[]
    ).filter((e) => e.name === "CALLER_HEADERS");

const exampleConfig = (file: string) =>
    (parse(fs.readFileSync(path.join(ROOT, "examples", file), "utf8")) as { config: Record<string, any> }).config;

describe("sign-in at the public entry (npm run plan)", function () {
    this.timeout(240_000);
    let lambda: { doc: PlanDocument; result: CliResult };
    let ecsApi: { doc: PlanDocument; result: CliResult };
    let ecsApiOff: { doc: PlanDocument; result: CliResult };
    let alb: { doc: PlanDocument; result: CliResult };
    let albPlain: CliResult;
    let lambdaCors: { doc: PlanDocument; result: CliResult };
    let ec2Oidc: { doc: PlanDocument; result: CliResult };

    before(async () => {
        const cognito = exampleConfig("Pulumi.auth-cognito.yaml");
        const ecs = (api: Record<string, unknown> | undefined) => ({
            ...cognito,
            "private-app:network": { cidr: "10.50.0.0/16", azCount: 2, natGateways: "single" },
            "private-app:compute": {
                mode: "ecs",
                ingress: "apiGateway",
                ecs: { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/private-app:3f2c1e0" },
                ...(api ? { api } : {}),
            },
        });
        const oidc = exampleConfig("Pulumi.ecs-alb-oidc.yaml");
        const plain = structuredClone(oidc);
        plain["private-app:compute"].alb.oidc.clientSecret = "in-plain-text-0123";
        const withCors = structuredClone(cognito);
        withCors["private-app:compute"].api.corsAllowOrigins = ["https://app.example.com"];
        const ec2 = exampleConfig("Pulumi.ec2-alb.yaml");
        ec2["private-app:compute"].alb.oidc = oidc["private-app:compute"].alb.oidc;
        [lambda, ecsApi, ecsApiOff, alb, albPlain, lambdaCors, ec2Oidc] = await Promise.all([
            planJson(path.join(ROOT, "examples", "Pulumi.auth-cognito.yaml")),
            planJson(tempStackFile("ecs-jwt", ecs(cognito["private-app:compute"].api))),
            planJson(tempStackFile("ecs-open", ecs(undefined))),
            planJson(path.join(ROOT, "examples", "Pulumi.ecs-alb-oidc.yaml")),
            planCli([tempStackFile("alb-plain", plain), "--json"]),
            planJson(tempStackFile("jwt-cors", withCors)),
            planJson(tempStackFile("ec2-oidc", ec2)),
        ]);
    });

    describe("examples/Pulumi.auth-cognito.yaml: a JWT authorizer in front of the lambda mode", () => {
        it("exits 0 with every mandatory policy passing", () => {
            assert.strictEqual(lambda.result.code, 0, lambda.result.stderr);
            assert.deepStrictEqual(
                lambda.doc.violations.filter((v) => v.enforcementLevel === "mandatory"),
                [],
            );
        });

        it("one JWT authorizer: the pool's issuer, the app client as audience, the Authorization header", () => {
            const a = inputs(one(lambda.doc, AUTHORIZER));
            assert.strictEqual(a.authorizerType, "JWT");
            assert.deepStrictEqual(a.jwtConfiguration, { issuer: ISSUER, audiences: [CLIENT] });
            assert.deepStrictEqual(a.identitySources, ["$request.header.Authorization"]);
            assert.strictEqual(a.apiId, one(lambda.doc, "aws:apigatewayv2/api:Api").id);
        });

        it("attaches it to $default (a token, no scope) and to POST /api/notes (notes/write); the health paths stay open", () => {
            const routes = byKey(lambda.doc);
            const authorizerId = one(lambda.doc, AUTHORIZER).id;
            assert.deepStrictEqual([...routes.keys()].sort(), [
                "$default",
                "GET /health",
                "GET /health/live",
                "POST /api/notes",
            ]);
            const summary = (k: string) => {
                const r = routes.get(k)!;
                return [r.authorizationType, r.authorizerId ?? null, r.authorizationScopes ?? null];
            };
            assert.deepStrictEqual(summary("$default"), ["JWT", authorizerId, null]);
            assert.deepStrictEqual(summary("POST /api/notes"), ["JWT", authorizerId, ["notes/write"]]);
            assert.deepStrictEqual(summary("GET /health"), ["NONE", null, null]);
            assert.deepStrictEqual(summary("GET /health/live"), ["NONE", null, null]);
            // One Lambda integration for all: the claims travel in the event, which no client writes.
            assert.deepStrictEqual(new Set([...routes.values()].map((r) => r.target)).size, 1);
            assert.strictEqual(ofType(lambda.doc, INTEGRATION).length, 1);
        });

        it("with CORS: per-method catch-alls with the authorizer instead of $default, none for OPTIONS (preflights)", () => {
            assert.strictEqual(lambdaCors.result.code, 0, lambdaCors.result.stderr);
            const routes = byKey(lambdaCors.doc);
            const authorizerId = one(lambdaCors.doc, AUTHORIZER).id;
            assert.ok(!routes.has("$default"));
            for (const m of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]) {
                const r = routes.get(`${m} /{proxy+}`)!;
                assert.deepStrictEqual([r.authorizationType, r.authorizerId], ["JWT", authorizerId], m);
            }
            assert.deepStrictEqual(routes.get("POST /api/notes")!.authorizationScopes, ["notes/write"]);
            assert.strictEqual(routes.get("GET /health")!.authorizationType, "NONE");
            assert.ok(![...routes.keys()].some((k) => k.startsWith("OPTIONS")));
            assert.deepStrictEqual(
                inputs(one(lambdaCors.doc, "aws:apigatewayv2/api:Api")).corsConfiguration.allowOrigins,
                ["https://app.example.com"],
            );
        });

        it("keeps the $default route's name, so a stack that turns sign-in on updates it in place", () => {
            const route = ofType(lambda.doc, ROUTE).find((r) => inputs(r).routeKey === "$default")!;
            assert.strictEqual(route.name, "app-default");
        });
    });

    describe("the same authorizer in front of ecs (HTTP API, VPC link, internal ALB)", () => {
        it("exits 0, with the authorizer on $default and the health routes open", () => {
            assert.strictEqual(ecsApi.result.code, 0, ecsApi.result.stderr);
            const routes = byKey(ecsApi.doc);
            assert.strictEqual(routes.get("$default")!.authorizationType, "JWT");
            assert.deepStrictEqual(routes.get("POST /api/notes")!.authorizationScopes, ["notes/write"]);
            assert.strictEqual(routes.get("GET /health")!.authorizationType, "NONE");
        });

        it("the integration overwrites x-jwt-sub with the validated sub; the open routes' integration removes it", () => {
            const routes = byKey(ecsApi.doc);
            const signedIn = inputs(integrationOf(ecsApi.doc, routes.get("$default")!)!);
            assert.deepStrictEqual(signedIn.requestParameters, {
                "overwrite:header.x-jwt-sub": "$context.authorizer.claims.sub",
            });
            assert.strictEqual(integrationOf(ecsApi.doc, routes.get("POST /api/notes")!)!.name, "app-api");
            for (const key of ["GET /health", "GET /health/live"]) {
                const open = integrationOf(ecsApi.doc, routes.get(key)!)!;
                assert.strictEqual(open.name, "app-open");
                assert.deepStrictEqual(inputs(open).requestParameters, { "remove:header.x-jwt-sub": "" });
                assert.strictEqual(inputs(open).connectionId, signedIn.connectionId, "the same VPC link");
                assert.strictEqual(inputs(open).integrationUri, signedIn.integrationUri, "the same listener");
            }
        });

        it("tells the server to trust x-jwt-sub (CALLER_HEADERS=apiGatewayJwt)", () => {
            assert.deepStrictEqual(taskEnv(ecsApi.doc), [{ name: "CALLER_HEADERS", value: "apiGatewayJwt" }]);
        });

        it("without auth: no authorizer, one route, no mapping, and the server trusts no header", () => {
            const doc = ecsApiOff.doc;
            assert.strictEqual(ofType(doc, AUTHORIZER).length, 0);
            assert.deepStrictEqual(
                ofType(doc, ROUTE).map((r) => [r.name, inputs(r)]),
                [
                    [
                        "app-default",
                        {
                            apiId: inputs(one(doc, ROUTE)).apiId,
                            routeKey: "$default",
                            target: inputs(one(doc, ROUTE)).target,
                        },
                    ],
                ],
            );
            assert.strictEqual(inputs(one(doc, INTEGRATION)).requestParameters, undefined);
            assert.deepStrictEqual(taskEnv(doc), []);
        });
    });

    describe("examples/Pulumi.ecs-alb-oidc.yaml: OIDC sign-in at the public ALB", () => {
        it("exits 0, warning that the client secret is a secure value shown as [secret]", () => {
            assert.strictEqual(alb.result.code, 0, alb.result.stderr);
            assert.match(alb.result.stderr, /secure values of private-app:compute cannot be decrypted offline/);
        });

        it("the HTTPS listener signs in then forwards; only the client secret is shown as [secret], as the engine nests it", () => {
            const https = ofType(alb.doc, "aws:lb/listener:Listener")
                .map(inputs)
                .find((l) => l.port === 443)!;
            const tg = one(alb.doc, "aws:lb/targetGroup:TargetGroup");
            assert.deepStrictEqual(
                https.defaultActions.map((a: any) => [a.order, a.type]),
                [
                    [1, "authenticate-oidc"],
                    [2, "forward"],
                ],
            );
            const signIn = https.defaultActions[0].authenticateOidc;
            assert.strictEqual(signIn.clientSecret, "[secret]");
            assert.strictEqual(signIn.issuer, "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI");
            assert.strictEqual(signIn.onUnauthenticatedRequest, "authenticate");
            assert.match(https.defaultActions[1].targetGroupArn, new RegExp(`:targetgroup/${tg.name}-`));
            assert.strictEqual(
                JSON.stringify(alb.doc).match(/"\[secret\]"/g)?.length,
                1,
                "one secret in the whole plan",
            );
        });

        it("a rule forwards the health paths without sign-in", () => {
            const rule = inputs(one(alb.doc, "aws:lb/listenerRule:ListenerRule"));
            const tg = one(alb.doc, "aws:lb/targetGroup:TargetGroup");
            assert.match(rule.listenerArn, /:listener\/app\//);
            assert.strictEqual(rule.priority, 10);
            assert.deepStrictEqual(rule.conditions, [{ pathPattern: { values: ["/health", "/health/live"] } }]);
            assert.deepStrictEqual(rule.actions, [{ type: "forward", targetGroupArn: rule.actions[0].targetGroupArn }]);
            assert.match(rule.actions[0].targetGroupArn, new RegExp(`:targetgroup/${tg.name}-`));
        });

        it("the ALB may reach the IdP on 443 (its only egress besides the tasks' port)", () => {
            const lbGroup = inputs(one(alb.doc, "aws:lb/loadBalancer:LoadBalancer")).securityGroups[0];
            const egress = ofType(alb.doc, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
                .map(inputs)
                .filter((e) => e.securityGroupId === lbGroup)
                .map((e) => [e.ipProtocol, e.fromPort, e.toPort, e.cidrIpv4]);
            assert.deepStrictEqual(egress.sort(), [
                ["tcp", 443, 443, "0.0.0.0/0"],
                ["tcp", 8080, 8080, "10.60.0.0/16"],
            ]);
        });

        it("tells the server to trust the ALB's OIDC headers (CALLER_HEADERS=albOidc)", () => {
            assert.deepStrictEqual(taskEnv(alb.doc), [{ name: "CALLER_HEADERS", value: "albOidc" }]);
        });

        it("the ec2 mode behind the same ALB: sign-in first, and the unit tells the server to trust the ALB's headers", () => {
            assert.strictEqual(ec2Oidc.result.code, 0, ec2Oidc.result.stderr);
            const https = ofType(ec2Oidc.doc, "aws:lb/listener:Listener")
                .map(inputs)
                .find((l) => l.port === 443)!;
            assert.deepStrictEqual(
                https.defaultActions.map((a: any) => a.type),
                ["authenticate-oidc", "forward"],
            );
            assert.strictEqual(one(ec2Oidc.doc, "aws:lb/listenerRule:ListenerRule").name, "app-open-health");
            const userData = Buffer.from(
                String(inputs(one(ec2Oidc.doc, "aws:ec2/launchTemplate:LaunchTemplate")).userData),
                "base64",
            ).toString("utf8");
            assert.match(userData, /^Environment="CALLER_HEADERS=albOidc"$/m);
        });

        it("a client secret in plain text in the stack file: exit 2, naming the key, never the value", () => {
            assert.strictEqual(albPlain.code, 2, albPlain.stderr);
            assert.strictEqual(albPlain.stdout, "");
            assert.match(
                albPlain.stderr,
                /^private-app:compute\.alb\.oidc\.clientSecret: got "\[plain text, not shown\]"; must be a secure/m,
            );
            assert.ok(!albPlain.stderr.includes("in-plain-text-0123"), albPlain.stderr);
        });
    });
});
