import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, Pool } from "pg";
import { createLogger, type Logger } from "../../app/src/log";
import { createMigrateHandler } from "../../app/src/migrate-lambda";
import {
    MIGRATION_LOCK_KEY,
    MigrationError,
    MigrationHistoryError,
    type MigrationStatus,
    runMigrations,
} from "../../app/src/migrate";
import {
    defaultMigrationsDir,
    loadMigrationsFromDir,
    type Migration,
    migrationChecksum,
    migrationsSha256,
    validateMigrations,
} from "../../app/src/migrations";
import { usePostgres } from "../support/postgres";

const MASTER = "master";
const MASTER_PASSWORD = "master-Pa55word-for-tests";
const MASTER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-master-AbCdEf";
const APP_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-user-AbCdEf";

/** A logger that records lines instead of printing them. */
function recordingLogger(): { log: Logger; lines: string[] } {
    const lines: string[] = [];
    const original = { log: console.log, error: console.error };
    const log = createLogger({ test: true }, "debug");
    const wrap = (fn: (m: string, f?: Record<string, unknown>) => void) => (m: string, f?: Record<string, unknown>) => {
        console.log = (line: string) => lines.push(line);
        console.error = (line: string) => lines.push(line);
        try {
            fn(m, f);
        } finally {
            console.log = original.log;
            console.error = original.error;
        }
    };
    const recording: Logger = {
        debug: wrap(log.debug.bind(log)),
        info: wrap(log.info.bind(log)),
        warn: wrap(log.warn.bind(log)),
        error: wrap(log.error.bind(log)),
        child: () => recording,
    };
    return { log: recording, lines };
}

describe("app migrations (real PostgreSQL)", function () {
    const server = usePostgres();
    const clients: Client[] = [];

    before(async () => {
        // Like the RDS master user: not a superuser, may create roles, owns the app database.
        await server().query(`CREATE ROLE ${MASTER} LOGIN CREATEROLE PASSWORD '${MASTER_PASSWORD}'`);
    });

    afterEach(async () => {
        await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
    });

    async function masterClient(database: string, applicationName = "test"): Promise<Client> {
        const s = server();
        const client = new Client({
            host: s.host,
            port: s.port,
            database,
            user: MASTER,
            password: MASTER_PASSWORD,
            application_name: applicationName,
        });
        clients.push(client);
        await client.connect();
        return client;
    }

    const freshDb = (): Promise<string> => server().createDatabase("mig", MASTER);

    describe("the app's migration files", () => {
        it("are valid, ordered and hashed", () => {
            const migrations = loadMigrationsFromDir(defaultMigrationsDir());
            assert.deepEqual(
                migrations.map((m) => `${m.version}_${m.name}`),
                ["0001_create_notes", "0002_create_app_role"],
            );
            assert.match(migrationsSha256(migrations), /^[0-9a-f]{64}$/);
        });

        it("apply once, are recorded with their checksums, and a second run is a no-op", async () => {
            const db = await freshDb();
            const client = await masterClient(db);
            const migrations = loadMigrationsFromDir(defaultMigrationsDir());

            const first = await runMigrations(client, migrations);
            assert.deepEqual(first, { applied: ["0001_create_notes", "0002_create_app_role"], skipped: 0 });
            const rows = (
                await client.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
            ).rows;
            assert.deepEqual(
                rows.map((r) => [r.version, r.name, r.checksum]),
                migrations.map((m) => [m.version, m.name, migrationChecksum(m)]),
            );
            assert.ok(rows.every((r) => r.applied_at instanceof Date));

            const second = await runMigrations(client, migrations);
            assert.deepEqual(second, { applied: [], skipped: 2 });
            const after = (await client.query("SELECT version, applied_at FROM schema_migrations ORDER BY version"))
                .rows;
            assert.deepEqual(
                after,
                rows.map((r) => ({ version: r.version, applied_at: r.applied_at })),
            );
            const owner = await client.query("SELECT tableowner FROM pg_tables WHERE tablename = 'notes'");
            assert.equal(owner.rows[0].tableowner, MASTER);
        });

        it("also run through a Pool (one connection checked out for the run)", async () => {
            const db = await freshDb();
            const s = server();
            const pool = new Pool({
                host: s.host,
                port: s.port,
                database: db,
                user: MASTER,
                password: MASTER_PASSWORD,
                max: 1,
            });
            try {
                assert.equal(
                    (await runMigrations(pool, loadMigrationsFromDir(defaultMigrationsDir()))).applied.length,
                    2,
                );
                assert.equal(pool.idleCount, 1);
                // The lock was released: another session can take it.
                const other = await masterClient(db);
                assert.equal(
                    (await other.query("SELECT pg_try_advisory_lock($1) AS ok", [MIGRATION_LOCK_KEY])).rows[0].ok,
                    true,
                );
            } finally {
                await pool.end();
            }
        });
    });

    describe("concurrency", () => {
        // Each migration logs which session ran it and sleeps, so two unlocked runs would overlap.
        const slow = (version: string, extra = ""): Migration => ({
            version,
            name: `step_${version}`,
            sql: `${extra}
INSERT INTO mig_log (app, step) VALUES (current_setting('application_name'), '${version}');
SELECT pg_sleep(0.15);`,
        });
        const migrations = [
            slow(
                "0001",
                "CREATE TABLE mig_log (seq serial PRIMARY KEY, app text NOT NULL, step text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());",
            ),
            slow("0002"),
            slow("0003"),
        ];

        it("two concurrent runs do not interleave; each migration is applied exactly once", async () => {
            const db = await freshDb();
            const [a, b] = await Promise.all([masterClient(db, "runner-a"), masterClient(db, "runner-b")]);
            const logA = recordingLogger();
            const logB = recordingLogger();

            const results = await Promise.allSettled([
                runMigrations(a, migrations, { log: logA.log }),
                runMigrations(b, migrations, { log: logB.log }),
            ]);
            assert.deepEqual(
                results.map((r) => r.status),
                ["fulfilled", "fulfilled"],
                `both runs finish: ${JSON.stringify(results)}`,
            );
            const [ra, rb] = results.map(
                (r) => (r as PromiseFulfilledResult<{ applied: string[]; skipped: number }>).value,
            );
            const winner = ra!.applied.length === 3 ? "runner-a" : "runner-b";
            assert.deepEqual(
                [ra, rb].map((r) => r!.applied.length).sort(),
                [0, 3],
                "one run applies everything, the other nothing",
            );
            assert.deepEqual([ra, rb].map((r) => r!.skipped).sort(), [0, 3]);
            // The runs really overlapped: the loser had to wait for the lock.
            const waited = [...logA.lines, ...logB.lines].filter((l) => l.includes("waiting"));
            assert.equal(waited.length, 1, "exactly one run waited for the lock");

            const log = (await a.query("SELECT app, step FROM mig_log ORDER BY seq")).rows;
            assert.deepEqual(
                log,
                ["0001", "0002", "0003"].map((step) => ({ app: winner, step })),
                "every step ran once, all in the same session",
            );
            const recorded = (await a.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map(
                (r) => r.version,
            );
            assert.deepEqual(recorded, ["0001", "0002", "0003"]);
        });

        it("gives up after the lock timeout when another run holds the lock", async () => {
            const db = await freshDb();
            const holder = await masterClient(db);
            await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
            const client = await masterClient(db);
            await assert.rejects(
                runMigrations(client, migrations, { lockTimeoutMillis: 300 }),
                /timed out after 300 ms waiting for the migration lock/,
            );
            // The session's statement_timeout is restored afterwards.
            assert.equal((await client.query("SHOW statement_timeout")).rows[0].statement_timeout, "0");
            await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
            assert.equal((await runMigrations(client, migrations)).applied.length, 3);
        });
    });

    describe("failures", () => {
        const ok: Migration = { version: "0001", name: "create_a", sql: "CREATE TABLE a (id int);" };
        const broken: Migration = {
            version: "0002",
            name: "broken",
            sql: "CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nSELECT nope FROM half_done;\n",
        };

        it("a failing migration rolls back completely and the error names it", async () => {
            const db = await freshDb();
            const client = await masterClient(db);
            const err = await runMigrations(client, [ok, broken]).then(
                () => assert.fail("expected a failure"),
                (e: unknown) => e,
            );
            assert.ok(err instanceof MigrationError);
            assert.equal(err.migration, "0002_broken");
            assert.match(
                err.message,
                /^migration 0002_broken failed at line 3: column "nope" does not exist \(SQLSTATE 42703\); it was rolled back$/,
            );

            const tables = (
                await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            ).rows.map((r) => r.tablename);
            assert.deepEqual(tables, ["a", "schema_migrations"], "nothing of 0002 stays");
            const recorded = (await client.query("SELECT version FROM schema_migrations")).rows.map((r) => r.version);
            assert.deepEqual(recorded, ["0001"]);
            // The lock was released.
            const other = await masterClient(db);
            assert.equal(
                (await other.query("SELECT pg_try_advisory_lock($1) AS ok", [MIGRATION_LOCK_KEY])).rows[0].ok,
                true,
            );
            await other.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);

            const fixed = { ...broken, sql: "CREATE TABLE half_done (id int);" };
            assert.deepEqual(await runMigrations(client, [ok, fixed]), { applied: ["0002_broken"], skipped: 1 });
        });

        it("a changed checksum of an applied migration is an error and nothing else is applied", async () => {
            const db = await freshDb();
            const client = await masterClient(db);
            await runMigrations(client, [ok]);
            const edited = { ...ok, sql: "CREATE TABLE a (id bigint);" };
            const next: Migration = { version: "0002", name: "create_b", sql: "CREATE TABLE b (id int);" };
            await assert.rejects(runMigrations(client, [edited, next]), (e: unknown) => {
                assert.ok(e instanceof MigrationHistoryError);
                assert.match(
                    e.message,
                    /0001_create_a was changed after it was applied \(checksum recorded [0-9a-f]{12}\.\.\., file [0-9a-f]{12}\.\.\.\)/,
                );
                return true;
            });
            assert.equal((await client.query("SELECT to_regclass('public.b') AS b")).rows[0].b, null);
        });

        it("a recorded migration missing from the files, a renamed one, and an out-of-order pending one are errors", async () => {
            const db = await freshDb();
            const client = await masterClient(db);
            const m2: Migration = { version: "0002", name: "create_b", sql: "CREATE TABLE b (id int);" };
            const m3: Migration = { version: "0003", name: "create_c", sql: "CREATE TABLE c (id int);" };
            await runMigrations(client, [ok, m3]);
            await assert.rejects(
                runMigrations(client, [ok]),
                /0003_create_c is recorded as applied but is not among the migration files/,
            );
            await assert.rejects(
                runMigrations(client, [ok, { ...m3, name: "make_c" }]),
                /0003_create_c was applied under another name/,
            );
            await assert.rejects(
                runMigrations(client, [ok, m2, m3]),
                /0002_create_b is pending but the newer 0003 is already applied/,
            );
        });
    });

    describe("validation of migration lists and files", () => {
        it("rejects duplicate versions, bad names and empty files, and sorts by version", () => {
            assert.throws(
                () =>
                    validateMigrations([
                        { version: "0001", name: "a", sql: "x" },
                        { version: "0001", name: "b", sql: "y" },
                        { version: "1", name: "C", sql: " " },
                    ]),
                (e: Error) =>
                    /version 0001 is also used by 0001_a/.test(e.message) &&
                    /1_C: version must be 4 digits/.test(e.message) &&
                    /is empty/.test(e.message),
            );
            assert.deepEqual(
                validateMigrations([
                    { version: "0002", name: "b", sql: "x" },
                    { version: "0001", name: "a", sql: "y" },
                ]).map((m) => m.version),
                ["0001", "0002"],
            );
        });

        it("refuses .sql files not named NNNN_name.sql", () => {
            const dir = mkdtempSync(join(tmpdir(), "migs-"));
            try {
                writeFileSync(join(dir, "0001_ok.sql"), "SELECT 1;");
                writeFileSync(join(dir, "README.md"), "ignored");
                writeFileSync(join(dir, "2_Bad-Name.sql"), "SELECT 1;");
                assert.throws(
                    () => loadMigrationsFromDir(dir),
                    /2_Bad-Name\.sql: migration files must be named NNNN_name\.sql/,
                );
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        });

        it("migrationsSha256 depends on names, contents and order", () => {
            const a = { version: "0001", name: "a", sql: "x" };
            const b = { version: "0002", name: "b", sql: "y" };
            const base = migrationsSha256([a, b]);
            assert.equal(migrationsSha256([a, b]), base);
            assert.notEqual(migrationsSha256([b, a]), base);
            assert.notEqual(migrationsSha256([a, { ...b, sql: "y " }]), base);
            assert.notEqual(migrationsSha256([a, { ...b, name: "c" }]), base);
            // Framing: moving text between name and content changes the hash.
            assert.notEqual(
                migrationsSha256([{ version: "0001", name: "ab", sql: "c" }]),
                migrationsSha256([{ version: "0001", name: "a", sql: "bc" }]),
            );
        });
    });

    describe("the migration Lambda handler (unbundled)", () => {
        const APP_PASSWORD = "app-user-Secret-0123456789abcdef";
        let db: string;
        let secrets: Record<string, string>;
        let fetches: string[];
        const fetchSecret = async (arn: string): Promise<string> => {
            fetches.push(arn);
            const value = secrets[arn];
            if (value === undefined) throw new Error(`no secret ${arn}`);
            return value;
        };
        const env = (extra: Record<string, string> = {}): Record<string, string> => ({
            DB_HOST: server().host,
            DB_PORT: String(server().port),
            DB_NAME: db,
            DB_SSL: "disable",
            DB_SECRET_ARN: MASTER_ARN,
            ...extra,
        });

        beforeEach(async () => {
            db = await freshDb();
            fetches = [];
            secrets = {
                [MASTER_ARN]: JSON.stringify({ username: MASTER, password: MASTER_PASSWORD, engine: "postgres" }),
                [APP_ARN]: JSON.stringify({ username: "app_user", password: APP_PASSWORD }),
            };
        });

        async function loginAsApp(password: string): Promise<string> {
            const s = server();
            const client = new Client({ host: s.host, port: s.port, database: db, user: "app_user", password });
            await client.connect();
            try {
                return (await client.query("SELECT current_user AS u")).rows[0].u;
            } finally {
                await client.end();
            }
        }

        it("reads the master secret, applies the migrations, sets app_user's password from its secret, returns {applied, skipped}", async () => {
            const { log, lines } = recordingLogger();
            const handler = createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
                env: env({ APP_USER_SECRET_ARN: APP_ARN }),
                fetchSecret,
                log,
            });
            assert.deepEqual(await handler({}), { applied: ["0001_create_notes", "0002_create_app_role"], skipped: 0 });
            assert.equal(await loginAsApp(APP_PASSWORD), "app_user");
            assert.deepEqual(await handler({}), { applied: [], skipped: 2 });
            assert.deepEqual(
                fetches.filter((a) => a === MASTER_ARN).length,
                1,
                "the master secret is cached between invocations",
            );

            // The password never reached the server in clear text (log_statement=all logs every statement)
            // nor our logs; the server stored a SCRAM verifier.
            assert.match(server().log(), /ALTER ROLE "app_user" PASSWORD 'SCRAM-SHA-256\$4096:/);
            assert.ok(!server().log().includes(APP_PASSWORD), "server log has no clear-text password");
            const output = lines.join("\n");
            assert.match(output, /migrations finished/);
            assert.ok(!output.includes(APP_PASSWORD) && !output.includes(MASTER_PASSWORD));
        });

        it("IAM mode: grants rds_iam where it exists and leaves app_user without a password; password mode revokes it", async () => {
            await server().query("CREATE ROLE rds_iam NOLOGIN"); // stands in for the RDS-only role
            try {
                const member = async (): Promise<boolean> =>
                    (await server().query("SELECT pg_has_role('app_user', 'rds_iam', 'MEMBER') AS m")).rows[0].m;
                const password = async (): Promise<string | null> =>
                    (await server().query("SELECT rolpassword FROM pg_authid WHERE rolname = 'app_user'")).rows[0]
                        .rolpassword;

                await createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
                    env: env(),
                    fetchSecret,
                    log: recordingLogger().log,
                })();
                assert.equal(await member(), true);
                assert.equal(await password(), null);
                await assert.rejects(loginAsApp(APP_PASSWORD), /password authentication failed/);

                await createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
                    env: env({ APP_USER_AUTH: "secret", APP_USER_SECRET_ARN: APP_ARN }),
                    fetchSecret,
                    log: recordingLogger().log,
                })();
                assert.equal(await member(), false);
                assert.match((await password()) ?? "", /^SCRAM-SHA-256\$4096:/);
                assert.equal(await loginAsApp(APP_PASSWORD), "app_user");
            } finally {
                await server().query("DROP ROLE rds_iam");
            }
        });

        it("after an authentication failure (rotated master password) re-reads the secret and retries once", async () => {
            let clock = 1_000_000;
            const { log, lines } = recordingLogger();
            secrets[MASTER_ARN] = JSON.stringify({ username: MASTER, password: "the-old-password" });
            const handler = createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
                env: env(),
                fetchSecret,
                log,
                now: () => clock,
            });
            await assert.rejects(handler(), /password authentication failed for user "master"/);
            // Rotation completes: the secret now holds the password the database has.
            secrets[MASTER_ARN] = JSON.stringify({ username: MASTER, password: MASTER_PASSWORD });
            clock += 10_000;
            assert.equal((await handler()).applied.length, 2);
            assert.equal(fetches.filter((a) => a === MASTER_ARN).length, 2);
            assert.ok(lines.some((l) => l.includes("refreshing the secret and retrying once")));
            assert.ok(!lines.join("\n").includes("the-old-password"));
        });

        it("fails the invocation with the failing migration's name", async () => {
            const bad: Migration = { version: "0003", name: "bad", sql: "SELECT no_such_function();" };
            const { log, lines } = recordingLogger();
            const handler = createMigrateHandler([...loadMigrationsFromDir(defaultMigrationsDir()), bad], {
                env: env(),
                fetchSecret,
                log,
            });
            await assert.rejects(
                handler(),
                /migration 0003_bad failed at line 1: function no_such_function\(\) does not exist/,
            );
            assert.ok(lines.some((l) => l.includes('"migrations failed"') && l.includes("0003_bad")));
        });

        describe('{"action":"status"}', () => {
            const files = (): Migration[] => loadMigrationsFromDir(defaultMigrationsDir());
            const statusOf = (list: readonly Migration[]) =>
                createMigrateHandler(list, { env: env(), fetchSecret, log: recordingLogger().log })({
                    action: "status",
                }) as Promise<MigrationStatus>;
            const tableExists = async (): Promise<boolean> =>
                (await server().query("SELECT to_regclass('public.schema_migrations') AS t", [], db)).rows[0].t !==
                null;

            it("pending: a database never migrated reports every migration pending and is left untouched", async () => {
                const status = await statusOf(files());
                assert.deepEqual(status, {
                    action: "status",
                    applied: [],
                    pending: ["0001_create_notes", "0002_create_app_role"],
                    mismatches: [],
                    upToDate: false,
                });
                assert.equal(await tableExists(), false, "status creates nothing");
                assert.deepEqual(fetches, [MASTER_ARN], "status reads only the master secret (not the app user's)");
            });

            it("applied: after a run, every migration applied with its time; a new file is pending", async () => {
                const before = Date.now();
                await createMigrateHandler(files(), { env: env(), fetchSecret, log: recordingLogger().log })({
                    action: "migrate",
                    migrationsSha256: "as the infrastructure sends it",
                });
                const status = await statusOf(files());
                assert.deepEqual(
                    status.applied.map((a) => a.migration),
                    ["0001_create_notes", "0002_create_app_role"],
                );
                for (const a of status.applied) {
                    assert.match(a.appliedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
                    assert.ok(Date.parse(a.appliedAt) >= before - 1_000);
                }
                assert.deepEqual([status.pending, status.mismatches, status.upToDate], [[], [], true]);

                const next: Migration = { version: "0003", name: "add_tags", sql: "ALTER TABLE notes ADD tags text;" };
                const withNext = await statusOf([...files(), next]);
                assert.deepEqual([withNext.pending, withNext.upToDate], [["0003_add_tags"], false]);
                const columns = await server().query(
                    "SELECT 1 FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'tags'",
                    [],
                    db,
                );
                assert.equal(columns.rowCount, 0, "status applied nothing");
            });

            it("a checksum mismatch is reported (not thrown); migrate with the same files refuses", async () => {
                await createMigrateHandler(files(), { env: env(), fetchSecret, log: recordingLogger().log })();
                const edited = files().map((m) => (m.version === "0001" ? { ...m, sql: `${m.sql}\n-- edited\n` } : m));
                const status = await statusOf(edited);
                assert.equal(status.upToDate, false);
                assert.deepEqual(status.pending, []);
                assert.equal(status.applied.length, 2);
                assert.equal(status.mismatches.length, 1);
                assert.equal(status.mismatches[0]!.migration, "0001_create_notes");
                assert.equal(status.mismatches[0]!.kind, "checksum");
                assert.match(
                    status.mismatches[0]!.message,
                    /0001_create_notes was changed after it was applied \(checksum recorded [0-9a-f]{12}\.\.\., file [0-9a-f]{12}\.\.\.\)/,
                );
                await assert.rejects(
                    createMigrateHandler(edited, { env: env(), fetchSecret, log: recordingLogger().log })(),
                    MigrationHistoryError,
                );
            });

            it("an unknown action, or an event that is not an object, fails the invocation before touching the database", async () => {
                const { log, lines } = recordingLogger();
                await assert.rejects(
                    createMigrateHandler(files(), { env: env(), fetchSecret, log })({ action: "rollback" }),
                    /unknown action "rollback"; expected \{"action":"migrate"\} or \{"action":"status"\}/,
                );
                for (const event of ["status", ["status"], 1, { action: 1 }]) {
                    await assert.rejects(
                        createMigrateHandler(files(), { env: env(), fetchSecret, log })(event),
                        /the event must be a JSON object such as \{"action":"status"\}|unknown action 1/,
                    );
                }
                assert.deepEqual(fetches, []);
                assert.equal(await tableExists(), false);
                assert.ok(lines.some((l) => l.includes('"migrations failed"')));
            });

            it("the CLI: `status` prints the same JSON, a bad argument exits 2", async function () {
                this.timeout(30_000);
                const cliEnv = {
                    PATH: process.env.PATH ?? "",
                    DB_HOST: server().host,
                    DB_PORT: String(server().port),
                    DB_NAME: db,
                    DB_SSL: "disable",
                    DB_USER: MASTER,
                    DB_PASSWORD: MASTER_PASSWORD,
                    LOG_LEVEL: "error",
                };
                const run = (args: string[]) =>
                    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
                        execFile(
                            process.execPath,
                            [
                                "-r",
                                join(__dirname, "../../tools/register.js"),
                                join(__dirname, "../../app/src/migrate-cli.ts"),
                                ...args,
                            ],
                            { cwd: join(__dirname, "../.."), env: cliEnv, timeout: 25_000 },
                            (err, stdout, stderr) =>
                                resolve({
                                    code: err === null ? 0 : ((err as { code?: number }).code ?? null),
                                    stdout,
                                    stderr,
                                }),
                        ),
                    );
                const status = await run(["status"]);
                assert.equal(status.code, 0, status.stderr);
                assert.deepEqual(JSON.parse(status.stdout), {
                    action: "status",
                    applied: [],
                    pending: ["0001_create_notes", "0002_create_app_role"],
                    mismatches: [],
                    upToDate: false,
                });
                const bad = await run(["rollback"]);
                assert.equal(bad.code, 2);
                assert.match(bad.stderr, /usage: migrate-cli\.ts \[migrate\|status\]/);
            });
        });

        it("rejects an app secret for another user, and bad configuration, before touching the database", async () => {
            secrets[APP_ARN] = JSON.stringify({ username: "someone_else", password: APP_PASSWORD });
            const quiet = recordingLogger().log;
            await assert.rejects(
                createMigrateHandler([], { env: env({ APP_USER_SECRET_ARN: APP_ARN }), fetchSecret, log: quiet })(),
                /the secret's username must be "app_user"/,
            );
            await assert.rejects(
                createMigrateHandler([], { env: { DB_HOST: "db.example.com" }, fetchSecret, log: quiet })(),
                /DB_NAME: required[\s\S]*DB_SECRET_ARN: required/,
            );
        });
    });
});
