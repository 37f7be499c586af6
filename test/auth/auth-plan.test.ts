/**
 * The sign-in planner (lib/auth-plan.ts) on its own: the routes a JWT authorizer plan gives,
 * the names they get, the rules on issuer / audiences / route keys / scopes, the ALB OIDC rules,
 * and which headers the app may trust per entry.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { HEALTH_PATHS } from "../../app/contract";
import {
    JWT_AUTH_DEFAULTS,
    ALB_OIDC_DEFAULTS,
    albOidcAction,
    callerSource,
    identityHeaderMapping,
    identityHeaderRemoval,
    isHttpsUrl,
    JWT_IDENTITY_SOURCE,
    OPEN_ROUTE_KEYS,
    planAlbOidc,
    planJwtAuth,
    redactAlbOptions,
    routeName,
    type AlbOidcOptions,
} from "../../lib/auth-plan";
import { planCompute } from "../../lib/compute-plan";
import { ConfigError, parseConfig } from "../../lib/config";

const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI";
const OIDC: AlbOidcOptions = {
    issuer: ISSUER,
    authorizationEndpoint: "https://auth.example.com/oauth2/authorize",
    tokenEndpoint: "https://auth.example.com/oauth2/token",
    userInfoEndpoint: "https://auth.example.com/oauth2/userInfo",
    clientId: "client-1",
    clientSecret: "s3cr3t-client-value",
};
const keys = (problems: readonly { key: string }[]) => problems.map((p) => p.key);

describe("auth plan: the HTTP API's JWT authorizer", () => {
    it("leaves the health paths of the app's contract open, and scopes the listed routes", () => {
        const { plan, problems } = planJwtAuth({
            issuer: ISSUER,
            audiences: ["client-1", "client-2"],
            routes: [
                { route: "POST /api/notes", scopes: ["notes/write"] },
                { route: "DELETE /api/notes/{id}", scopes: ["notes/admin", "notes/write"] },
            ],
        });
        assert.deepStrictEqual(problems, []);
        assert.strictEqual(plan!.identitySource, "$request.header.Authorization");
        assert.strictEqual(plan!.identitySource, JWT_IDENTITY_SOURCE);
        assert.deepStrictEqual(plan!.audiences, ["client-1", "client-2"]);
        assert.deepStrictEqual(
            plan!.routes.map((r) => [r.routeKey, r.authorization, r.scopes, r.open, r.name]),
            [
                [`GET ${HEALTH_PATHS.readiness}`, "NONE", [], true, "route-get-health"],
                [`GET ${HEALTH_PATHS.liveness}`, "NONE", [], true, "route-get-health-live"],
                ["POST /api/notes", "JWT", ["notes/write"], false, "route-post-api-notes"],
                ["DELETE /api/notes/{id}", "JWT", ["notes/admin", "notes/write"], false, "route-delete-api-notes-id"],
            ],
        );
        assert.deepStrictEqual(OPEN_ROUTE_KEYS, ["GET /health", "GET /health/live"]);
    });

    it("without routes: only the open health routes (the $default route needs a token)", () => {
        const { plan } = planJwtAuth({ issuer: ISSUER, audiences: ["a"] });
        assert.deepStrictEqual(
            plan!.routes.map((r) => r.routeKey),
            ["GET /health", "GET /health/live"],
        );
    });

    const bad: [string, Parameters<typeof planJwtAuth>[0], string[]][] = [
        ["an http issuer", { issuer: "http://idp.example.com", audiences: ["a"] }, ["issuer"]],
        ["an issuer with a query", { issuer: `${ISSUER}?x=1`, audiences: ["a"] }, ["issuer"]],
        ["no audience", { issuer: ISSUER, audiences: [] }, ["audiences"]],
        [
            "a blank audience and a repeat",
            { issuer: ISSUER, audiences: ["a", " ", "a"] },
            ["audiences[1]", "audiences[2]"],
        ],
        [
            "route keys AWS does not accept",
            {
                issuer: ISSUER,
                audiences: ["a"],
                routes: [
                    { route: "post /api/notes", scopes: ["s"] },
                    { route: "POST api/notes", scopes: ["s"] },
                    { route: "GET /api/{proxy+}/x", scopes: ["s"] },
                    { route: "$default", scopes: ["s"] },
                ],
            },
            ["routes[0].route", "routes[1].route", "routes[2].route", "routes[3].route"],
        ],
        [
            "a health route, a repeat, and bad scopes",
            {
                issuer: ISSUER,
                audiences: ["a"],
                routes: [
                    { route: "GET /health/live", scopes: ["s"] },
                    { route: "POST /api/notes", scopes: ["s"] },
                    { route: "POST /api/notes", scopes: ["t"] },
                    { route: "PUT /api/notes/{id}", scopes: ["has space"] },
                ],
            },
            ["routes[0].route", "routes[2].route", "routes[3].scopes"],
        ],
    ];
    for (const [what, options, expected] of bad) {
        it(`refuses ${what}`, () => {
            const r = planJwtAuth(options);
            assert.deepStrictEqual(keys(r.problems), expected);
            assert.strictEqual(r.plan, undefined);
        });
    }

    it("accepts greedy paths, path parameters and ANY", () => {
        const r = planJwtAuth({
            issuer: ISSUER,
            audiences: ["a"],
            routes: [
                { route: "ANY /admin/{proxy+}", scopes: ["admin"] },
                { route: "PATCH /api/notes/{id}", scopes: ["notes/write"] },
                { route: "GET /", scopes: ["read"] },
            ],
        });
        assert.deepStrictEqual(r.problems, []);
        assert.deepStrictEqual(
            r.plan!.routes.slice(2).map((x) => x.name),
            ["route-any-admin-proxy", "route-patch-api-notes-id", "route-get"],
        );
    });

    it("with CORS: no $default catch-all but one per method except OPTIONS, so preflights get API Gateway's answer", () => {
        const plain = planJwtAuth({ issuer: ISSUER, audiences: ["a"] }).plan!;
        assert.strictEqual(plain.catchAll, "default");
        const { plan } = planJwtAuth(
            { issuer: ISSUER, audiences: ["a"], routes: [{ route: "POST /{proxy+}", scopes: ["write"] }] },
            { cors: true },
        );
        assert.strictEqual(plan!.catchAll, "perMethod");
        assert.deepStrictEqual(
            plan!.routes.map((r) => [r.routeKey, r.authorization, r.scopes]),
            [
                ["GET /health", "NONE", []],
                ["GET /health/live", "NONE", []],
                ["POST /{proxy+}", "JWT", ["write"]],
                ["GET /{proxy+}", "JWT", []],
                ["HEAD /{proxy+}", "JWT", []],
                ["PUT /{proxy+}", "JWT", []],
                ["PATCH /{proxy+}", "JWT", []],
                ["DELETE /{proxy+}", "JWT", []],
            ],
        );
        assert.ok(!plan!.routes.some((r) => r.routeKey.startsWith("OPTIONS")));
    });

    it("names a route after its key, stably", () => {
        assert.strictEqual(routeName("POST /api/notes"), "route-post-api-notes");
        assert.strictEqual(routeName("GET /health/live"), "route-get-health-live");
    });

    it("maps the validated sub into the identity header (overwriting), and removes it on open routes", () => {
        assert.deepStrictEqual(identityHeaderMapping("x-jwt-sub"), {
            "overwrite:header.x-jwt-sub": "$context.authorizer.claims.sub",
        });
        assert.deepStrictEqual(identityHeaderRemoval("x-jwt-sub"), { "remove:header.x-jwt-sub": "" });
    });

    it("is validated with the rest of the stack config, under compute.api.auth", () => {
        assert.throws(
            () =>
                parseConfig({
                    network: {},
                    database: { engine: "postgres" },
                    compute: { mode: "lambda", api: { auth: { issuer: "idp.example.com", audiences: ["a"] } } },
                }),
            (e: unknown) =>
                ConfigError.isInstance(e) &&
                e.problems.some((p) => p.startsWith('private-app:compute.api.auth.issuer: got "idp.example.com"')),
        );
    });
});

describe("auth plan: OIDC sign-in at the public ALB", () => {
    it("accepts a complete provider with a secure client secret, and fills the defaults", () => {
        assert.deepStrictEqual(planAlbOidc(OIDC, { clientSecretIsSecure: true }), []);
        const action = albOidcAction(OIDC, "SECRET");
        assert.deepStrictEqual(action, {
            issuer: OIDC.issuer,
            authorizationEndpoint: OIDC.authorizationEndpoint,
            tokenEndpoint: OIDC.tokenEndpoint,
            userInfoEndpoint: OIDC.userInfoEndpoint,
            clientId: "client-1",
            clientSecret: "SECRET",
            scope: "openid",
            sessionTimeout: 604800,
            onUnauthenticatedRequest: "authenticate",
        });
        assert.deepStrictEqual(ALB_OIDC_DEFAULTS, {
            scope: "openid",
            sessionTimeoutSeconds: 604800,
            onUnauthenticatedRequest: "authenticate",
        });
    });

    it("refuses a client secret kept in plain text, without echoing it", () => {
        const problems = planAlbOidc(OIDC, { clientSecretIsSecure: false });
        assert.deepStrictEqual(keys(problems), ["clientSecret"]);
        assert.ok(!JSON.stringify(problems).includes(OIDC.clientSecret), "the secret is echoed");
    });

    it("refuses http endpoints, scopes without openid, a session over 7 days, and allow", () => {
        const problems = planAlbOidc(
            {
                ...OIDC,
                issuer: "http://idp",
                userInfoEndpoint: "not a url",
                scope: "email profile",
                sessionTimeoutSeconds: 604801,
                onUnauthenticatedRequest: "allow" as never,
            },
            { clientSecretIsSecure: true },
        );
        assert.deepStrictEqual(keys(problems), [
            "issuer",
            "userInfoEndpoint",
            "scope",
            "sessionTimeoutSeconds",
            "onUnauthenticatedRequest",
        ]);
    });

    it("masks the client secret wherever the ALB options are shown in a problem", () => {
        const shown = redactAlbOptions({ certificateArn: "x", oidc: OIDC });
        assert.strictEqual(shown.oidc.clientSecret, "[secret]");
        assert.strictEqual(OIDC.clientSecret, "s3cr3t-client-value", "the original is untouched");
        // A problem that shows the whole alb object (alb with another ingress) gives it redacted.
        const r = planCompute(
            { mode: "ecs", ingress: "apiGateway", alb: { oidc: OIDC } },
            { pausableDatabase: false, clientSecretIsSecure: true },
        );
        const albProblem = r.problems.find((p) => p.key === "alb");
        assert.deepStrictEqual(albProblem?.given, { oidc: { ...OIDC, clientSecret: "[secret]" } });
        assert.ok(!JSON.stringify(r.problems).includes(OIDC.clientSecret));
    });

    it("isHttpsUrl: https with a host, no query or fragment", () => {
        assert.ok(isHttpsUrl("https://idp.example.com/path"));
        for (const v of ["http://idp", "https://", "https://idp?x", "https://idp#f", "ftp://idp", 3, undefined])
            assert.ok(!isHttpsUrl(v), String(v));
    });
});

describe("auth plan: which sign-in headers the app trusts", () => {
    it("only the headers the entry in front of it writes; none without sign-in", () => {
        assert.strictEqual(callerSource({ ingress: "apiGateway", apiAuth: true, albOidc: false }), "apiGatewayJwt");
        assert.strictEqual(callerSource({ ingress: "apiGateway", apiAuth: false, albOidc: false }), "none");
        assert.strictEqual(callerSource({ ingress: "alb", apiAuth: false, albOidc: true }), "albOidc");
        assert.strictEqual(callerSource({ ingress: "alb", apiAuth: false, albOidc: false }), "none");
    });
});

describe("auth plan: documented defaults", () => {
    /** `@default` tags of an interface of lib/auth-plan.ts, by property (optional ones only). */
    function tags(name: string): Map<string, string | undefined> {
        const file = path.join(__dirname, "..", "..", "lib", "auth-plan.ts");
        const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
        const out = new Map<string, string | undefined>();
        source.forEachChild((node) => {
            if (!ts.isInterfaceDeclaration(node) || node.name.text !== name) return;
            for (const m of node.members) {
                if (!ts.isPropertySignature(m) || m.questionToken === undefined) continue;
                const tag = ts.getJSDocTags(m).find((t) => t.tagName.text === "default");
                out.set(m.name.getText(source), tag && ts.getTextOfJSDocComment(tag.comment)?.trim());
            }
        });
        assert.ok(out.size > 0, `${name} not found`);
        return out;
    }
    for (const [name, defaults] of [
        ["JwtAuthOptions", JWT_AUTH_DEFAULTS],
        ["AlbOidcOptions", ALB_OIDC_DEFAULTS],
    ] as const) {
        it(`${name}: every optional field documents the default the code applies`, () => {
            const docs = tags(name);
            assert.deepStrictEqual([...docs.keys()].sort(), Object.keys(defaults).sort());
            for (const [key, tag] of docs) {
                assert.ok(tag !== undefined, `${key} has no @default`);
                assert.deepStrictEqual(JSON.parse(tag), (defaults as Record<string, unknown>)[key], key);
            }
        });
    }
});
