/**
 * The offline plan: `npm run plan -- <stack> [--json] [--cost-detail] [--policy-config <file>] [--program <file>] [--timeout <seconds>] [--first-preview]`.
 *
 * Runs the real `index.ts` under Pulumi mocks with the config of `Pulumi.yaml` +
 * `Pulumi.<stack>.yaml`, records every resource it registers, then runs every policy of
 * `policy-pack/` through the pack's real analyzer on what it would create. No AWS credentials,
 * no Pulumi CLI, no network. `--first-preview` answers as the first `pulumi preview` of a new
 * stack: ids and every output AWS computes are unknown.
 *
 * Exit codes (see ../shared/guide/CONTRACT.md): 0 no mandatory violation; 1 at least one
 * mandatory violation; 2 invalid configuration or unknown stack; 3 the plan itself failed
 * (the program threw, failed in an apply or invoke, logged an error, can never finish or did
 * not finish within --timeout, default 120 s; printed with the reason and the stack trace).
 * With --json the document carries `cost` (lib/cost.ts); without, the estimate is printed per
 * component (per resource with --cost-detail). With --json, anything but the document that
 * would reach stdout goes to stderr.
 */
import * as path from "path";
import { loadStack, StackFileError } from "./stack-files";

interface Options {
    stack: string;
    json: boolean;
    costDetail: boolean;
    policyConfig?: string;
    program?: string;
    timeoutMs?: number;
    firstPreview: boolean;
}

const USAGE =
    "usage: npm run plan -- <stack> [--json] [--cost-detail] [--policy-config <file.json>] [--program <file.ts>] [--timeout <seconds>] [--first-preview]";

function parseArgs(argv: string[]): Options {
    const rest: string[] = [];
    let json = false;
    let firstPreview = false;
    let costDetail = false;
    let policyConfig: string | undefined;
    let program: string | undefined;
    let timeoutMs: number | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--json") json = true;
        else if (a === "--first-preview") firstPreview = true;
        else if (a === "--cost-detail") costDetail = true;
        else if (a === "--policy-config") {
            policyConfig = argv[++i];
            if (!policyConfig) fail(2, `--policy-config needs a file\n${USAGE}`);
        } else if (a === "--program") {
            // Plan another program with the same machinery (the policy tests use a hostile one).
            program = argv[++i];
            if (!program) fail(2, `--program needs a file\n${USAGE}`);
        } else if (a === "--timeout") {
            const seconds = Number(argv[++i]);
            if (!(seconds > 0)) fail(2, `--timeout needs a number of seconds\n${USAGE}`);
            timeoutMs = seconds * 1000;
        } else if (a === "-h" || a === "--help") {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else if (a.startsWith("-")) fail(2, `unknown option ${a}\n${USAGE}`);
        else rest.push(a);
    }
    if (rest.length !== 1) fail(2, `expected exactly one stack name or stack file\n${USAGE}`);
    return { stack: rest[0], json, costDetail, policyConfig, program, timeoutMs, firstPreview };
}

/** Writes to the real stdout, then exits once it is flushed (pipes may be asynchronous). */
let writeStdout = (text: string, done: () => void) => process.stdout.write(text, () => done());

/**
 * With `--json`, stdout carries exactly one JSON document: whatever else writes to it while
 * the program runs (`console.log`, `pulumi.log.info`, which prints to stdout when there is no
 * engine) goes to stderr instead.
 */
function reserveStdout(): void {
    const original = process.stdout.write.bind(process.stdout);
    writeStdout = (text, done) => original(text, () => done());
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
        (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
}

function exitAfter(text: string, code: number): void {
    writeStdout(text, () => process.exit(code));
}

/** Exactly one line per problem (CONTRACT.md): key, value given, what is allowed, the fix; exit 2. */
function configError(problems: readonly string[]): never {
    for (const line of problems) process.stderr.write(`${line}\n`);
    process.exit(2);
}

function fail(code: number, message: string): never {
    process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
    process.exit(code);
}

async function main(): Promise<void> {
    const opts = parseArgs(process.argv.slice(2));
    if (opts.json) reserveStdout();
    const root = path.resolve(__dirname, "..");

    let stack;
    try {
        stack = loadStack(root, opts.stack);
    } catch (e) {
        if (e instanceof StackFileError) fail(2, e.message);
        throw e;
    }
    for (const w of stack.warnings) process.stderr.write(`warning: ${w}\n`);

    // An invalid config exits 2 before anything else starts (no analyzer process, no SDK): one
    // line per problem (CONTRACT.md).
    const { configProblems, runPlan } = await import("./run-plan");
    const problems = configProblems(root, stack);
    if (problems) configError(problems);

    // Then start the policy pack's analyzer: it loads the pack on the other core while this
    // process loads the Pulumi SDK (runPlan uses the same process-wide analyzer).
    const { sharedAnalyzer } = await import("../policy-pack/evaluate");
    sharedAnalyzer({ project: stack.project, stack: stack.name, config: stack.config }).catch(() => undefined);

    const { formatPlan } = await import("./format-plan");
    const result = await runPlan(root, stack, {
        policyConfigFile: opts.policyConfig,
        program: opts.program ? path.resolve(opts.program) : undefined,
        timeoutMs: opts.timeoutMs,
        firstPreview: opts.firstPreview,
    });

    // A ConfigError the program itself raised (e.g. inside an apply).
    if (result.kind === "config-error") configError(result.problems);

    const mandatory = result.document.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const text = opts.json
        ? `${JSON.stringify(result.document, null, 2)}\n`
        : formatPlan(result.document, {
              durationMs: result.durationMs,
              policyConfigFile: result.policyConfigFile,
              custom: result.custom,
              firstPreview: result.firstPreview,
              costDetail: opts.costDetail,
          });
    exitAfter(text, mandatory > 0 ? 1 : 0);
}

main().catch((e: unknown) => {
    const err = e as Error;
    // A PlanError is a diagnosis (the program hung or failed); anything else is a bug, with its stack.
    const text = err?.name === "PlanError" ? err.message : (err?.stack ?? String(e));
    process.stderr.write(`plan failed: ${text}\n`);
    process.exit(3);
});
