/**
 * The offline plan: `npm run plan -- <stack> [--json] [--policy-config <file>]`.
 *
 * Runs the real `index.ts` under Pulumi mocks with the config of `Pulumi.yaml` +
 * `Pulumi.<stack>.yaml`, records every resource it registers, then evaluates every policy of
 * `policy-pack/` on what it would create. No AWS credentials, no Pulumi CLI, no network.
 *
 * Exit codes (see ../shared/guide/CONTRACT.md): 0 no mandatory violation; 1 at least one
 * mandatory violation; 2 invalid configuration or unknown stack; 3 the plan itself failed
 * (a bug in the program or in this tool, printed with its stack trace).
 */
import * as path from "path";
import { loadStack, StackFileError } from "./stack-files";

interface Options {
    stack: string;
    json: boolean;
    policyConfig?: string;
    program?: string;
}

const USAGE = "usage: npm run plan -- <stack> [--json] [--policy-config <file.json>] [--program <file.ts>]";

function parseArgs(argv: string[]): Options {
    const rest: string[] = [];
    let json = false;
    let policyConfig: string | undefined;
    let program: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--json") json = true;
        else if (a === "--policy-config") {
            policyConfig = argv[++i];
            if (!policyConfig) fail(2, `--policy-config needs a file\n${USAGE}`);
        } else if (a === "--program") {
            // Plan another program with the same machinery (the policy tests use a hostile one).
            program = argv[++i];
            if (!program) fail(2, `--program needs a file\n${USAGE}`);
        } else if (a === "-h" || a === "--help") {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else if (a.startsWith("-")) fail(2, `unknown option ${a}\n${USAGE}`);
        else rest.push(a);
    }
    if (rest.length !== 1) fail(2, `expected exactly one stack name or stack file\n${USAGE}`);
    return { stack: rest[0], json, policyConfig, program };
}

function fail(code: number, message: string): never {
    process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
    process.exit(code);
}

async function main(): Promise<void> {
    const opts = parseArgs(process.argv.slice(2));
    const root = path.resolve(__dirname, "..");

    let stack;
    try {
        stack = loadStack(root, opts.stack);
    } catch (e) {
        if (e instanceof StackFileError) fail(2, e.message);
        throw e;
    }

    const { runPlan } = await import("./run-plan");
    const { formatPlan } = await import("./format-plan");
    const result = await runPlan(root, stack, {
        policyConfigFile: opts.policyConfig,
        program: opts.program ? path.resolve(opts.program) : undefined,
    });

    if (result.kind === "config-error") {
        // Exactly one line per problem (CONTRACT.md): key, value given, what is allowed, the fix.
        for (const line of result.problems) process.stderr.write(`${line}\n`);
        process.exit(2);
    }

    if (opts.json) {
        process.stdout.write(`${JSON.stringify(result.document, null, 2)}\n`);
    } else {
        process.stdout.write(formatPlan(result.document, { durationMs: result.durationMs, policyConfigFile: result.policyConfigFile }));
    }
    const mandatory = result.document.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    process.exit(mandatory > 0 ? 1 : 0);
}

main().catch((e: unknown) => {
    const err = e as Error;
    process.stderr.write(`plan failed: ${err?.stack ?? String(e)}\n`);
    process.exit(3);
});
