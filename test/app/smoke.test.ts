import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { ENV } from "../../app/contract";
import { type App, createApp } from "../../app/src/app";
import { silentLogger } from "../../app/src/log";
import { createMigrateHandler } from "../../app/src/migrate-lambda";
import { defaultMigrationsDir, loadMigrationsFromDir } from "../../app/src/migrations";
import { type RunningServer, startServer } from "../../app/src/server";
import { baseUrl, runSmoke } from "../../tools/smoke";
import { usePostgres } from "../support/postgres";
import { closedPort } from "./tcp-proxy";

const ROOT = join(__dirname, "../..");
const MASTER = "smoke_master";
const MASTER_PASSWORD = "smoke-master-Pa55word";
const APP_PASSWORD = "smoke-app-user-Pa55word-0001";

/** `npm run smoke -- <args>` as the script runs it (node + the esbuild require hook). */
function smoke(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
    const started = Date.now();
    return new Promise((resolve) =>
        execFile(
            process.execPath,
            ["--enable-source-maps", "-r", "./tools/register.js", "tools/smoke.ts", ...args],
            { cwd: ROOT, env: { PATH: process.env.PATH ?? "" }, timeout: 60_000 },
            (err, stdout, stderr) =>
                resolve({
                    code: err === null ? 0 : ((err as { code?: number }).code ?? null),
                    stdout,
                    stderr,
                    ms: Date.now() - started,
                }),
        ),
    );
}

describe("smoke test (tools/smoke.ts) against the app on loopback", function () {
    this.timeout(60_000);
    const server = usePostgres();
    let db: string;
    const apps: App[] = [];
    const running: RunningServer[] = [];

    before(async () => {
        await server().query(`CREATE ROLE ${MASTER} LOGIN CREATEROLE PASSWORD '${MASTER_PASSWORD}'`);
        db = await server().createDatabase("smoke", MASTER);
        await createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
            env: {
                [ENV.DB_HOST]: "127.0.0.1",
                [ENV.DB_PORT]: String(server().port),
                [ENV.DB_NAME]: db,
                [ENV.DB_SSL]: "disable",
                [ENV.DB_USER]: MASTER,
                [ENV.DB_PASSWORD]: MASTER_PASSWORD,
                [ENV.APP_USER_PASSWORD]: APP_PASSWORD,
            },
            log: silentLogger,
        })();
    });

    afterEach(async () => {
        await Promise.all(running.splice(0).map((r) => r.shutdown(5_000)));
        await Promise.all(apps.splice(0).map((a) => a.close()));
    });

    /** The real HTTP server on a loopback port, configured from the environment as in a container. */
    async function serve(dbPort: number): Promise<string> {
        const app = createApp(
            {
                [ENV.DB_HOST]: "127.0.0.1",
                [ENV.DB_PORT]: String(dbPort),
                [ENV.DB_NAME]: db,
                [ENV.DB_SSL]: "disable",
                [ENV.DB_USER]: "app_user",
                [ENV.DB_PASSWORD]: APP_PASSWORD,
                [ENV.DB_CONNECT_TIMEOUT_MS]: "1000",
            },
            { log: silentLogger },
        );
        apps.push(app);
        const r = await startServer(app, 0, "127.0.0.1");
        running.push(r);
        return `http://127.0.0.1:${r.port}`;
    }

    it("passes: liveness, readiness, a note written and read back; exit 0", async () => {
        const url = await serve(server().port);
        const res = await smoke([`${url}/`]);
        assert.equal(res.code, 0, res.stdout + res.stderr);
        const lines = res.stdout.trim().split("\n");
        assert.match(lines[0]!, /^smoke test of http:\/\/127\.0\.0\.1:\d+ \(timeout 30 s per request\)$/);
        assert.match(lines[1]!, /^PASS liveness +GET \/health\/live -> 200 \{"status":"ok"\} \(\d+ ms\)$/);
        assert.match(lines[2]!, /^PASS readiness +GET \/health -> 200 \{"status":"ok","database":"ok"\} \(\d+ ms\)$/);
        assert.match(
            lines[3]!,
            /^PASS notes round trip +POST \/api\/notes -> 201 id (\d+), GET \/api\/notes\/\1 -> 200 same text \(\d+ ms\)$/,
        );
        assert.equal(lines[4], "smoke test passed: 3 of 3 checks");
        const written = await server().query("SELECT text FROM notes WHERE text LIKE 'smoke test %'", [], db);
        assert.equal(written.rowCount, 1);
        console.log(`      npm run smoke: ${res.ms} ms`);
    });

    it("fails with a clear message when the database is down: readiness 503, the round trip skipped; exit 1", async () => {
        const url = await serve(await closedPort());
        const res = await smoke([url, "--timeout", "10"]);
        assert.equal(res.code, 1, res.stdout + res.stderr);
        const lines = res.stdout.trim().split("\n");
        assert.match(lines[1]!, /^PASS liveness /);
        assert.match(
            lines[2]!,
            /^FAIL readiness +GET \/health -> 503 \{"status":"error","database":"unavailable"\}: the app runs but cannot use its database \(check the database's status, the security groups and route to it, the credentials; the app's log says why\) \(\d+ ms\)$/,
        );
        assert.equal(lines[3], "SKIP notes round trip needs readiness");
        assert.equal(lines[4], "smoke test FAILED: readiness failed, notes round trip skipped");
    });

    it("bounded: a server that never answers fails each check after --timeout", async () => {
        const sockets: Socket[] = [];
        const blackhole = createServer((s) => sockets.push(s));
        await new Promise<void>((r) => blackhole.listen(0, "127.0.0.1", () => r()));
        const address = blackhole.address();
        const port = typeof address === "object" && address !== null ? address.port : 0;
        try {
            const started = Date.now();
            const results = await runSmoke(`http://127.0.0.1:${port}`, { timeoutMs: 300 });
            const ms = Date.now() - started;
            assert.deepEqual(
                results.map((r) => [r.name, r.status, r.detail]),
                [
                    ["liveness", "fail", "GET /health/live: no answer within 300 ms"],
                    ["readiness", "fail", "GET /health: no answer within 300 ms"],
                    ["notes round trip", "skip", "needs readiness"],
                ],
            );
            assert.ok(ms < 2_000, `took ${ms} ms`);
        } finally {
            sockets.forEach((s) => s.destroy());
            await new Promise<void>((r) => blackhole.close(() => r()));
        }
    });

    it("nothing listening: request failed with the reason; bad usage exits 2", async () => {
        const results = await runSmoke(`http://127.0.0.1:${await closedPort()}/prefix`, { timeoutMs: 2_000 });
        assert.match(results[0]!.detail, /^GET \/health\/live: request failed \(ECONNREFUSED\)$/);
        assert.equal(baseUrl("https://x.example/stage/"), "https://x.example/stage");
        for (const args of [[], ["ftp://x"], ["not a url"], ["http://x", "--timeout", "0"], ["http://x", "http://y"]]) {
            const res = await smoke(args);
            assert.equal(res.code, 2, `${args.join(" ")}: ${res.stdout}${res.stderr}`);
            assert.match(res.stderr, /usage: npm run smoke -- <url> \[--timeout <seconds>\]/);
        }
    });
});
