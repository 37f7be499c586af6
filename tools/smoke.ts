/**
 * Smoke test of a deployed app: `npm run smoke -- <url> [--timeout <seconds>]`.
 *
 * Checks, in order, one report line each:
 *   1. liveness   GET  <url>/health/live  -> 200 {"status":"ok"}        (the app runs)
 *   2. readiness  GET  <url>/health       -> 200 {"database":"ok",...}  (it reaches its database)
 *   3. notes      POST <url>/api/notes, then GET the Location it returns: the same note back
 *                 (writes and reads through the database, as app_user)
 * A check that needs an earlier one is skipped when that one failed. Every request has a timeout
 * (default 30 s: longer than the API's own limit, enough for a database resuming from a pause).
 *
 * Exit codes: 0 every check passed; 1 a check failed; 2 bad usage. The URL is the stack's `url`
 * output (any path prefix, such as a named stage, is kept). Writes one note per run.
 */
import { HEALTH_PATHS } from "../app/contract";

export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface CheckResult {
    readonly name: string;
    readonly status: "pass" | "fail" | "skip";
    /** What was asked and what came back, or why it failed. */
    readonly detail: string;
    readonly ms: number;
}

export interface SmokeOptions {
    /** Per request (ms). */
    readonly timeoutMs?: number;
    /** Called with each result as soon as it is known. */
    readonly onResult?: (result: CheckResult) => void;
}

interface Reply {
    status: number;
    headers: Headers;
    text: string;
    json: unknown;
}

class CheckFailed extends Error {}

const USAGE = "usage: npm run smoke -- <url> [--timeout <seconds>]";

function snippet(text: string): string {
    const flat = text.replace(/\s+/g, " ").trim();
    return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

/** The base URL without trailing slashes; throws for anything but http(s). */
export function baseUrl(raw: string): string {
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw new Error(
            `not a URL: ${JSON.stringify(raw)} (expected e.g. https://abc123.execute-api.eu-west-1.amazonaws.com)`,
        );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:")
        throw new Error(`not an http(s) URL: ${JSON.stringify(raw)}`);
    if (url.search !== "" || url.hash !== "") throw new Error(`the URL must have no query or fragment: ${raw}`);
    return url.toString().replace(/\/+$/, "");
}

async function request(base: string, method: string, path: string, timeoutMs: number, body?: unknown): Promise<Reply> {
    let res: Response;
    try {
        res = await fetch(`${base}${path}`, {
            method,
            redirect: "manual",
            signal: AbortSignal.timeout(timeoutMs),
            headers: {
                accept: "application/json",
                ...(body !== undefined ? { "content-type": "application/json" } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
    } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        if (e.name === "TimeoutError" || e.name === "AbortError")
            throw new CheckFailed(`${method} ${path}: no answer within ${timeoutMs} ms`);
        const cause = e.cause?.code ?? e.cause?.message ?? e.message;
        throw new CheckFailed(`${method} ${path}: request failed (${cause})`);
    }
    let text: string;
    try {
        text = await res.text();
    } catch (err) {
        throw new CheckFailed(
            `${method} ${path}: ${res.status} but the body could not be read (${(err as Error).message})`,
        );
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
}

function expectStatus(reply: Reply, what: string, expected: number, hint = ""): void {
    if (reply.status !== expected)
        throw new CheckFailed(`${what} -> ${reply.status} ${snippet(reply.text)}; expected ${expected}${hint}`);
}

const field = (value: unknown, key: string): unknown =>
    typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;

async function liveness(base: string, timeoutMs: number): Promise<string> {
    const what = `GET ${HEALTH_PATHS.liveness}`;
    const reply = await request(base, "GET", HEALTH_PATHS.liveness, timeoutMs);
    expectStatus(
        reply,
        what,
        200,
        reply.status === 404 ? " (no liveness path: is the URL the app's, and the app current?)" : "",
    );
    if (field(reply.json, "status") !== "ok") throw new CheckFailed(`${what} -> 200 but ${snippet(reply.text)}`);
    return `${what} -> 200 ${snippet(reply.text)}`;
}

async function readiness(base: string, timeoutMs: number): Promise<string> {
    const what = `GET ${HEALTH_PATHS.readiness}`;
    const reply = await request(base, "GET", HEALTH_PATHS.readiness, timeoutMs);
    if (reply.status === 503 && field(reply.json, "database") === "unavailable") {
        throw new CheckFailed(
            `${what} -> 503 ${snippet(reply.text)}: the app runs but cannot use its database ` +
                "(check the database's status, the security groups and route to it, the credentials; the app's log says why)",
        );
    }
    expectStatus(reply, what, 200);
    if (field(reply.json, "database") !== "ok") throw new CheckFailed(`${what} -> 200 but ${snippet(reply.text)}`);
    return `${what} -> 200 ${snippet(reply.text)}`;
}

async function notesRoundTrip(base: string, timeoutMs: number): Promise<string> {
    const text = `smoke test ${new Date().toISOString()} ${Math.random().toString(36).slice(2, 10)}`;
    const created = await request(base, "POST", "/api/notes", timeoutMs, { text });
    expectStatus(created, "POST /api/notes", 201);
    const id = field(created.json, "id");
    const location = created.headers.get("location");
    if (typeof id !== "number" || location !== `/api/notes/${id}`)
        throw new CheckFailed(
            `POST /api/notes -> 201 but no note id and matching Location (got ${snippet(created.text)}, Location ${location})`,
        );
    const fetched = await request(base, "GET", location, timeoutMs);
    expectStatus(fetched, `GET ${location}`, 200);
    if (field(fetched.json, "id") !== id || field(fetched.json, "text") !== text)
        throw new CheckFailed(
            `GET ${location} -> 200 but another note: ${snippet(fetched.text)} (wrote ${JSON.stringify(text)})`,
        );
    return `POST /api/notes -> 201 id ${id}, GET ${location} -> 200 same text`;
}

/** Runs every check against `url`; never throws for a failing app (see the results). */
export async function runSmoke(url: string, options: SmokeOptions = {}): Promise<CheckResult[]> {
    const base = baseUrl(url);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_SECONDS * 1000;
    const checks: { name: string; needs: string[]; run: () => Promise<string> }[] = [
        { name: "liveness", needs: [], run: () => liveness(base, timeoutMs) },
        { name: "readiness", needs: [], run: () => readiness(base, timeoutMs) },
        { name: "notes round trip", needs: ["readiness"], run: () => notesRoundTrip(base, timeoutMs) },
    ];
    const results: CheckResult[] = [];
    for (const check of checks) {
        const started = Date.now();
        let result: CheckResult;
        const failedNeed = check.needs.find((n) => results.find((r) => r.name === n)?.status !== "pass");
        if (failedNeed !== undefined) {
            result = { name: check.name, status: "skip", detail: `needs ${failedNeed}`, ms: 0 };
        } else {
            try {
                result = { name: check.name, status: "pass", detail: await check.run(), ms: Date.now() - started };
            } catch (err) {
                const detail = err instanceof CheckFailed ? err.message : `unexpected error: ${(err as Error).message}`;
                result = { name: check.name, status: "fail", detail, ms: Date.now() - started };
            }
        }
        results.push(result);
        options.onResult?.(result);
    }
    return results;
}

export function formatResult(r: CheckResult): string {
    const label = { pass: "PASS", fail: "FAIL", skip: "SKIP" }[r.status];
    return `${label} ${r.name.padEnd(16)} ${r.detail}${r.status === "skip" ? "" : ` (${r.ms} ms)`}`;
}

function parseArgs(argv: string[]): { url: string; timeoutMs: number } {
    const rest: string[] = [];
    let timeoutMs = DEFAULT_TIMEOUT_SECONDS * 1000;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === "--timeout") {
            const seconds = Number(argv[++i]);
            if (!(seconds > 0 && seconds <= 300)) throw new Error(`--timeout needs a number of seconds from 1 to 300`);
            timeoutMs = seconds * 1000;
        } else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
        else rest.push(a);
    }
    if (rest.length !== 1) throw new Error("expected exactly one URL (the stack's `url` output)");
    return { url: rest[0]!, timeoutMs };
}

export async function main(argv: string[]): Promise<number> {
    let args: { url: string; timeoutMs: number };
    try {
        args = parseArgs(argv);
        baseUrl(args.url);
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
        return 2;
    }
    process.stdout.write(`smoke test of ${baseUrl(args.url)} (timeout ${args.timeoutMs / 1000} s per request)\n`);
    const results = await runSmoke(args.url, {
        timeoutMs: args.timeoutMs,
        onResult: (r) => process.stdout.write(`${formatResult(r)}\n`),
    });
    const failed = results.filter((r) => r.status !== "pass");
    if (failed.length === 0) {
        process.stdout.write(`smoke test passed: ${results.length} of ${results.length} checks\n`);
        return 0;
    }
    process.stdout.write(
        `smoke test FAILED: ${failed.map((r) => `${r.name} ${r.status === "fail" ? "failed" : "skipped"}`).join(", ")}\n`,
    );
    return 1;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (err: unknown) => {
            process.stderr.write(`smoke test crashed: ${(err as Error).stack ?? String(err)}\n`);
            process.exitCode = 1;
        },
    );
}
