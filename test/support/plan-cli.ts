/**
 * Runs `npm run plan` the way a user does (its own process per stack), for the tests.
 */
import { spawn } from "child_process";
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

/** `npm run plan -- <args>` without npm's own noise: the same command as the npm script. */
export function planCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
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
