import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
    type AppBundle,
    assertNoCheckoutPath,
    buildApp,
    bundleApp,
    bundleServer,
    checkoutPathOccurrences,
    REPO_ROOT,
} from "../../app/build";
import {
    defaultMigrationsDir,
    loadMigrationsFromDir,
    migrationChecksum,
    migrationsSha256,
} from "../../app/src/migrations";
import { usePostgres } from "../support/postgres";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf";
const APP_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-user-AbCdEf";
const MASTER_PASSWORD = "bundle-master-Pa55word";
const APP_PASSWORD = "bundle-app-user-Pa55word-xyz";

/** A stand-in for the Secrets Manager endpoint (awsJson1_1 GetSecretValue), reached through AWS_ENDPOINT_URL_SECRETS_MANAGER. */
async function fakeSecretsManager(
    secrets: Record<string, string>,
): Promise<{ url: string; requests: { target: string; secretId: string; signed: boolean }[]; close(): Promise<void> }> {
    const requests: { target: string; secretId: string; signed: boolean }[] = [];
    const server: Server = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
            const target = String(req.headers["x-amz-target"] ?? "");
            const secretId = String((JSON.parse(body || "{}") as { SecretId?: string }).SecretId ?? "");
            requests.push({
                target,
                secretId,
                signed: /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//.test(String(req.headers.authorization ?? "")),
            });
            const value = secrets[secretId];
            res.setHeader("content-type", "application/x-amz-json-1.1");
            if (target !== "secretsmanager.GetSecretValue" || value === undefined) {
                res.statusCode = 400;
                res.end(
                    JSON.stringify({
                        __type: "ResourceNotFoundException",
                        message: "Secrets Manager can't find the specified secret.",
                    }),
                );
                return;
            }
            res.end(
                JSON.stringify({
                    ARN: secretId,
                    Name: "s",
                    SecretString: value,
                    VersionId: "v1",
                    VersionStages: ["AWSCURRENT"],
                    CreatedDate: 1_700_000_000,
                }),
            );
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () => new Promise<void>((r) => server.close(() => r())),
    };
}

/** Loads a bundled handler in a fresh Node process (outside the repository: no node_modules to fall back on). */
const RUNNER = `
const t0 = process.hrtime.bigint();
const mod = require(process.argv[2]);
const requireMs = Number(process.hrtime.bigint() - t0) / 1e6;
(async () => {
  const out = [];
  for (const event of JSON.parse(process.argv[3])) out.push(await mod.handler(event));
  process.stdout.write("\\nRESULT " + JSON.stringify({ requireMs, handler: typeof mod.handler, out }) + "\\n");
  process.exit(0);
})().catch((e) => { process.stdout.write("\\nERROR " + e.message + "\\n"); process.exit(1); });
`;

interface RunResult {
    requireMs: number;
    handler: string;
    out: unknown[];
    output: string;
}

function runBundled(dir: string, file: string, events: unknown[], env: Record<string, string>): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        execFile(
            process.execPath,
            [join(dir, "runner.js"), file, JSON.stringify(events)],
            { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 30_000 },
            (err, stdout, stderr) => {
                const output = `${stdout}\n${stderr}`;
                const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
                if (err !== null || line === undefined) {
                    reject(new Error(`bundled handler failed: ${err?.message}\n${output}`));
                    return;
                }
                resolve({ ...(JSON.parse(line.slice("RESULT ".length)) as Omit<RunResult, "output">), output });
            },
        );
    });
}

const event = (
    method: string,
    rawPath: string,
    init: { body?: string; isBase64Encoded?: boolean; headers?: Record<string, string>; rawQueryString?: string } = {},
) => ({
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: init.rawQueryString ?? "",
    headers: init.headers ?? {},
    requestContext: {
        http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "t" },
        requestId: "r",
        stage: "$default",
    },
    isBase64Encoded: init.isBase64Encoded ?? false,
    ...(init.body !== undefined ? { body: init.body } : {}),
});

describe("app bundle (esbuild)", function () {
    let bundle: AppBundle;
    let dir: string;

    before(function () {
        this.timeout(30_000);
        bundle = bundleApp();
        dir = mkdtempSync(join(tmpdir(), "app-bundle-"));
        for (const [name, fn] of [
            ["api", bundle.api],
            ["migrate", bundle.migrate],
        ] as const) {
            mkdirSync(join(dir, name));
            writeFileSync(join(dir, name, "index.js"), fn.code);
        }
        writeFileSync(join(dir, "runner.js"), RUNNER);
    });

    after(() => {
        rmSync(dir, { recursive: true, force: true });
    });

    it("is deterministic and fast: two builds give byte-identical code and hashes", () => {
        const times: number[] = [];
        const builds: AppBundle[] = [];
        for (let i = 0; i < 2; i++) {
            const started = process.hrtime.bigint();
            builds.push(buildApp());
            times.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
        for (const b of builds) {
            assert.equal(b.api.code, bundle.api.code);
            assert.equal(b.migrate.code, bundle.migrate.code);
            assert.equal(b.api.sha256, bundle.api.sha256);
            assert.equal(b.migrate.sha256, bundle.migrate.sha256);
            assert.equal(b.migrationsSha256, bundle.migrationsSha256);
        }
        console.log(`      buildApp(): ${times.map((t) => `${t.toFixed(0)} ms`).join(", ")}`);
        // The requirement is < 1 s; the bound here leaves room for a loaded CI machine.
        assert.ok(Math.min(...times) < 2_000, `bundleApp took ${times.join(", ")} ms`);
    });

    it("gives the same code from a checkout elsewhere (no path of the checkout in the output)", () => {
        const clone = mkdtempSync(join(tmpdir(), "app-clone-"));
        try {
            cpSync(join(REPO_ROOT, "app"), join(clone, "app"), { recursive: true });
            symlinkSync(join(REPO_ROOT, "node_modules"), join(clone, "node_modules"));
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const cloned = require(join(clone, "app", "build.ts")) as typeof import("../../app/build");
            const other = cloned.buildApp();
            assert.equal(other.api.sha256, bundle.api.sha256);
            assert.equal(other.migrate.sha256, bundle.migrate.sha256);
            assert.equal(other.migrationsSha256, bundle.migrationsSha256);
            // The cache key follows the content of app/: a changed file is a new key.
            const before = cloned.bundleKey();
            writeFileSync(join(clone, "app", "src", "routes.ts"), "// changed\n", { flag: "a" });
            assert.notEqual(cloned.bundleKey(), before, "an edit under app/ must change the bundle's cache key");
        } finally {
            rmSync(clone, { recursive: true, force: true });
        }
    });

    it("reuses a cached bundle only when it is what a build gives", () => {
        const cached = bundleApp();
        assert.deepEqual(cached, buildApp());
        const started = process.hrtime.bigint();
        bundleApp();
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        assert.ok(ms < 1_000, `a cached bundleApp() took ${ms} ms`);
    });

    it("reports sha256 and bytes of the code, and the migrations with their checksums", () => {
        for (const fn of [bundle.api, bundle.migrate]) {
            assert.equal(fn.sha256, createHash("sha256").update(fn.code).digest("hex"));
            assert.equal(fn.bytes, Buffer.byteLength(fn.code));
        }
        const files = loadMigrationsFromDir(defaultMigrationsDir());
        assert.deepEqual(
            bundle.migrations,
            files.map((m) => ({ version: m.version, name: m.name, sha256: migrationChecksum(m) })),
        );
        assert.equal(bundle.migrationsSha256, migrationsSha256(files));
        console.log(`      api: ${bundle.api.bytes} bytes, migrate: ${bundle.migrate.bytes} bytes`);
    });

    it("contains no absolute path of the checkout and no source map", () => {
        for (const fn of [bundle.api, bundle.migrate]) {
            assert.ok(!fn.code.includes(REPO_ROOT), "absolute repository path");
            assert.ok(!fn.code.includes("/work/"), "absolute path");
            assert.ok(!fn.code.includes("sourceMappingURL"));
        }
    });

    it("can be built from a checkout at /app or /src: the path check works on path boundaries", () => {
        // The bundled SQL comment "(app/src/app-role.ts)" holds both "/app" and "/src" as text.
        assert.ok(bundle.migrate.code.includes("(app/src/app-role.ts)"));
        for (const root of ["/app", "/src", "/app/", "/srv", "/work"]) {
            for (const fn of [bundle.api, bundle.migrate]) {
                assert.deepEqual(checkoutPathOccurrences(fn.code, root), [], root);
                assert.doesNotThrow(() => assertNoCheckoutPath("the Lambda functions", fn.code, root));
            }
        }
    });

    it("still rejects a real occurrence of the checkout's path, whatever surrounds it", () => {
        for (const [root, code] of [
            ["/app", 'require("/app/node_modules/pg/lib/index.js")'],
            ["/app", "at Object.<anonymous> (/app/app/src/db.ts:1:1)"],
            ["/app", "var d='/app';"],
            ["/src", "//# sourceMappingURL=file:///src/app/src/lambda.ts"],
            ["/work/wt-app", "x=`/work/wt-app/app/src/routes.ts`"],
        ] as const) {
            assert.throws(
                () => assertNoCheckoutPath("the Lambda functions", code, root),
                new RegExp(`bundling the Lambda functions: the output contains the absolute path ${root}`),
                code,
            );
        }
        for (const [root, code] of [
            ["/app", "(app/src/app-role.ts) /application /app-role src/app/x"],
            ["/work/wt-app", "/work/wt-app-other/x"],
        ] as const) {
            assert.deepEqual(checkoutPathOccurrences(code, root), [], code);
        }
    });

    it("embeds the migrations in the migration bundle", () => {
        // Minified strings may become template literals, so look for the SQL line by line.
        for (const m of loadMigrationsFromDir(defaultMigrationsDir())) {
            for (const line of m.sql.split("\n").filter((l) => l.trim() !== "" && !/[`\\]|\$\{/.test(l))) {
                assert.ok(bundle.migrate.code.includes(line), `${m.version}_${m.name} embedded: ${line}`);
            }
        }
        assert.ok(!bundle.api.code.includes("CREATE ROLE app_user"), "the API bundle does not carry the migrations");
    });

    it("loads quickly in a fresh Node process (require time of the API handler)", async () => {
        const started = process.hrtime.bigint();
        const result = await runBundled(dir, join(dir, "api", "index.js"), [], {});
        const processMs = Number(process.hrtime.bigint() - started) / 1e6;
        assert.equal(result.handler, "function");
        console.log(
            `      api bundle: ${bundle.api.bytes} bytes, require ${result.requireMs.toFixed(1)} ms (whole process ${processMs.toFixed(0)} ms)`,
        );
        assert.ok(result.requireMs < 2_000);
    });

    it("bundleServer(): the HTTP server as one file that only listens when run as main", async () => {
        const server = bundleServer();
        assert.ok(!server.code.includes(REPO_ROOT));
        mkdirSync(join(dir, "server"));
        writeFileSync(join(dir, "server", "index.js"), server.code);
        // Required (not run as main) it exports its API and starts nothing; the process exits at once.
        const loaded = await new Promise<string>((resolve, reject) =>
            execFile(
                process.execPath,
                [
                    "-e",
                    `const m = require(${JSON.stringify(join(dir, "server", "index.js"))}); console.log(typeof m.startServer, typeof m.main)`,
                ],
                { timeout: 10_000 },
                (err, stdout) => (err ? reject(err) : resolve(stdout.trim())),
            ),
        );
        assert.equal(loaded, "function function");
    });

    describe("running the bundles against PostgreSQL, secrets through the real AWS SDK", () => {
        const server = usePostgres();
        let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
        let awsEnv: Record<string, string>;

        before(async () => {
            sm = await fakeSecretsManager({
                [MASTER_ARN]: JSON.stringify({ username: "bundle_master", password: MASTER_PASSWORD }),
                [APP_ARN]: JSON.stringify({ username: "app_user", password: APP_PASSWORD }),
            });
            awsEnv = {
                AWS_REGION: "eu-west-1",
                AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
                AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
                AWS_EC2_METADATA_DISABLED: "true",
                AWS_CONFIG_FILE: join(dir, "no-aws-config"),
                AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
                HOME: dir,
            };
            await server().query(`CREATE ROLE bundle_master LOGIN CREATEROLE PASSWORD '${MASTER_PASSWORD}'`);
        });

        after(async () => {
            await sm.close();
        });

        it("the migration bundle applies the embedded migrations (no files on disk), then is a no-op", async () => {
            const db = await server().createDatabase("bundle", "bundle_master");
            const env = {
                ...awsEnv,
                DB_HOST: "127.0.0.1",
                DB_PORT: String(server().port),
                DB_NAME: db,
                DB_SSL: "disable",
                DB_SECRET_ARN: MASTER_ARN,
                APP_USER_SECRET_ARN: APP_ARN,
            };
            const first = await runBundled(
                dir,
                join(dir, "migrate", "index.js"),
                [{ action: "status" }, {}, { action: "migrate" }, { action: "status" }],
                env,
            );
            const [before, applied, again, after] = first.out as Record<string, unknown>[];
            assert.deepEqual(
                [before!.pending, before!.upToDate],
                [["0001_create_notes", "0002_create_app_role"], false],
            );
            assert.deepEqual(applied, { applied: ["0001_create_notes", "0002_create_app_role"], skipped: 0 });
            assert.deepEqual(again, { applied: [], skipped: 2 });
            assert.deepEqual([after!.pending, after!.mismatches, after!.upToDate], [[], [], true]);
            assert.deepEqual(
                sm.requests
                    .map((r) => [r.target, r.secretId, r.signed])
                    .slice(0, 2)
                    .sort(),
                [
                    ["secretsmanager.GetSecretValue", APP_ARN, true],
                    ["secretsmanager.GetSecretValue", MASTER_ARN, true],
                ],
            );
            assert.ok(!first.output.includes(MASTER_PASSWORD) && !first.output.includes(APP_PASSWORD));

            // The API bundle: app_user's password from its secret, requests as API Gateway sends them.
            const api = await runBundled(
                dir,
                join(dir, "api", "index.js"),
                [
                    event("GET", "/health"),
                    event("POST", "/api/notes", {
                        headers: { "content-type": "application/json" },
                        body: Buffer.from('{"text":"bundled"}').toString("base64"),
                        isBase64Encoded: true,
                    }),
                    event("GET", "/api/notes", { rawQueryString: "limit=5" }),
                    event("GET", "/nope"),
                ],
                {
                    ...awsEnv,
                    DB_HOST: "127.0.0.1",
                    DB_PORT: String(server().port),
                    DB_NAME: db,
                    DB_USER: "app_user",
                    DB_SSL: "disable",
                    DB_SECRET_ARN: APP_ARN,
                },
            );
            const [health, created, list, missing] = api.out as { statusCode: number; body: string }[];
            assert.equal(health!.statusCode, 200, api.output);
            assert.equal(created!.statusCode, 201);
            assert.deepEqual(
                JSON.parse(list!.body).notes.map((n: { text: string }) => n.text),
                ["bundled"],
            );
            assert.equal(missing!.statusCode, 404);
            assert.ok(!api.output.includes(APP_PASSWORD));
        });
    });
});
