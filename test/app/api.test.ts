import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { createServer, Socket } from "node:net";
import { join } from "node:path";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Client } from "pg";
import { HEALTH_PATHS } from "../../app/contract";
import { type App, createApp } from "../../app/src/app";
import { sslOptionsFor } from "../../app/src/config";
import {
    type Credentials,
    type CredentialSource,
    IamCredentialSource,
    SecretsManagerCredentialSource,
} from "../../app/src/credentials";
import { Database, DatabaseUnavailableError } from "../../app/src/db";
import { handler as lambdaHandler, createLambdaHandler } from "../../app/src/lambda";
import { type Logger, silentLogger } from "../../app/src/log";
import { createMigrateHandler } from "../../app/src/migrate-lambda";
import { defaultMigrationsDir, loadMigrationsFromDir } from "../../app/src/migrations";
import { startServer } from "../../app/src/server";
import { type PostgresServer, usePostgres } from "../support/postgres";
import { TcpProxy } from "./tcp-proxy";

const MASTER = "api_master";
const MASTER_PASSWORD = "api-master-Pa55word";
const APP_PASSWORD = "app-user-Current-Pa55word-0001";
const OLD_APP_PASSWORD = "app-user-Old-Pa55word-0000";
const FAKE_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-user-AbCdEf";

/** A fake secret source: serves `passwords` in order, advancing on invalidate(). */
class FakeSecretSource implements CredentialSource {
    gets = 0;
    invalidations = 0;
    private index = 0;
    constructor(private readonly passwords: string[]) {}
    async getCredentials(): Promise<Credentials> {
        this.gets++;
        return { username: "app_user", password: this.passwords[Math.min(this.index, this.passwords.length - 1)]! };
    }
    invalidate(): void {
        this.invalidations++;
        this.index++;
    }
}

/** Captures everything written through console.* while `fn` runs. */
async function captureConsole<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
    const lines: string[] = [];
    const saved = {
        log: console.log,
        error: console.error,
        warn: console.warn,
        info: console.info,
        debug: console.debug,
    };
    const sink = (...args: unknown[]): void => {
        lines.push(args.map(String).join(" "));
    };
    Object.assign(console, { log: sink, error: sink, warn: sink, info: sink, debug: sink });
    try {
        const result = await fn();
        return { result, output: lines.join("\n") };
    } finally {
        Object.assign(console, saved);
    }
}

function v2Event(
    method: string,
    rawPath: string,
    init: { rawQueryString?: string; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean } = {},
): APIGatewayProxyEventV2 {
    return {
        version: "2.0",
        routeKey: "$default",
        rawPath,
        rawQueryString: init.rawQueryString ?? "",
        headers: init.headers ?? {},
        requestContext: {
            accountId: "123456789012",
            apiId: "api",
            domainName: "x.execute-api.eu-west-1.amazonaws.com",
            domainPrefix: "x",
            http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
            requestId: `req-${Math.random()}`,
            routeKey: "$default",
            stage: "$default",
            time: "01/Jan/2024:00:00:00 +0000",
            timeEpoch: 1704067200000,
        },
        isBase64Encoded: init.isBase64Encoded ?? false,
        ...(init.body !== undefined ? { body: init.body } : {}),
    };
}

const closedPort = async (): Promise<number> => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const address = srv.address();
    await new Promise<void>((r) => srv.close(() => r()));
    return typeof address === "object" && address !== null ? address.port : 0;
};

describe("app API against a real PostgreSQL", function () {
    const server = usePostgres({ ssl: true });
    let dbName: string;
    const apps: App[] = [];

    const appEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
        DB_HOST: "127.0.0.1",
        DB_PORT: String(server().port),
        DB_NAME: dbName,
        DB_USER: "app_user",
        DB_SSL: "disable",
        DB_CONNECT_TIMEOUT_MS: "2000",
        ...extra,
    });

    /** As the infrastructure configures it (DB_SECRET_ARN), with the secret source replaced by a fake. */
    const secretEnv = (extra: Record<string, string> = {}): Record<string, string> =>
        appEnv({ DB_SECRET_ARN: FAKE_ARN, ...extra });

    function makeApp(
        credentials: CredentialSource,
        extra: Record<string, string> = {},
        log: Logger = silentLogger,
    ): App {
        const app = createApp(secretEnv(extra), { credentials, log });
        apps.push(app);
        return app;
    }

    const get = (app: App, target: string) => {
        const url = new URL(target, "http://x");
        return app.handle({ method: "GET", path: url.pathname, query: url.searchParams, headers: {} });
    };
    const post = (app: App, text: string) =>
        app.handle({
            method: "POST",
            path: "/api/notes",
            query: new URLSearchParams(),
            headers: { "content-type": "application/json" },
            body: Buffer.from(JSON.stringify({ text })),
        });

    before(async function () {
        const s: PostgresServer = server();
        await s.query(`CREATE ROLE ${MASTER} LOGIN CREATEROLE PASSWORD '${MASTER_PASSWORD}'`);
        dbName = await s.createDatabase("api", MASTER);
        const migrate = createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
            env: {
                DB_HOST: "127.0.0.1",
                DB_PORT: String(s.port),
                DB_NAME: dbName,
                DB_SSL: "disable",
                DB_USER: MASTER,
                DB_PASSWORD: MASTER_PASSWORD,
                APP_USER_PASSWORD: APP_PASSWORD,
            },
            log: silentLogger,
        });
        assert.equal((await migrate()).applied.length, 2);
    });

    afterEach(async () => {
        await Promise.all(apps.splice(0).map((a) => a.close()));
    });

    describe("connection and credentials", () => {
        it("connects lazily, as app_user, with the password from the injected secret source", async () => {
            const source = new FakeSecretSource([APP_PASSWORD]);
            const app = makeApp(source);
            assert.equal(source.gets, 0, "no connection before the first request");
            const who = await app.db.query<{ u: string; s: string; t: string }>(
                "SELECT current_user AS u, session_user AS s, current_setting('statement_timeout') AS t",
            );
            assert.deepEqual(who.rows[0], { u: "app_user", s: "app_user", t: "5s" });
            assert.equal(source.gets, 1);
            const config = app.db.poolConfig();
            assert.equal(config.max, 2);
            assert.equal(config.idleTimeoutMillis, 60_000);
            assert.equal(config.connectionTimeoutMillis, 2_000);
        });

        it("reuses pooled connections and never opens more than DB_POOL_MAX", async () => {
            const source = new FakeSecretSource([APP_PASSWORD]);
            const app = makeApp(source);
            await Promise.all([1, 2, 3, 4, 5].map(() => app.db.query("SELECT pg_sleep(0.05)")));
            assert.equal(source.gets, 2, "two connections for five concurrent queries");
            await app.db.query("SELECT 1");
            assert.equal(source.gets, 2, "warm requests reuse them");
        });

        it("rotation: an old password fails, the source is invalidated and re-read, the retry succeeds", async () => {
            const source = new FakeSecretSource([OLD_APP_PASSWORD, APP_PASSWORD]);
            const app = makeApp(source);
            const res = await get(app, "/health");
            assert.equal(res.statusCode, 200);
            assert.equal(source.invalidations, 1);
            assert.equal(source.gets, 2);
            assert.equal((await post(app, "after rotation")).statusCode, 201);
        });

        it("rotation with the real Secrets Manager source (fake fetcher): re-reads the secret after the auth failure", async () => {
            let clock = 5_000_000;
            let stored = OLD_APP_PASSWORD;
            let fetches = 0;
            const source = new SecretsManagerCredentialSource({
                secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf",
                ttlMillis: 300_000,
                now: () => clock,
                fetchSecret: async () => {
                    fetches++;
                    return JSON.stringify({ username: "app_user", password: stored });
                },
            });
            await source.getCredentials(); // cached the old value earlier
            stored = APP_PASSWORD; // then the secret was rotated
            clock += 60_000;
            const app = makeApp(source);
            assert.equal((await get(app, "/health")).statusCode, 200);
            assert.equal(fetches, 2);
        });

        it("a wrong password on both attempts reports the database unavailable (503), without details", async () => {
            const source = new FakeSecretSource(["wrong-1-Pa55word", "wrong-2-Pa55word"]);
            const app = makeApp(source);
            const health = await get(app, "/health");
            assert.equal(health.statusCode, 503);
            assert.deepEqual(JSON.parse(health.body), { status: "error", database: "unavailable" });
            const list = await get(app, "/api/notes");
            assert.equal(list.statusCode, 503);
            assert.equal(JSON.parse(list.body).error, "service_unavailable");
            await assert.rejects(
                app.db.connect(),
                (e: unknown) => e instanceof DatabaseUnavailableError && e.reason.code === "28P01",
            );
        });

        it("IAM auth path: a fresh token from the signer for each new connection", async () => {
            let tokens = 0;
            // The fake signer returns a password the local server accepts in place of a token.
            const source = new IamCredentialSource("app_user", { getAuthToken: async () => (tokens++, APP_PASSWORD) });
            const app = makeApp(source);
            await Promise.all([1, 2, 3].map(() => app.db.query("SELECT pg_sleep(0.05)")));
            assert.equal(tokens, 2);
            await app.db.query("SELECT 1");
            assert.equal(tokens, 2);
        });

        it("passwords and tokens never appear in the logs", async () => {
            const leaky: CredentialSource = {
                getCredentials: () =>
                    Promise.reject(new Error(`could not parse secret {"password":"${APP_PASSWORD}"}`)),
                invalidate: () => undefined,
            };
            const { output } = await captureConsole(async () => {
                // The default (real) logger, not a silent one.
                const rotated = createApp(secretEnv(), {
                    credentials: new FakeSecretSource([OLD_APP_PASSWORD, APP_PASSWORD]),
                });
                const wrong = createApp(secretEnv(), { credentials: new FakeSecretSource([OLD_APP_PASSWORD]) });
                const failing = createApp(secretEnv(), { credentials: leaky });
                apps.push(rotated, wrong, failing);
                await rotated.db.query("SELECT 1"); // registers the current password with the redactor
                assert.equal((await get(rotated, "/health")).statusCode, 200);
                assert.equal((await get(wrong, "/health")).statusCode, 503);
                assert.equal((await get(failing, "/health")).statusCode, 503);
                assert.equal((await get(failing, "/api/notes")).statusCode, 503);
            });
            assert.match(output, /database authentication failed; refreshing credentials and retrying once/);
            assert.match(output, /database health check failed/);
            assert.match(output, /\[REDACTED\]/, "the leaky error message was redacted");
            for (const secret of [APP_PASSWORD, OLD_APP_PASSWORD])
                assert.ok(!output.includes(secret), `${secret} leaked:\n${output}`);
        });
    });

    describe("least privilege", () => {
        let appClient: Client;
        before(async () => {
            appClient = new Client({
                host: "127.0.0.1",
                port: server().port,
                database: dbName,
                user: "app_user",
                password: APP_PASSWORD,
            });
            await appClient.connect();
        });
        after(async () => {
            await appClient.end();
        });

        it("app_user can read and write notes", async () => {
            const inserted = await appClient.query("INSERT INTO notes (text) VALUES ('direct') RETURNING id");
            await appClient.query("UPDATE notes SET text = 'updated' WHERE id = $1", [inserted.rows[0].id]);
            await appClient.query("DELETE FROM notes WHERE id = $1", [inserted.rows[0].id]);
        });

        for (const [what, sql] of [
            ["DROP TABLE notes", "DROP TABLE notes"],
            ["TRUNCATE notes", "TRUNCATE notes"],
            ["ALTER TABLE notes", "ALTER TABLE notes ADD COLUMN x int"],
            ["CREATE TABLE", "CREATE TABLE mine (id int)"],
            ["read schema_migrations", "SELECT * FROM schema_migrations"],
            [
                "write schema_migrations",
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ('9999', 'x', repeat('0', 64))",
            ],
            ["delete schema_migrations", "DELETE FROM schema_migrations"],
            ["CREATE ROLE", "CREATE ROLE intruder"],
        ] as const) {
            it(`app_user cannot ${what}`, async () => {
                await assert.rejects(appClient.query(sql), (e: unknown) => (e as { code?: string }).code === "42501");
            });
        }

        it("tables created by later migrations are granted to app_user by default privileges", async () => {
            const s = server();
            const master = new Client({
                host: "127.0.0.1",
                port: s.port,
                database: dbName,
                user: MASTER,
                password: MASTER_PASSWORD,
            });
            await master.connect();
            try {
                await master.query("CREATE TABLE later_table (id int GENERATED ALWAYS AS IDENTITY, v text)");
                await appClient.query("INSERT INTO later_table (v) VALUES ('ok')");
                assert.equal((await appClient.query("SELECT count(*)::int AS n FROM later_table")).rows[0].n, 1);
            } finally {
                await master.query("DROP TABLE IF EXISTS later_table");
                await master.end();
            }
        });
    });

    describe("notes endpoints", () => {
        it("through the router: write, list newest first, read one", async () => {
            const app = makeApp(new FakeSecretSource([APP_PASSWORD]));
            const created = [];
            for (const text of ["first", "second", "third"]) {
                const res = await post(app, text);
                assert.equal(res.statusCode, 201);
                created.push(JSON.parse(res.body));
            }
            const list = JSON.parse((await get(app, "/api/notes?limit=2")).body).notes;
            assert.deepEqual(
                list.map((n: { text: string }) => n.text),
                ["third", "second"],
            );
            const one = await get(app, `/api/notes/${created[0].id}`);
            assert.equal(one.statusCode, 200);
            assert.deepEqual(JSON.parse(one.body), created[0]);
            assert.match(created[0].createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
            assert.equal((await get(app, "/api/notes/999999")).statusCode, 404);
        });

        it("through the real HTTP server, which closes the pool on shutdown", async () => {
            const app = makeApp(new FakeSecretSource([APP_PASSWORD]));
            const running = await startServer(app, 0, "127.0.0.1");
            const base = `http://127.0.0.1:${running.port}`;
            try {
                const health = await fetch(`${base}/health`);
                assert.equal(health.status, 200);
                assert.deepEqual(await health.json(), { status: "ok", database: "ok" });
                const live = await fetch(`${base}/health/live`);
                assert.equal(live.status, 200);
                assert.deepEqual(await live.json(), { status: "ok" });

                const created = await fetch(`${base}/api/notes`, {
                    method: "POST",
                    headers: { "content-type": "application/json" },
                    body: JSON.stringify({ text: "over http" }),
                });
                assert.equal(created.status, 201);
                const note = (await created.json()) as { id: number; text: string };
                assert.equal(created.headers.get("location"), `/api/notes/${note.id}`);
                const fetched = await fetch(`${base}/api/notes/${note.id}`);
                assert.deepEqual(await fetched.json(), note);
                const list = (await (await fetch(`${base}/api/notes?limit=1`)).json()) as { notes: unknown[] };
                assert.deepEqual(list.notes, [note]);

                assert.equal(
                    (
                        await fetch(`${base}/api/notes`, {
                            method: "POST",
                            headers: { "content-type": "text/plain" },
                            body: "x",
                        })
                    ).status,
                    415,
                );
                assert.equal(
                    (
                        await fetch(`${base}/api/notes`, {
                            method: "POST",
                            headers: { "content-type": "application/json" },
                            body: "{",
                        })
                    ).status,
                    400,
                );
                assert.equal((await fetch(`${base}/nope`)).status, 404);
                assert.equal((await fetch(`${base}//api/notes`)).status, 404, "a doubled slash is a path, not a host");
                const wrong = await fetch(`${base}/api/notes`, { method: "DELETE" });
                assert.equal(wrong.status, 405);
                assert.equal(wrong.headers.get("allow"), "GET, POST");
                const big = await fetch(`${base}/api/notes`, {
                    method: "POST",
                    headers: { "content-type": "application/json" },
                    body: "x".repeat(100_000),
                });
                assert.equal(big.status, 413);
            } finally {
                await running.shutdown(5_000);
            }
            await assert.rejects(app.db.query("SELECT 1"), /pool is closed/);
        });

        it("through the Lambda handler with v2 events (plain and base64 bodies)", async () => {
            const app = makeApp(new FakeSecretSource([APP_PASSWORD]));
            const handler = createLambdaHandler(() => app);
            const plain = await handler(
                v2Event("POST", "/api/notes", {
                    headers: { "content-type": "application/json" },
                    body: '{"text":"from lambda"}',
                }),
            );
            assert.equal(plain.statusCode, 201);
            const b64 = await handler(
                v2Event("POST", "/api/notes", {
                    headers: { "Content-Type": "application/json; charset=utf-8" },
                    body: Buffer.from('{"text":"base64 ✓"}').toString("base64"),
                    isBase64Encoded: true,
                }),
            );
            assert.equal(b64.statusCode, 201);
            const id = JSON.parse(b64.body!).id;
            const one = await handler(v2Event("GET", `/api/notes/${id}`));
            assert.equal(JSON.parse(one.body!).text, "base64 ✓");
            const list = await handler(v2Event("GET", "/api/notes", { rawQueryString: "limit=2" }));
            assert.deepEqual(
                JSON.parse(list.body!).notes.map((n: { text: string }) => n.text),
                ["base64 ✓", "from lambda"],
            );
            assert.equal((await handler(v2Event("GET", "/health"))).statusCode, 200);
        });

        it("through the exported Lambda handler, configured from the environment only", async () => {
            const saved = { ...process.env };
            // A local password is only accepted for a loopback host; the idle timeout lets the
            // module-level pool drain so the test process can exit.
            Object.assign(
                process.env,
                appEnv({ DB_PASSWORD: APP_PASSWORD, DB_IDLE_TIMEOUT_MS: "1000", LOG_LEVEL: "warn" }),
            );
            try {
                const res = await lambdaHandler(v2Event("GET", "/health"));
                assert.equal(res.statusCode, 200);
                assert.equal(
                    (await lambdaHandler(v2Event("GET", "/api/notes", { rawQueryString: "limit=1" }))).statusCode,
                    200,
                );
            } finally {
                for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
                Object.assign(process.env, saved);
            }
        });
    });

    describe("/health when the database is unreachable", () => {
        it("liveness answers 200 through the HTTP server and the Lambda handler while readiness is 503", async () => {
            const source = new FakeSecretSource([APP_PASSWORD]);
            const app = makeApp(source, { DB_PORT: String(await closedPort()) });
            const running = await startServer(app, 0, "127.0.0.1");
            const base = `http://127.0.0.1:${running.port}`;
            try {
                const live = await fetch(`${base}${HEALTH_PATHS.liveness}`);
                assert.equal(live.status, 200);
                assert.deepEqual(await live.json(), { status: "ok" });
                assert.equal(source.gets, 0, "liveness did not try to connect");
                assert.equal((await fetch(`${base}${HEALTH_PATHS.readiness}`)).status, 503);

                const handler = createLambdaHandler(() => app);
                const lambdaLive = await handler(v2Event("GET", HEALTH_PATHS.liveness));
                assert.equal(lambdaLive.statusCode, 200);
                assert.equal(lambdaLive.body, '{"status":"ok"}');
                assert.equal((await handler(v2Event("GET", HEALTH_PATHS.readiness))).statusCode, 503);
            } finally {
                await running.shutdown(5_000);
            }
        });

        it("reports unavailable when nothing listens on the port", async () => {
            const app = makeApp(new FakeSecretSource([APP_PASSWORD]), { DB_PORT: String(await closedPort()) });
            const res = await get(app, "/health");
            assert.equal(res.statusCode, 503);
            assert.equal(res.body, '{"status":"error","database":"unavailable"}');
        });

        it("reports unavailable within the connect timeout when the server never answers", async () => {
            const sockets: Socket[] = [];
            const blackhole = createServer((s) => sockets.push(s));
            await new Promise<void>((r) => blackhole.listen(0, "127.0.0.1", () => r()));
            const address = blackhole.address();
            try {
                const app = makeApp(new FakeSecretSource([APP_PASSWORD]), {
                    DB_PORT: String(typeof address === "object" && address ? address.port : 0),
                    DB_CONNECT_TIMEOUT_MS: "300",
                });
                const started = Date.now();
                const res = await get(app, "/health");
                assert.equal(res.statusCode, 503);
                assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
            } finally {
                sockets.forEach((s) => s.destroy());
                await new Promise<void>((r) => blackhole.close(() => r()));
            }
        });

        it("goes from ok to unavailable when the database goes away, without crashing, and recovers", async () => {
            const proxy = new TcpProxy({ host: "127.0.0.1", port: server().port });
            await proxy.start();
            try {
                const app = makeApp(new FakeSecretSource([APP_PASSWORD]), {
                    DB_PORT: String(proxy.port),
                    DB_CONNECT_TIMEOUT_MS: "500",
                });
                assert.equal((await get(app, "/health")).statusCode, 200);
                const port = proxy.port;
                await proxy.stop(); // idle pooled connections break: the pool's error handler must absorb it
                await new Promise((r) => setTimeout(r, 50));
                assert.equal((await get(app, "/health")).statusCode, 503);
                await proxy.start(port);
                assert.equal((await get(app, "/health")).statusCode, 200);
            } finally {
                await proxy.stop();
            }
        });
    });

    describe("TLS", () => {
        it("with the RDS CA bundle, a server certificate from another authority is rejected", async () => {
            const ssl = sslOptionsFor("mydb.abc.eu-west-1.rds.amazonaws.com", "verify-full");
            const db = new Database({
                connection: {
                    host: "127.0.0.1",
                    port: server().port,
                    database: dbName,
                    ssl,
                    connectionTimeoutMillis: 2_000,
                    connectRetryMillis: 0,
                    statementTimeoutMillis: 5_000,
                },
                user: "app_user",
                credentials: new FakeSecretSource([APP_PASSWORD]),
                pool: { max: 1, idleTimeoutMillis: 1_000 },
            });
            try {
                await assert.rejects(
                    db.connect(),
                    (e: unknown) =>
                        e instanceof DatabaseUnavailableError && e.reason.code === "DEPTH_ZERO_SELF_SIGNED_CERT",
                );
            } finally {
                await db.close();
            }
        });

        it("with the server's own CA, the connection is encrypted and verified", async () => {
            const db = new Database({
                connection: {
                    host: "127.0.0.1",
                    port: server().port,
                    database: dbName,
                    ssl: { rejectUnauthorized: true, ca: [server().certificate!] },
                    connectionTimeoutMillis: 2_000,
                    connectRetryMillis: 0,
                    statementTimeoutMillis: 5_000,
                },
                user: "app_user",
                credentials: new FakeSecretSource([APP_PASSWORD]),
                pool: { max: 1, idleTimeoutMillis: 1_000 },
            });
            try {
                const row = (
                    await db.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                ).rows[0];
                assert.equal(row?.ssl, true);
            } finally {
                await db.close();
            }
        });
    });

    describe("the server process", () => {
        it("listens on PORT, serves /health, and exits 0 after SIGTERM with the pool closed", async function () {
            this.timeout(30_000);
            const port = await closedPort();
            const child = spawn(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", join(__dirname, "../../app/src/server.ts")],
                {
                    cwd: join(__dirname, "../.."),
                    env: { PATH: process.env.PATH, ...appEnv({ PORT: String(port), DB_PASSWORD: APP_PASSWORD }) },
                    stdio: ["ignore", "pipe", "pipe"],
                },
            );
            let output = "";
            child.stdout.on("data", (c: Buffer) => (output += c.toString()));
            child.stderr.on("data", (c: Buffer) => (output += c.toString()));
            const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
            try {
                const deadline = Date.now() + 20_000;
                while (!output.includes('"msg":"listening"')) {
                    if (Date.now() > deadline || child.exitCode !== null)
                        assert.fail(`server did not start:\n${output}`);
                    await new Promise((r) => setTimeout(r, 50));
                }
                const res = await fetch(`http://127.0.0.1:${port}/health`);
                assert.equal(res.status, 200);
                child.kill("SIGTERM");
                assert.equal(await exited, 0, output);
                assert.match(output, /"msg":"shutdown complete"/);
                assert.ok(!output.includes(APP_PASSWORD));
            } finally {
                if (child.exitCode === null) child.kill("SIGKILL");
            }
        });
    });
});
