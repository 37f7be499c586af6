/**
 * Runs a Pulumi program under recording mocks and evaluates the policy pack on what it would
 * create. Used by `npm run plan` (tools/plan.ts) and by the tests, one stack per process:
 * the Pulumi runtime and the program's modules are loaded once per process.
 *
 * No resource is declared here; the program under test declares them.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parseStackConfig } from "../lib/config";
import type { RecordedResource } from "./mocks";
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
    resources: { urn: string; type: string; name: string; id: string | null; parent: string | null; inputs: Record<string, unknown> }[];
    outputs: Record<string, unknown>;
    violations: PlanViolation[];
}

export type PlanResult =
    | { kind: "config-error"; problems: readonly string[] }
    | { kind: "plan"; document: PlanDocument; durationMs: number; policyConfigFile?: string };

export interface RunPlanOptions {
    /** The program to run (default: `<root>/index.ts`). */
    program?: string;
    /** Policy pack config (`--policy-pack-config` format); default `policy-pack/config/<stack>.json` when present. */
    policyConfigFile?: string;
    /** Skip the program's own config validation (for programs that do not use lib/config). */
    skipConfigValidation?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settingsModule = (): { waitForRPCs(): Promise<void> } => require("@pulumi/pulumi/runtime/settings");

export async function runPlan(root: string, stack: StackConfig, options: RunPlanOptions = {}): Promise<PlanResult> {
    const started = Date.now();

    // 1. Validate the config first, with the same function the program uses, so that an
    //    invalid stack declares nothing at all.
    if (!options.skipConfigValidation) {
        try {
            parseStackConfig(stack.config);
        } catch (e) {
            if (ConfigError.isInstance(e)) return { kind: "config-error", problems: e.problems };
            throw e;
        }
    }

    // 2. The Pulumi runtime, configured like `pulumi preview` would configure it.
    const pulumi = await import("@pulumi/pulumi");
    const { installRecordingMocks } = await import("./mocks");
    pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);
    const region = stack.config["aws:region"];
    const mocks = await installRecordingMocks(stack.project, stack.name, { preview: false, region });

    // Errors raised inside outputs (apply callbacks, failed invokes) surface as rejections;
    // collect them so the plan fails loudly instead of printing a partial tree.
    const asyncErrors: unknown[] = [];
    const onRejection = (reason: unknown) => asyncErrors.push(reason);
    process.on("unhandledRejection", onRejection);

    // 3. Run the program inside a root Stack resource, as the Pulumi language host does.
    const program = options.program ?? path.join(root, "index.ts");
    let exports: Record<string, unknown> = {};
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            exports = require(program);
            return exports;
        });
        await settingsModule().waitForRPCs();
    } catch (e) {
        if (ConfigError.isInstance(e)) return { kind: "config-error", problems: e.problems };
        throw e;
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    if (asyncErrors.length > 0) {
        const first = asyncErrors[0] as Error;
        throw new Error(`the program failed while resolving outputs (${asyncErrors.length} error(s)); first: ${first?.stack ?? String(first)}`);
    }

    const recorded = await mocks.snapshot();
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exports)) {
        if (key === "__esModule") continue;
        const resolved = await resolveOutput(pulumi, value);
        if (resolved !== undefined) outputs[key] = resolved; // as Pulumi: undefined is no output
    }

    // 4. The policy pack, exactly as the engine would run it.
    const policyConfigFile = options.policyConfigFile ?? defaultPolicyConfig(root, stack.name);
    const policyConfig = policyConfigFile ? JSON.parse(fs.readFileSync(policyConfigFile, "utf8")) : undefined;
    const { evaluate } = await import("../policy-pack/evaluate");
    const violations = await evaluate(
        recorded.map((r) => ({ type: r.type, name: r.name, urn: r.urn, id: r.id, parent: r.parent, props: r.inputs })),
        policyConfig,
    );

    const document: PlanDocument = {
        stack: stack.name,
        resources: recorded.map(toDocumentResource),
        outputs,
        violations: violations.map((v) => ({ policy: v.policy, enforcementLevel: v.enforcementLevel, resource: v.resource, message: v.message })),
    };
    return { kind: "plan", document, durationMs: Date.now() - started, policyConfigFile };
}

function defaultPolicyConfig(root: string, stack: string): string | undefined {
    const file = path.join(root, "policy-pack", "config", `${stack}.json`);
    return fs.existsSync(file) ? file : undefined;
}

function toDocumentResource(r: RecordedResource): PlanDocument["resources"][number] {
    return { urn: r.urn, type: r.type, name: r.name, id: r.id, parent: r.parent, inputs: r.inputs };
}

/** A stack output as a reader sees it: secrets masked, unknowns null, resources by URN. */
async function resolveOutput(pulumi: typeof import("@pulumi/pulumi"), value: unknown): Promise<unknown> {
    if (pulumi.Resource.isInstance(value)) return resolveOutput(pulumi, value.urn);
    if (pulumi.Output.isInstance(value)) {
        const o = value as any;
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
