import { strict as assert } from "node:assert";
import { ENV, PAUSABLE_DATABASE_CONNECT } from "../../app/contract";
import { type App, createApp } from "../../app/src/app";
import { backoffDelay, isTransientConnectError, withConnectRetry } from "../../app/src/connect-retry";
import { createLogger, type Logger, silentLogger } from "../../app/src/log";
import { createMigrateHandler } from "../../app/src/migrate-lambda";
import { defaultMigrationsDir, loadMigrationsFromDir } from "../../app/src/migrations";
import { usePostgres } from "../support/postgres";
import { closedPort, TcpProxy } from "./tcp-proxy";

const MASTER = "retry_master";
const MASTER_PASSWORD = "retry-master-Pa55word";
const APP_PASSWORD = "retry-app-user-Pa55word-0001";

/** A logger that keeps its lines. */
function recordingLogger(): { log: Logger; lines: string[] } {
    const lines: string[] = [];
    const base = createLogger({ test: true }, "debug");
    const wrap =
        (fn: (m: string, f?: Record<string, unknown>) => void) =>
        (m: string, f?: Record<string, unknown>): void => {
            const saved = { log: console.log, error: console.error };
            console.log = (line: string) => lines.push(line);
            console.error = (line: string) => lines.push(line);
            try {
                fn(m, f);
            } finally {
                Object.assign(console, saved);
            }
        };
    const log: Logger = {
        debug: wrap(base.debug.bind(base)),
        info: wrap(base.info.bind(base)),
        warn: wrap(base.warn.bind(base)),
        error: wrap(base.error.bind(base)),
        child: () => log,
    };
    return { log, lines };
}

const err = (code: string | undefined, message = "x"): Error => Object.assign(new Error(message), { code });

describe("app connect retry (a database resuming from a pause)", function () {
    describe("which failures are retried", () => {
        for (const [what, e] of [
            ["connection refused", err("ECONNREFUSED")],
            ["connection reset", err("ECONNRESET")],
            ["pg's connect timeout", err(undefined, "Connection terminated due to connection timeout")],
            ["the pool's connect timeout", err(undefined, "timeout exceeded when trying to connect")],
            ["a dropped connection", err(undefined, "Connection terminated unexpectedly")],
            ["57P03 the database system is starting up", err("57P03")],
            ["08006 connection failure", err("08006")],
            ["53300 too many connections", err("53300")],
        ] as const) {
            it(`retries ${what}`, () => assert.equal(isTransientConnectError(e), true));
        }
        for (const [what, e] of [
            ["a wrong password (28P01)", err("28P01")],
            ["an unknown database (3D000)", err("3D000")],
            ["an unverifiable certificate", err("DEPTH_ZERO_SELF_SIGNED_CERT")],
            ["a host name that does not resolve", err("ENOTFOUND")],
            ["a server without TLS", err(undefined, "The server does not support SSL connections")],
            ["not an error", "ECONNREFUSED"],
        ] as const) {
            it(`does not retry ${what}`, () => assert.equal(isTransientConnectError(e), false));
        }
    });

    describe("backoff and bounds (fake clock)", () => {
        it("backs off exponentially from 250 ms, capped at 4 s, half of each delay random", () => {
            assert.deepEqual(
                [1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, () => 1)),
                [250, 500, 1000, 2000, 4000, 4000, 4000],
            );
            assert.deepEqual(
                [1, 2, 5].map((n) => backoffDelay(n, () => 0)),
                [125, 250, 2000],
            );
        });

        it("never starts an attempt after the window and never sleeps past it", async () => {
            let clock = 0;
            const starts: number[] = [];
            const sleeps: number[] = [];
            await assert.rejects(
                withConnectRetry(
                    async () => {
                        starts.push(clock);
                        clock += 100; // each refused attempt takes 100 ms
                        throw err("ECONNREFUSED");
                    },
                    {
                        retryMillis: 10_000,
                        what: "test",
                        now: () => clock,
                        sleep: async (ms) => {
                            sleeps.push(ms);
                            clock += ms;
                        },
                        random: () => 1,
                    },
                ),
                /x/,
            );
            assert.ok(starts.every((t) => t <= 10_000));
            assert.equal(clock, 10_100, "the window plus the last attempt");
            assert.deepEqual(sleeps.slice(0, 6), [250, 500, 1000, 2000, 4000, 1650]);
        });

        it("with no window (the default) or a permanent error: one attempt", async () => {
            for (const [retryMillis, e] of [
                [0, err("ECONNREFUSED")],
                [60_000, err("28P01")],
            ] as const) {
                let attempts = 0;
                await assert.rejects(
                    withConnectRetry(
                        async () => {
                            attempts++;
                            throw e;
                        },
                        { retryMillis, what: "test", sleep: async () => undefined },
                    ),
                );
                assert.equal(attempts, 1);
            }
        });
    });

    describe("against a real PostgreSQL that comes up late", () => {
        const server = usePostgres();
        let db: string;
        const apps: App[] = [];
        const proxies: TcpProxy[] = [];
        const timers: NodeJS.Timeout[] = [];

        before(async () => {
            await server().query(`CREATE ROLE ${MASTER} LOGIN CREATEROLE PASSWORD '${MASTER_PASSWORD}'`);
            db = await server().createDatabase("retry", MASTER);
        });
        afterEach(async () => {
            timers.splice(0).forEach(clearTimeout);
            await Promise.all(apps.splice(0).map((a) => a.close()));
            await Promise.all(proxies.splice(0).map((p) => p.stop()));
        });

        /** A loopback port that refuses connections until `afterMs`, then forwards to the test server. */
        async function lateDatabase(afterMs: number): Promise<number> {
            const port = await closedPort();
            const proxy = new TcpProxy({ host: "127.0.0.1", port: server().port });
            proxies.push(proxy);
            timers.push(setTimeout(() => void proxy.start(port), afterMs));
            return port;
        }

        const migrateEnv = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
            [ENV.DB_HOST]: "127.0.0.1",
            [ENV.DB_PORT]: String(port),
            [ENV.DB_NAME]: db,
            [ENV.DB_SSL]: "disable",
            [ENV.DB_USER]: MASTER,
            [ENV.DB_PASSWORD]: MASTER_PASSWORD,
            [ENV.APP_USER_PASSWORD]: APP_PASSWORD,
            [ENV.DB_CONNECT_TIMEOUT_MS]: "1000",
            ...extra,
        });
        const apiEnv = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
            [ENV.DB_HOST]: "127.0.0.1",
            [ENV.DB_PORT]: String(port),
            [ENV.DB_NAME]: db,
            [ENV.DB_SSL]: "disable",
            [ENV.DB_USER]: "app_user",
            [ENV.DB_PASSWORD]: APP_PASSWORD,
            [ENV.DB_CONNECT_TIMEOUT_MS]: "1000",
            ...extra,
        });
        const health = (app: App) =>
            app.handle({ method: "GET", path: "/health", query: new URLSearchParams(), headers: {} });

        it("the migration function waits for the database (refused for 2 s) and applies the migrations", async function () {
            this.timeout(20_000);
            const port = await lateDatabase(2_000);
            const { log, lines } = recordingLogger();
            const started = Date.now();
            const result = await createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
                env: migrateEnv(port, { [ENV.DB_CONNECT_RETRY_SECONDS]: "10" }),
                log,
            })();
            const ms = Date.now() - started;
            assert.deepEqual(result, { applied: ["0001_create_notes", "0002_create_app_role"], skipped: 0 });
            assert.ok(ms >= 2_000 && ms < 7_000, `took ${ms} ms`);
            const retries = lines.filter((l) => l.includes("migration database connection failed; retrying"));
            assert.ok(retries.length >= 2, lines.join("\n"));
            assert.ok(retries.every((l) => l.includes("ECONNREFUSED")));
            assert.ok(lines.some((l) => l.includes("connection succeeded after retrying")));
            console.log(`      migrations connected after ${ms} ms, ${retries.length} retries`);
        });

        it("without DB_CONNECT_RETRY_SECONDS (the default) the migration fails at once, as before", async () => {
            const port = await lateDatabase(60_000);
            const started = Date.now();
            await assert.rejects(
                createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
                    env: migrateEnv(port),
                    log: silentLogger,
                })(),
                /ECONNREFUSED/,
            );
            assert.ok(Date.now() - started < 1_000);
        });

        it("the API's readiness waits for the database (refused for 2 s), then answers 200", async function () {
            this.timeout(20_000);
            const port = await lateDatabase(2_000);
            const { log, lines } = recordingLogger();
            const app = createApp(apiEnv(port, { [ENV.DB_CONNECT_RETRY_SECONDS]: "10" }), { log });
            apps.push(app);
            const started = Date.now();
            const res = await health(app);
            const ms = Date.now() - started;
            assert.equal(res.statusCode, 200, lines.join("\n"));
            assert.ok(ms >= 2_000 && ms < 7_000, `took ${ms} ms`);
            assert.ok(lines.some((l) => l.includes("database connection failed; retrying")));
            console.log(`      API connected after ${ms} ms`);
        });

        it("gives up after the window: 503 within DB_CONNECT_RETRY_SECONDS plus one attempt", async function () {
            this.timeout(20_000);
            const port = await closedPort();
            const app = createApp(apiEnv(port, { [ENV.DB_CONNECT_RETRY_SECONDS]: "2" }), { log: silentLogger });
            apps.push(app);
            const started = Date.now();
            assert.equal((await health(app)).statusCode, 503);
            const ms = Date.now() - started;
            assert.ok(ms >= 2_000 && ms < 2_000 + 1_000 + 1_000, `took ${ms} ms`);
            console.log(`      gave up after ${ms} ms (window 2 s)`);
        });

        it("the settings for a pausable database are accepted by both functions", () => {
            for (const s of [PAUSABLE_DATABASE_CONNECT.api, PAUSABLE_DATABASE_CONNECT.migrate]) {
                const app = createApp(
                    apiEnv(1, {
                        [ENV.DB_CONNECT_TIMEOUT_MS]: String(s.connectTimeoutMs),
                        [ENV.DB_CONNECT_RETRY_SECONDS]: String(s.connectRetrySeconds),
                    }),
                    { log: silentLogger },
                );
                apps.push(app);
                assert.equal(app.db.poolConfig().connectionTimeoutMillis, s.connectTimeoutMs);
            }
        });
    });
});
