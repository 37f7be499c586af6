/**
 * The app reads who signed in at the public entry (app/src/caller.ts, GET /api/me):
 * - through the Lambda handler, from real-shaped HTTP API payload 2.0 events whose
 *   `requestContext.authorizer.jwt` API Gateway's JWT authorizer filled (as typed by
 *   `APIGatewayProxyEventV2WithJWTAuthorizer` in @types/aws-lambda);
 * - through the real HTTP server, from the headers its entry writes, and only when
 *   `CALLER_HEADERS` says which entry is in front: a header a client sends to a server that
 *   does not expect it names nobody.
 * The notes store is in memory: no database is needed.
 */
import { strict as assert } from "node:assert";
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import type { CallerSource } from "../../app/contract";
import type { App } from "../../app/src/app";
import { callerFromAuthorizer, callerFromHeaders, decodeJwtPayload } from "../../app/src/caller";
import { loadApiConfig } from "../../app/src/config";
import type { Database } from "../../app/src/db";
import { createLambdaHandler } from "../../app/src/lambda";
import { silentLogger } from "../../app/src/log";
import type { Note, NotesRepository } from "../../app/src/notes";
import { handleRequest } from "../../app/src/routes";
import { type RunningServer, startServer } from "../../app/src/server";

class MemoryNotes implements NotesRepository {
    notes: Note[] = [];
    async list(limit: number): Promise<Note[]> {
        return [...this.notes].reverse().slice(0, limit);
    }
    async create(text: string): Promise<Note> {
        const note = { id: this.notes.length + 1, text, createdAt: "2026-12-03T08:00:00.000Z" };
        this.notes.push(note);
        return note;
    }
    async get(id: number): Promise<Note | undefined> {
        return this.notes.find((n) => n.id === id);
    }
}

function memoryApp(callerSource?: CallerSource): App {
    const deps = { notes: new MemoryNotes(), checkDatabase: async () => true, log: silentLogger };
    return {
        handle: (req) => handleRequest(req, deps),
        db: undefined as unknown as Database,
        log: silentLogger,
        callerSource,
        close: async () => undefined,
    };
}

const SUB = "3f1c2b7e-8a4d-4e5f-9c6b-0a1b2c3d4e5f";
const CLIENT = "1example23456789abcdefghij";

/** A payload 2.0 event as API Gateway sends it for a route with the JWT authorizer (a Cognito access token). */
function signedInEvent(
    method: string,
    rawPath: string,
    routeKey: string,
    scopes: string[] | null,
    headers: Record<string, string> = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
    return {
        version: "2.0",
        routeKey,
        rawPath,
        rawQueryString: "",
        headers: { authorization: "Bearer eyJraWQiOi...", ...headers },
        requestContext: {
            accountId: "123456789012",
            apiId: "api",
            authorizer: {
                principalId: "",
                integrationLatency: 0,
                jwt: {
                    // API Gateway passes every claim as a string.
                    claims: {
                        sub: SUB,
                        iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI",
                        client_id: CLIENT,
                        token_use: "access",
                        scope: "notes/write openid",
                        auth_time: "1764748800",
                        exp: "1764752400",
                        iat: "1764748800",
                        username: "ada",
                    },
                    scopes: scopes as string[],
                },
            },
            domainName: "x.execute-api.eu-west-1.amazonaws.com",
            domainPrefix: "x",
            http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
            requestId: "req-1",
            routeKey,
            stage: "$default",
            time: "03/Dec/2026:08:00:00 +0000",
            timeEpoch: 1764748800000,
        },
        isBase64Encoded: false,
    };
}

/** An event of an open route (no authorizer in the context), with whatever headers the client sent. */
function openEvent(method: string, rawPath: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
    const e = signedInEvent(method, rawPath, `${method} ${rawPath}`, null, headers) as unknown as {
        requestContext: Record<string, unknown>;
    };
    delete e.requestContext.authorizer;
    return e as unknown as APIGatewayProxyEventV2;
}

const bodyOf = (r: { body?: string }) => JSON.parse(r.body ?? "{}") as Record<string, unknown>;

describe("the caller, as the public entry established it", () => {
    describe("Lambda (HTTP API payload 2.0, JWT authorizer)", () => {
        const handler = createLambdaHandler(() => memoryApp());

        it("GET /api/me returns the validated token's subject, scopes and claims", async () => {
            const r = await handler(signedInEvent("GET", "/api/me", "$default", null));
            assert.equal(r.statusCode, 200);
            const me = bodyOf(r);
            assert.equal(me.subject, SUB);
            assert.equal(me.via, "apiGatewayJwt");
            // $default has no authorization scopes, so API Gateway lists none: the scope claim is used.
            assert.deepEqual(me.scopes, ["notes/write", "openid"]);
            assert.equal((me.claims as Record<string, string>).client_id, CLIENT);
            assert.equal((me.claims as Record<string, string>).username, "ada");
        });

        it("on a scoped route the scopes API Gateway matched are the caller's scopes", async () => {
            const event = signedInEvent("POST", "/api/notes", "POST /api/notes", ["notes/write"], {
                "content-type": "application/json",
            });
            const r = await handler({ ...event, body: JSON.stringify({ text: "signed in" }) });
            assert.equal(r.statusCode, 201);
            const caller = callerFromAuthorizer(
                signedInEvent("POST", "/api/notes", "POST /api/notes", ["notes/write"]).requestContext.authorizer,
            );
            assert.deepEqual(caller?.scopes, ["notes/write"]);
        });

        it("an open route carries no authorizer: nobody, even with identity headers sent by the client", async () => {
            const r = await handler(
                openEvent("GET", "/api/me", { "x-jwt-sub": "mallory", "x-amzn-oidc-identity": "mallory" }),
            );
            assert.equal(r.statusCode, 401);
            assert.equal(bodyOf(r).error, "unauthenticated");
            const health = await handler(openEvent("GET", "/health/live"));
            assert.equal(health.statusCode, 200);
        });

        it("claims without a usable sub name nobody", () => {
            assert.equal(callerFromAuthorizer({ jwt: { claims: { iss: "x" }, scopes: null } }), undefined);
            assert.equal(callerFromAuthorizer({ jwt: { claims: { sub: "" } } }), undefined);
            assert.equal(callerFromAuthorizer({ jwt: { claims: { sub: "x".repeat(300) } } }), undefined);
            assert.equal(callerFromAuthorizer(undefined), undefined);
        });
    });

    describe("the HTTP server (container modes), by CALLER_HEADERS", () => {
        const servers: RunningServer[] = [];
        after(async () => {
            for (const s of servers) await s.shutdown(1000);
        });
        async function get(source: CallerSource | undefined, headers: Record<string, string>) {
            const running = await startServer(memoryApp(source), 0, "127.0.0.1");
            servers.push(running);
            const res = await fetch(`http://127.0.0.1:${running.port}/api/me`, { headers });
            return { status: res.status, body: (await res.json()) as Record<string, unknown> };
        }
        const albData = (claims: Record<string, unknown>) =>
            [
                Buffer.from(
                    JSON.stringify({
                        alg: "ES256",
                        kid: "k1",
                        signer: "arn:aws:elasticloadbalancing:...",
                        iss: "https://idp",
                        client: "c",
                        exp: 1764752400,
                    }),
                ).toString("base64url"),
                Buffer.from(JSON.stringify(claims)).toString("base64url"),
                "c2lnbmF0dXJl",
            ].join(".");

        it("without sign-in (unset or none) it trusts no header: a client cannot name itself", async () => {
            for (const source of [undefined, "none"] as const) {
                const r = await get(source, { "x-jwt-sub": "mallory", "x-amzn-oidc-identity": "mallory" });
                assert.equal(r.status, 401, String(source));
            }
        });

        it("behind the HTTP API's JWT authorizer it reads x-jwt-sub, written by the integration", async () => {
            const r = await get("apiGatewayJwt", { "x-jwt-sub": SUB });
            assert.equal(r.status, 200);
            assert.deepEqual(r.body, { subject: SUB, scopes: [], via: "apiGatewayJwt", claims: { sub: SUB } });
            // The ALB's headers mean nothing there.
            assert.equal((await get("apiGatewayJwt", { "x-amzn-oidc-identity": SUB })).status, 401);
        });

        it("behind the ALB's OIDC sign-in it reads x-amzn-oidc-identity and the claims of x-amzn-oidc-data", async () => {
            const r = await get("albOidc", {
                "x-amzn-oidc-identity": SUB,
                "x-amzn-oidc-data": albData({ sub: SUB, email: "ada@example.com", email_verified: "true" }),
                "x-amzn-oidc-accesstoken": "eyJ...",
            });
            assert.equal(r.status, 200);
            assert.deepEqual(r.body, {
                subject: SUB,
                scopes: [],
                via: "albOidc",
                claims: { sub: SUB, email: "ada@example.com", email_verified: "true" },
            });
            // Claims of another subject are ignored; the identity stands alone.
            const other = await get("albOidc", {
                "x-amzn-oidc-identity": SUB,
                "x-amzn-oidc-data": albData({ sub: "someone-else", email: "eve@example.com" }),
            });
            assert.deepEqual(other.body.claims, { sub: SUB });
            assert.equal((await get("albOidc", { "x-jwt-sub": SUB })).status, 401);
        });

        it("decodes only well-formed JWT payloads", () => {
            assert.equal(decodeJwtPayload("not-a-jwt"), undefined);
            assert.equal(decodeJwtPayload("a.!!!.c"), undefined);
            assert.equal(decodeJwtPayload(`a.${Buffer.from("[1]").toString("base64url")}.c`), undefined);
            assert.deepEqual(decodeJwtPayload(`a.${Buffer.from('{"sub":"x"}').toString("base64url")}.c`), { sub: "x" });
            assert.equal(callerFromHeaders({}, "albOidc"), undefined);
        });
    });

    describe("configuration", () => {
        const env = { DB_HOST: "127.0.0.1", DB_NAME: "app", DB_USER: "app_user", DB_PASSWORD: "pw", DB_SSL: "disable" };
        it("CALLER_HEADERS defaults to none and accepts only the known entries", () => {
            assert.equal(loadApiConfig(env).callerSource, "none");
            assert.equal(loadApiConfig({ ...env, CALLER_HEADERS: "albOidc" }).callerSource, "albOidc");
            assert.throws(() => loadApiConfig({ ...env, CALLER_HEADERS: "anyone" }), /CALLER_HEADERS/);
        });
    });
});
