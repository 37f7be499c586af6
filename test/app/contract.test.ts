import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
    API_ENV,
    APP_DB_ROLE,
    CONNECT_RETRY_SECONDS_RANGE,
    CONNECT_TIMEOUT_MS_RANGE,
    connectEnvironment,
    DEFAULT_CONNECT_RETRY_SECONDS,
    DEFAULT_CONNECT_TIMEOUT_MS,
    DEFAULT_SERVER_PORT,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    ENV,
    HEALTH_PATHS,
    LOCAL_ONLY_ENV,
    maxConnectMillis,
    MIGRATION_ENV,
    PAUSABLE_DATABASE_CONNECT,
    QUERY_TIMEOUT_MARGIN_MS,
    RDS_CA_REGIONS,
} from "../../app/contract";
import * as config from "../../app/src/config";
import { portFromEnv } from "../../app/src/server";

const APP = join(__dirname, "../../app");
const SRC = join(APP, "src");
const sources = (): { file: string; text: string }[] =>
    readdirSync(SRC)
        .filter((f) => f.endsWith(".ts"))
        .map((f) => ({ file: f, text: readFileSync(join(SRC, f), "utf8") }));

/** The code of a TypeScript file without its comments (good enough for these checks). */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

describe("app contract (app/contract.ts)", () => {
    it("imports nothing, so the infrastructure can load it without pg, the AWS SDK or Node modules", () => {
        const text = code(readFileSync(join(APP, "contract.ts"), "utf8"));
        assert.doesNotMatch(text, /\bimport\b|\brequire\s*\(/);
    });

    it("names every variable after itself", () => {
        for (const [key, value] of Object.entries(ENV)) assert.equal(key, value);
    });

    it("app/src reads variables only through the contract: no variable name as a string literal, no process.env.X", () => {
        const names = Object.values(ENV).join("|");
        const literal = new RegExp(`["'\`](${names})["'\`=]`);
        for (const { file, text } of sources()) {
            const body = code(text);
            assert.doesNotMatch(body, literal, `${file} spells a variable name instead of using ENV`);
            assert.doesNotMatch(body, /process\.env\.[A-Z_]+/, `${file} reads process.env.X directly`);
        }
    });

    it("every variable the sources read is listed for the API or the migrations, and documented in app/README.md", () => {
        const used = new Set<string>();
        for (const { text } of sources()) for (const m of code(text).matchAll(/ENV\.([A-Z_]+)/g)) used.add(m[1]!);
        assert.ok(used.size >= 15, `found ${[...used].join(", ")}`);
        const listed = new Set([...API_ENV, ...MIGRATION_ENV]);
        for (const name of used) assert.ok(listed.has(name as never), `${name} is read but in neither list`);
        const readme = readFileSync(join(APP, "README.md"), "utf8");
        for (const name of Object.values(ENV)) assert.ok(readme.includes(`\`${name}\``), `${name} in app/README.md`);
        for (const name of LOCAL_ONLY_ENV) assert.ok(listed.has(name));
    });

    it("app/src/config.ts re-exports the contract's values (existing imports keep working)", () => {
        assert.equal(config.RDS_CA_REGIONS, RDS_CA_REGIONS);
        assert.equal(config.APP_DB_ROLE, APP_DB_ROLE);
        assert.equal(config.APP_DB_ROLE, "app_user");
        assert.equal(config.DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS);
        assert.equal(config.MAX_POOL_MAX, 20);
    });

    it("the documented defaults are the ones the code applies", () => {
        assert.equal(portFromEnv({}), DEFAULT_SERVER_PORT);
        assert.equal(DEFAULT_SERVER_PORT, 8080);
        assert.deepEqual(HEALTH_PATHS, { liveness: "/health/live", readiness: "/health" });
        const api = config.loadApiConfig({
            DB_HOST: "127.0.0.1",
            DB_NAME: "app",
            DB_USER: APP_DB_ROLE,
            DB_PASSWORD: "local",
            DB_SSL: "disable",
        });
        assert.equal(api.connection.connectionTimeoutMillis, DEFAULT_CONNECT_TIMEOUT_MS);
        assert.equal(api.connection.connectRetryMillis, DEFAULT_CONNECT_RETRY_SECONDS * 1000);
        assert.equal(DEFAULT_CONNECT_TIMEOUT_MS, 5_000);
        assert.equal(DEFAULT_CONNECT_RETRY_SECONDS, 0, "no retry unless the infrastructure asks for it");
    });

    it("settings for a database that can pause outlast a ~15 s resume and fit their functions", () => {
        for (const s of Object.values(PAUSABLE_DATABASE_CONNECT)) {
            assert.ok(s.connectTimeoutMs > 15_000 && s.connectTimeoutMs <= CONNECT_TIMEOUT_MS_RANGE.max);
            assert.ok(s.connectRetrySeconds <= CONNECT_RETRY_SECONDS_RANGE.max);
            // The app accepts them.
            const env = {
                DB_HOST: "127.0.0.1",
                DB_NAME: "app",
                DB_USER: APP_DB_ROLE,
                DB_PASSWORD: "local",
                DB_SSL: "disable",
                ...connectEnvironment(s),
            };
            const c = config.loadApiConfig(env).connection;
            assert.equal(c.connectionTimeoutMillis, s.connectTimeoutMs);
            assert.equal(c.connectRetryMillis, s.connectRetrySeconds * 1000);
        }
        // Connect, then one query, within the API function's 29 s maximum (the HTTP API gives up at 30 s).
        assert.ok(
            maxConnectMillis(PAUSABLE_DATABASE_CONNECT.api) + DEFAULT_STATEMENT_TIMEOUT_MS + QUERY_TIMEOUT_MARGIN_MS <=
                29_000,
        );
        assert.equal(maxConnectMillis({ connectTimeoutMs: 5_000, connectRetrySeconds: 0 }), 5_000);
    });
});
