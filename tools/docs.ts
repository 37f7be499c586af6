/**
 * `npm run docs`: regenerates the generated sections of README.md: the config reference (from
 * lib/config-reference.ts) and the cost table (lib/cost-table.ts, from the offline plan of every
 * committed stack and every example stack, each planned in its own process as a user would).
 * `npm run docs -- --check`: exits 1 when README.md is not up to date (the tests check the same
 * in-process).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { costTableStacks, PlannedStack, withCostTable } from "../lib/cost-table";
import { withReference } from "../lib/config-reference";
import type { PlanDocument } from "./run-plan";

const root = path.resolve(__dirname, "..");
const readmePath = path.join(root, "README.md");

/** `npm run plan -- <stack> --json` in its own process (the program runs once per process). */
function planJson(stack: string): Promise<PlanDocument> {
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            [
                "--enable-source-maps",
                "-r",
                path.join(root, "tools", "register.js"),
                path.join(root, "tools", "plan.ts"),
                stack,
                "--json",
            ],
            { cwd: root, env: { ...process.env, PULUMI_CONFIG: undefined }, stdio: ["ignore", "pipe", "pipe"] },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => {
            if (code === 0 || code === 1) resolve(JSON.parse(stdout) as PlanDocument);
            else reject(new Error(`plan ${stack} exited ${code}:\n${stderr}`));
        });
    });
}

async function main(): Promise<void> {
    const stacks = costTableStacks(fs.readdirSync(root), fs.readdirSync(path.join(root, "examples")));
    const planned: PlannedStack[] = [];
    for (const stack of stacks) {
        const doc = await planJson(stack);
        if (!doc.cost) throw new Error(`plan ${stack} has no cost`);
        planned.push({ stack, resources: doc.resources, cost: doc.cost });
    }
    const current = fs.readFileSync(readmePath, "utf8");
    const next = withCostTable(withReference(current), planned);
    if (process.argv.includes("--check")) {
        if (next !== current) {
            process.stderr.write("README.md's config reference or cost table is out of date: run `npm run docs`\n");
            process.exit(1);
        }
    } else if (next !== current) {
        fs.writeFileSync(readmePath, next);
        process.stdout.write("README.md: config reference and cost table updated\n");
    }
}

main().catch((e: unknown) => {
    process.stderr.write(`docs failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
});
