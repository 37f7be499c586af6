/**
 * Runs a Pulumi program under recording mocks and evaluates the policy pack on what it would
 * create. Used by `npm run plan` (tools/plan.ts) and by the tests, one stack per process:
 * the Pulumi runtime and the program's modules are loaded once per process.
 *
 * No resource is declared here; the program under test declares them.
 */
import * as fs from "fs";
import * as path from "path";
import { awsRegion, ConfigError, parseStackConfig } from "../lib/config";
import { CostEstimate, estimateCost } from "../lib/cost";
import type { AnalyzedResource } from "../policy-pack/engine/engine";
import type { RecordedResource, ResourceOptionsRecord } from "./mocks";
import type { StackConfig } from "./stack-files";

export interface PlanViolation {
    policy: string;
    enforcementLevel: string;
    resource?: string;
    message: string;
}

/** The `--json` document of CONTRACT.md. */
export interface PlanDocument {
    stack: string;
    resources: {
        urn: string;
        type: string;
        name: string;
        id: string | null;
        parent: string | null;
        inputs: Record<string, unknown>;
        /** The resource options a reviewer cares about; only those the program set. */
        options?: ResourceOptionsRecord;
    }[];
    outputs: Record<string, unknown>;
    violations: PlanViolation[];
    /** The monthly estimate (lib/cost.ts) in the stack's region; always set by runPlan. */
    cost?: CostEstimate;
}

export type PlanResult =
    | { kind: "config-error"; problems: readonly string[] }
    | {
          kind: "plan";
          document: PlanDocument;
          durationMs: number;
          policyConfigFile?: string;
          /** URNs of the cloud (custom) resources, as opposed to components. */
          custom: ReadonlySet<string>;
          firstPreview: boolean;
      };

export interface RunPlanOptions {
    /** The program to run (default: `<root>/index.ts`). */
    program?: string;
    /** Policy pack config (`--policy-pack-config` format); default `policy-pack/config/<stack>.json` when present. */
    policyConfigFile?: string;
    /** Give up on a program that has not finished after this long (default {@link DEFAULT_TIMEOUT_MS}). */
    timeoutMs?: number;
    /** Answer as the first `pulumi preview` of a new stack: ids and every computed output unknown. */
    firstPreview?: boolean;
}

/** How long the program may take before the plan gives up on it (`--timeout`). */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** The plan itself could not finish (the program failed, hung or leaked a rejection). */
export class PlanError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PlanError";
    }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settingsModule = (): { waitForRPCs(): Promise<void> } => require("@pulumi/pulumi/runtime/settings");

/** `PRIVATE_APP_PLAN_TIMING=1`: where the time goes, on stderr (ms since the process started). */
function phase(what: string): void {
    if (process.env.PRIVATE_APP_PLAN_TIMING === "1")
        process.stderr.write(`timing: ${Math.round(performance.now())} ms ${what}\n`);
}

export async function runPlan(root: string, stack: StackConfig, options: RunPlanOptions = {}): Promise<PlanResult> {
    const started = Date.now();
    phase("plan starts");

    // 1. Validate the config first, with the same function the program uses, so that an
    //    invalid stack declares nothing at all.
    const problems = configProblems(root, stack);
    if (problems) return { kind: "config-error", problems };

    // 2. The policy pack's analyzer, started now so that it loads while the program runs (as the
    //    CLI starts it before running the program).
    //    As the engine, it checks each resource as soon as the program registers it.
    const { sharedAnalyzer, toWire } = await import("../policy-pack/evaluate");
    const { PolicySession } = await import("../policy-pack/engine/engine");
    const policyConfigFile = options.policyConfigFile ?? defaultPolicyConfig(root, stack.name);
    const policyConfig = policyConfigFile ? JSON.parse(fs.readFileSync(policyConfigFile, "utf8")) : undefined;
    const session = sharedAnalyzer({ project: stack.project, stack: stack.name, config: stack.config }).then((a) => {
        phase("analyzer listening");
        return PolicySession.open(a, policyConfig ?? {}, { project: stack.project, stack: stack.name, dryRun: true });
    });
    session.catch(() => undefined); // awaited below; a failure to start or configure is reported there
    const analyses = new Map<string, Promise<AnalyzedResource>>();
    const analyze = (r: RecordedResource) => {
        const started = session.then((s) => s.analyze(wireOf(r)));
        started.catch(() => undefined); // awaited below
        analyses.set(r.urn, started);
    };
    const wireOf = (r: RecordedResource) =>
        toWire(
            {
                type: r.type,
                name: r.name,
                urn: r.urn,
                id: r.id,
                parent: r.parent,
                props: r.wireInputs,
                dependencies: r.dependencies,
                propertyDependencies: r.propertyDependencies,
                options: {
                    protect: r.options.protect,
                    ignoreChanges: r.options.ignoreChanges,
                    aliases: r.options.aliases?.filter((a): a is string => typeof a === "string"),
                    deleteBeforeReplace: r.options.deleteBeforeReplace,
                },
            },
            stack.name,
            stack.project,
        );

    // 3. The Pulumi runtime, configured like `pulumi preview` would configure it.
    const pulumi = await import("@pulumi/pulumi");
    const { installRecordingMocks } = await import("./mocks");
    pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);
    const region = awsRegion(stack.config);
    const firstPreview = options.firstPreview ?? false;
    const mocks = await installRecordingMocks(stack.project, stack.name, { preview: false, firstPreview, region });
    mocks.onRecorded = analyze;
    phase("Pulumi SDK loaded, mocks installed");
    // The analyzer started at the beginning and has loaded the pack on the other core while this
    // process loaded the Pulumi SDK; with it configured before the program runs, each resource is
    // checked while the program is still registering the others (a failure is reported below).
    await session.then(
        () => phase("policies configured"),
        () => undefined,
    );
    const duplicates = () => {
        if (mocks.duplicateUrns.length > 0)
            throw new PlanError(
                `two resources have the same URN, which the engine refuses ("Duplicate resource URN"); give each a unique name: ${[...new Set(mocks.duplicateUrns)].join(", ")}`,
            );
    };

    // Errors raised inside outputs (apply callbacks, failed invokes, failed registrations)
    // surface as unhandled rejections, often a few ticks after the last RPC; collect them for
    // the whole run so the plan fails loudly instead of printing a partial tree.
    const asyncErrors: unknown[] = [];
    const onRejection = (reason: unknown) => asyncErrors.push(reason);
    process.on("unhandledRejection", onRejection);
    const log = await import("@pulumi/pulumi/log");

    // 4. Run the program inside a root Stack resource, as the Pulumi language host does.
    const program = options.program ?? path.join(stack.projectDir, "index.ts");
    let programExports: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = {};
    let recorded: RecordedResource[] = [];
    try {
        await guard(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, asyncErrors, async () => {
            await pulumi.runtime.runInPulumiStack(async () => {
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                programExports = require(program);
                return programExports;
            });
            await settingsModule().waitForRPCs();
            await settled(asyncErrors);
            duplicates();
            failOnAsyncErrors(asyncErrors);
            recorded = await mocks.snapshot();
            if (process.env.PRIVATE_APP_PLAN_TIMING === "1")
                phase(
                    `program registered ${recorded.length} resources, ${Math.round(JSON.stringify(recorded.map((r) => r.wireInputs)).length / 1024)} KiB of inputs`,
                );
            for (const [key, value] of Object.entries(programExports)) {
                if (key === "__esModule") continue;
                const resolved = await resolveOutput(pulumi, value);
                if (resolved !== undefined) outputs[key] = resolved; // as Pulumi: undefined is no output
            }
        });
        failOnAsyncErrors(asyncErrors);
        if (log.hasErrors())
            throw new PlanError(
                "the program logged an error (the `error:` lines above); a deployment would fail the same way",
            );
    } catch (e) {
        if (ConfigError.isInstance(e)) return { kind: "config-error", problems: e.problems };
        duplicates();
        throw e;
    } finally {
        process.off("unhandledRejection", onRejection);
    }

    // 5. The policy checks started at each registration; then AnalyzeStack over all of them, on
    //    the inputs as the engine sees them (real secret values, unknowns), never the printed form.
    phase("policies: waiting for the per-resource checks");
    const analyzed = await Promise.all(
        recorded.map((r) => {
            const a = analyses.get(r.urn) ?? session.then((s) => s.analyze(wireOf(r)));
            // The id is the mocks' answer, known only after registration: AnalyzeStack gets it.
            return a.then((x) => ({ ...x, remediated: { ...x.remediated, id: r.id } }));
        }),
    );
    const violations = await (await session).finish(analyzed);
    phase("policies done");

    const document: PlanDocument = {
        stack: stack.name,
        resources: recorded.map(toDocumentResource),
        outputs,
        violations: violations.map((v) => ({
            policy: v.policy,
            enforcementLevel: v.enforcementLevel,
            resource: v.resource,
            message: v.message,
        })),
        cost: estimateCost(recorded, region ?? "(no region)"),
    };
    return {
        kind: "plan",
        document,
        durationMs: Date.now() - started,
        policyConfigFile,
        custom: new Set(recorded.filter((r) => r.custom).map((r) => r.urn)),
        firstPreview,
    };
}

/**
 * The stack's config problems (one line each), or `undefined` when it is valid; checked with the
 * same function the program uses. A stack of another project (bootstrap/) has another
 * namespace: its program validates its own config.
 */
export function configProblems(root: string, stack: StackConfig): readonly string[] | undefined {
    if (path.resolve(stack.projectDir) !== path.resolve(root)) return undefined;
    try {
        parseStackConfig(stack.config, { stack: stack.name, secretKeys: stack.secretKeys });
        return undefined;
    } catch (e) {
        if (ConfigError.isInstance(e)) return e.problems;
        throw e;
    }
}

function defaultPolicyConfig(root: string, stack: string): string | undefined {
    const file = path.join(root, "policy-pack", "config", `${stack}.json`);
    return fs.existsSync(file) ? file : undefined;
}

function toDocumentResource(r: RecordedResource): PlanDocument["resources"][number] {
    const out: PlanDocument["resources"][number] = {
        urn: r.urn,
        type: r.type,
        name: r.name,
        id: r.id,
        parent: r.parent,
        inputs: r.inputs,
    };
    if (Object.keys(r.options).length > 0) out.options = r.options;
    return out;
}

/** A stack output as a reader sees it: secrets masked, unknowns null, resources by URN. */
async function resolveOutput(pulumi: typeof import("@pulumi/pulumi"), value: unknown): Promise<unknown> {
    if (pulumi.Resource.isInstance(value)) return resolveOutput(pulumi, value.urn);
    if (pulumi.Output.isInstance(value)) {
        const o = value as unknown as {
            isSecret: Promise<boolean>;
            isKnown: Promise<boolean>;
            promise(): Promise<unknown>;
        };
        if (await o.isSecret) return "[secret]";
        if (!(await o.isKnown)) return null;
        return resolveOutput(pulumi, await o.promise());
    }
    if (value instanceof Promise) return resolveOutput(pulumi, await value);
    if (Array.isArray(value)) return Promise.all(value.map((v) => resolveOutput(pulumi, v)));
    if (typeof value === "function") return undefined;
    if (value !== null && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await resolveOutput(pulumi, v);
        return out;
    }
    return value;
}

const pulumiState = (): { getStore(): { leakCandidates: Set<Promise<unknown> & { _debugCtx?: string }> } } =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@pulumi/pulumi/runtime/state");

/** The Pulumi operations still waiting (registrations, invokes, outputs), by their labels. */
function pending(): string[] {
    return [...pulumiState().getStore().leakCandidates].map((p) => String(p._debugCtx ?? "?"));
}

function describePending(): string {
    const labels = pending().filter((l) => l !== "rpcKeepAlive");
    if (labels.length === 0) return "";
    const shown = labels.slice(0, 5).map((l) => (l.length > 160 ? `${l.slice(0, 157)}...` : l));
    return `; ${labels.length} operation(s) still waiting, e.g.:\n  ${shown.join("\n  ")}`;
}

/**
 * Waits until every Pulumi operation has settled (or one has failed). `waitForRPCs` returns as
 * soon as no RPC is in flight, which is before a failed apply or invoke has been reported.
 */
async function settled(asyncErrors: unknown[]): Promise<void> {
    while (asyncErrors.length === 0 && pulumiState().getStore().leakCandidates.size > 0) {
        // Unref'd: if nothing else can make progress the event loop drains and `guard` says so.
        await new Promise<void>((resolve) => setTimeout(resolve, 10).unref());
    }
    // Let rejections raised in the last ticks reach the handler.
    await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Runs `body`, failing with a clear message when the program can never finish (the event loop
 * drains while outputs are still pending, e.g. a promise that never settles) or has not
 * finished after `timeoutMs` (e.g. something keeps the process busy forever).
 */
async function guard(timeoutMs: number, asyncErrors: unknown[], body: () => Promise<void>): Promise<void> {
    let onDrain: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
        onDrain = () => {
            if (asyncErrors.length > 0) reject(asyncFailure(asyncErrors));
            else
                reject(
                    new PlanError(
                        `the program can never finish: it waits on values that will never be available (a promise that never settles, or an output that depends on itself)${describePending()}`,
                    ),
                );
        };
        process.once("beforeExit", onDrain);
        timer = setTimeout(() => {
            reject(
                new PlanError(
                    `the program did not finish within ${Math.round(timeoutMs / 1000)} s (raise the limit with --timeout <seconds>)${describePending()}`,
                ),
            );
        }, timeoutMs);
        timer.unref();
    });
    try {
        await Promise.race([body(), stalled]);
    } finally {
        if (onDrain) process.off("beforeExit", onDrain);
        if (timer) clearTimeout(timer);
    }
}

function asyncFailure(asyncErrors: unknown[]): PlanError {
    const first = asyncErrors[0] as Error | undefined;
    const text = first instanceof Error ? first.stack || first.message : String(first);
    return new PlanError(`the program failed while resolving outputs (${asyncErrors.length} error(s)); first: ${text}`);
}

function failOnAsyncErrors(asyncErrors: unknown[]): void {
    // A ConfigError thrown inside an apply is still a configuration problem (exit 2).
    const config = asyncErrors.find((e) => ConfigError.isInstance(e));
    if (config) throw config;
    if (asyncErrors.length > 0) throw asyncFailure(asyncErrors);
}
