/**
 * Runs `npm run plan` the way a user does (its own process per stack), for the tests.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlanDocument } from "../../tools/run-plan";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface CliResult {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/**
 * `npm run plan -- <args>` without npm's own noise: the same command as the npm script.
 *
 * Under `npm test` several files plan the same committed stacks with the same arguments (`dev
 * --json`, `prod --json`, the examples, ...): each such command runs once per test run, and every
 * caller gets that process's exit code, stdout and stderr. The results live in the run's own
 * folder ({@link PLAN_CACHE_ENV}, made by .mocharc.js), shared by the parallel workers. The key is
 * the arguments, the extra environment and the content of every file an argument names (a stack
 * file, a program). Without that folder (a file run on its own) every call runs the command.
 */
export function planCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const dir = process.env[PLAN_CACHE_ENV];
    if (!dir) return runPlanCli(args, env);
    // A file is known by its absolute path (the plan resolves it so; `examples/x.yaml` and
    // `<root>/examples/x.yaml` give the same output) and by its content.
    const key = args.map((a) => {
        const file = path.resolve(ROOT, a);
        return fs.statSync(file, { throwIfNoEntry: false })?.isFile()
            ? { file, text: fs.readFileSync(file, "utf8") }
            : a;
    });
    return once(dir, JSON.stringify({ key, env }), () => runPlanCli(args, env));
}

/** The environment variable naming the test run's folder of plan results. */
export const PLAN_CACHE_ENV = "PRIVATE_APP_TEST_PLANS";

const inProcess = new Map<string, Promise<CliResult>>();

/** Runs `run` once per key across the test run's processes; the others read its result. */
function once(dir: string, key: string, run: () => Promise<CliResult>): Promise<CliResult> {
    let p = inProcess.get(key);
    if (p) return p;
    const base = path.join(dir, crypto.createHash("sha256").update(key).digest("hex"));
    p = (async () => {
        try {
            fs.writeFileSync(`${base}.claim`, String(process.pid), { flag: "wx" });
        } catch {
            // Another worker runs it: wait for its result (or, should it die, run it here).
            const deadline = Date.now() + 300_000;
            while (Date.now() < deadline) {
                try {
                    return JSON.parse(fs.readFileSync(`${base}.json`, "utf8")) as CliResult;
                } catch {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
            }
            return run();
        }
        const result = await run();
        fs.writeFileSync(`${base}.tmp`, JSON.stringify(result));
        fs.renameSync(`${base}.tmp`, `${base}.json`); // atomic: a reader never sees half of it
        return result;
    })();
    inProcess.set(key, p);
    return p;
}

function runPlanCli(args: string[], env: Record<string, string>): Promise<CliResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            [
                "--enable-source-maps",
                "-r",
                path.join(ROOT, "tools", "register.js"),
                path.join(ROOT, "tools", "plan.ts"),
                ...args,
            ],
            {
                cwd: ROOT,
                env: {
                    ...process.env,
                    PULUMI_CONFIG: undefined,
                    TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
                    ...env,
                },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    });
}

/** The parsed `--json` document of a plan that must succeed (exit 0 or 1). */
export async function planJson(
    stackOrFile: string,
    extra: string[] = [],
): Promise<{ doc: PlanDocument; result: CliResult }> {
    const result = await planCli([stackOrFile, "--json", ...extra]);
    if (result.code !== 0 && result.code !== 1) {
        throw new Error(`plan ${stackOrFile} exited ${result.code}:\n${result.stderr}`);
    }
    return { doc: JSON.parse(result.stdout) as PlanDocument, result };
}

/** Writes a stack file with the given config into a temporary folder and returns its path. */
export function tempStackFile(name: string, config: Record<string, unknown>, extension = "yaml"): string {
    return tempFile(`Pulumi.${name}.${extension}`, JSON.stringify({ config }, null, 2)); // JSON is YAML
}

/** Writes `text` to a file of that name in a fresh temporary folder and returns its path. */
export function tempFile(name: string, text: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "private-app-stack-"));
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}
