/**
 * Bundles the app for Lambda, in memory, for the infrastructure program.
 *
 * `bundleApp()` returns the API handler and the migration handler as single CommonJS files
 * (deploy each as `index.js`, handler `index.handler`, runtime nodejs22.x or later) plus hashes. It is
 * synchronous and fast (esbuild, well under a second), because the Pulumi program calls it on
 * every preview; and deterministic: the same sources give byte-identical code and hashes, so
 * an unchanged app never shows a diff.
 *
 * Choices:
 * - Everything is bundled, the AWS SDK included, instead of marking `@aws-sdk/*` external
 *   and using the copy in the Lambda runtime. The versions in package-lock.json are the ones
 *   we test; the runtime's copy changes under us, and `@aws-sdk/rds-signer` is not promised to
 *   be there at all. The same code also runs outside Lambda (containers). The cost is size,
 *   measured (test/app/bundle.test.ts): ~607 KB per function (~217 KB gzipped) against ~283 KB
 *   with `@aws-sdk/*` external. The SDK modules are loaded only when first used (`import()` in
 *   credentials.ts), so `require` of the bundle costs about the same either way (~50-100 ms).
 * - No source map. An inline map makes the file 3.2 MB (five times the code) to upload and
 *   parse on every cold start, Node only applies it with `--enable-source-maps` (slower stack
 *   traces), and the app logs error names, SQLSTATEs and messages, not stacks.
 * - Minified, `legalComments: "eof"` (license banners of bundled packages kept at the end).
 * - `absWorkingDir` is the repository root, so any path esbuild emits is relative; the output
 *   is checked to contain no absolute path of the checkout (as a path, on path boundaries:
 *   a checkout at `/app` or `/src` builds, though the bundle mentions `app/src/...` in text). The TypeScript options are given
 *   inline (`tsconfigRaw`), so the output depends only on `app/`, the migrations and the locked
 *   dependencies — the same on every machine and checkout location.
 * - `pg-native` is external: `pg` only requires it for `pg.native`, which the app never uses.
 * - The migrations are embedded as a literal (`define: { __APP_MIGRATIONS__: <JSON> }`, used
 *   by `src/migrate-entry.ts`): no file reads at run time.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { type BuildOptions, buildSync, version as esbuildVersion } from "esbuild";
import { loadMigrationsFromDir, type Migration, migrationChecksum, migrationsSha256 } from "./src/migrations";

export interface BundledFunction {
    /** The complete CommonJS module; deploy as `index.js` with handler `index.handler`. */
    code: string;
    /** SHA-256 of `code` (hex). */
    sha256: string;
    /** UTF-8 size of `code`. */
    bytes: number;
}

export interface AppBundle {
    /** API Gateway HTTP API (payload 2.0) handler. */
    api: BundledFunction;
    /** Migration handler; returns `{ applied: string[], skipped: number }`. */
    migrate: BundledFunction;
    /** SHA-256 over the ordered (file name, content) of the migrations: re-run migrations when it changes. */
    migrationsSha256: string;
    migrations: { version: string; name: string; sha256: string }[];
}

export const APP_DIR = __dirname;
export const REPO_ROOT = resolve(__dirname, "..");
export const MIGRATIONS_DIR = resolve(__dirname, "migrations");

const COMMON: BuildOptions = {
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    sourcemap: false,
    legalComments: "eof",
    charset: "utf8",
    // ESM builds first: the AWS SDK's dist-es tree-shakes to ~150 KB less than dist-cjs.
    mainFields: ["module", "main"],
    external: ["pg-native"],
    logLevel: "silent",
    outdir: "out",
    // The TypeScript settings esbuild honours, fixed here instead of read from the repository's
    // tsconfig.json, so the bundle does not change when someone edits the type-checking setup.
    // (`strict` here would put "use strict" into every bundled module; the banner does it once.)
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: false } },
    banner: { js: '"use strict";' },
};

function sha256Hex(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Where `code` mentions the checkout's absolute path `root` as a path: the occurrence must start
 * a path (nothing path-like before it, or `file://`) and end on a path boundary (`/` or a
 * character that cannot continue the name). A plain substring test would reject any checkout
 * whose path occurs inside ordinary text: at `/app` or `/src` the bundled SQL comment
 * `(app/src/app-role.ts)` contains both.
 */
export function checkoutPathOccurrences(code: string, root: string): string[] {
    const trimmed = root.replace(/\/+$/, "");
    if (trimmed === "") return [];
    const pathChar = /[A-Za-z0-9._~@+\-/]/;
    const found: string[] = [];
    for (let i = code.indexOf(trimmed); i >= 0; i = code.indexOf(trimmed, i + 1)) {
        const before = i === 0 ? "" : code[i - 1]!;
        const after = code[i + trimmed.length] ?? "";
        const starts = before === "" || !pathChar.test(before) || code.slice(0, i).endsWith("file://");
        const ends = after === "" || after === "/" || !pathChar.test(after);
        if (starts && ends) found.push(code.slice(Math.max(0, i - 20), i + trimmed.length + 40));
    }
    return found;
}

/** Throws when `code` contains the checkout's absolute path (see {@link checkoutPathOccurrences}). */
export function assertNoCheckoutPath(what: string, code: string, root: string): void {
    const found = checkoutPathOccurrences(code, root);
    if (found.length > 0) {
        throw new Error(
            `bundling ${what}: the output contains the absolute path ${root} (${found.length}x), e.g. ${JSON.stringify(found[0])}`,
        );
    }
}

/** Runs one esbuild build and returns its outputs by entry name. */
function build(
    what: string,
    entryPoints: Record<string, string>,
    define: Record<string, string> = {},
): Record<string, BundledFunction> {
    const result = buildSync({ ...COMMON, entryPoints, define: { "process.env.NODE_ENV": '"production"', ...define } });
    if (result.warnings.length > 0) {
        throw new Error(
            `bundling ${what}: esbuild warnings:\n${result.warnings.map((w) => ` - ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ""}`).join("\n")}`,
        );
    }
    const out: Record<string, BundledFunction> = {};
    for (const name of Object.keys(entryPoints)) {
        const file = result.outputFiles?.find((f) => f.path === resolve(REPO_ROOT, "out", `${name}.js`));
        if (file === undefined) throw new Error(`bundling ${what}: no output for ${name}`);
        const code = file.text;
        assertNoCheckoutPath(what, code, REPO_ROOT);
        out[name] = { code, sha256: sha256Hex(code), bytes: Buffer.byteLength(code, "utf8") };
    }
    return out;
}

/**
 * Bundles the API and migration Lambda functions (in memory; nothing is written). One esbuild
 * run builds both entry points, sharing the parsing of the common dependencies.
 */
/**
 * What the bundles are built from: every file under `app/`, the lockfile (the bundled packages'
 * versions), esbuild's version and the build options. Equal keys give byte-identical bundles
 * (the build is deterministic, tested), so a bundle is reused from the cache under
 * `node_modules/.cache/` instead of rebuilt: a plan or a `pulumi up` then skips about 0.4–1 s of
 * esbuild. `PRIVATE_APP_BUNDLE_CACHE=0` turns the cache off.
 */
export function bundleKey(): string {
    const h = createHash("sha256");
    const walk = (dir: string): void => {
        for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const file = join(dir, e.name);
            if (e.isDirectory()) {
                if (e.name !== "node_modules") walk(file);
            } else if (e.isFile()) {
                h.update(relative(REPO_ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
            }
        }
    };
    walk(APP_DIR);
    try {
        h.update(readFileSync(join(REPO_ROOT, "package-lock.json")));
    } catch {
        h.update("(no lockfile)");
    }
    h.update(esbuildVersion).update(JSON.stringify(COMMON));
    return h.digest("hex").slice(0, 32);
}

const CACHE_DIR = join(REPO_ROOT, "node_modules", ".cache", "private-app-bundles");

/** The Lambda bundles of the app, from the cache when nothing they are built from changed. */
export function bundleApp(): AppBundle {
    if (process.env.PRIVATE_APP_BUNDLE_CACHE === "0") return buildApp();
    const file = join(CACHE_DIR, `app-${bundleKey()}.json`);
    try {
        const cached = JSON.parse(readFileSync(file, "utf8")) as AppBundle;
        // A damaged entry is rebuilt, never deployed: each bundle must still match its hash.
        if (
            sha256Hex(cached.api.code) === cached.api.sha256 &&
            sha256Hex(cached.migrate.code) === cached.migrate.sha256
        )
            return cached;
    } catch {
        // not cached yet
    }
    const bundle = buildApp();
    try {
        mkdirSync(CACHE_DIR, { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(bundle));
        renameSync(tmp, file);
    } catch {
        // a read-only tree: build every time
    }
    return bundle;
}

/** The Lambda bundles, always built (what {@link bundleApp} caches). */
export function buildApp(): AppBundle {
    const migrations = loadMigrationsFromDir(MIGRATIONS_DIR);
    const embedded: Migration[] = migrations.map((m) => ({ version: m.version, name: m.name, sql: m.sql }));
    const { api, migrate } = build(
        "the Lambda functions",
        { api: "app/src/lambda.ts", migrate: "app/src/migrate-entry.ts" },
        { __APP_MIGRATIONS__: JSON.stringify(embedded) },
    );
    return {
        api: api!,
        migrate: migrate!,
        migrationsSha256: migrationsSha256(migrations),
        migrations: migrations.map((m) => ({ version: m.version, name: m.name, sha256: migrationChecksum(m) })),
    };
}

/**
 * The HTTP server (`app/src/server.ts`) as one file for container images (ECS/EC2):
 * `node server.js`. Not part of `bundleApp()`, which the Lambda stacks call on every preview.
 */
export function bundleServer(): BundledFunction {
    return build("the HTTP server", { server: "app/src/server.ts" }).server!;
}

/** Where the container image is built from: the repository root with app/Dockerfile. */
export const DOCKERFILE = resolve(__dirname, "Dockerfile");

/**
 * What the program needs to build the server image when no image is configured: the Docker
 * context (the repository root, filtered by .dockerignore), the Dockerfile, and a tag derived
 * from the server bundle and the Dockerfile, so unchanged code keeps its tag (the repository's
 * tags are immutable) and changed code gets a new one.
 */
export function dockerBuild(): { context: string; dockerfile: string; tag: string } {
    const server = bundleServer();
    const dockerfile = readFileSync(DOCKERFILE, "utf8");
    return { context: REPO_ROOT, dockerfile: DOCKERFILE, tag: sha256Hex(server.sha256 + dockerfile).slice(0, 20) };
}
