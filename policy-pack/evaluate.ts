/**
 * The offline policy check: runs every policy of the pack over a planned set of resources through
 * the pack's real `@pulumi/policy` analyzer process, driven as the Pulumi CLI drives it
 * (`engine/`). `npm run plan` uses it (CONTRACT.md, "Policy pack").
 *
 * Props are the resource's inputs in Pulumi's camelCase names. Plain values are passed as they
 * are (`null` stays `null`, which the pack reads as "not known"); values in Pulumi's wire form —
 * secrets (`{"4dabf…": "1b47…", value}`) and unknowns (`"04da6b54-…"`) — reach the policies as the
 * engine gives them: secrets unwrapped, unknowns behind the analyzer's unknown-checking proxy.
 *
 * Importing this module starts nothing; the first call starts one analyzer for the process, which
 * later calls reuse (one call at a time) and which ends with the process.
 */
import { Analyzer, StartOptions, WireResource } from "./engine/analyzer";
import { runPolicies, Violation } from "./engine/engine";

export { PolicyConfigError } from "./engine/config";
export type { Violation } from "./engine/engine";

/** One resource of a plan: what the program registers, with its inputs. */
export interface PlannedResource {
    type: string;
    name: string;
    urn?: string;
    /** Inputs in Pulumi's camelCase names; unknown values as `null` (or the wire form's unknown). */
    props: Record<string, unknown>;
    /** The id the mocks gave the resource (`null` for components); lets stack policies follow references. */
    id?: string | null;
    /** URN of the parent resource. */
    parent?: string | null;
    /** URNs this resource depends on (`dependsOn` and the inputs' resources). */
    dependencies?: string[];
    /** The URNs each input was computed from; stack policies follow references through them. */
    propertyDependencies?: Record<string, string[]>;
    /** Resource options the engine passes to policies. */
    options?: WireResource["options"];
}

/**
 * A `--policy-pack-config` document:
 * `{"all": "mandatory", "policy-name": {"enforcementLevel": "advisory", ...config}, "other": "disabled"}`.
 */
export type PolicyConfig = Record<string, unknown>;

/** Extensions for callers that need more than the contract's `evaluate`. */
export interface EvaluateOptions {
    /** Stack tags (`pulumi stack tag`), as the engine passes them to policies. */
    stackTags?: Record<string, string>;
    /** Stack name (URNs synthesised for resources without one, ConfigureStack). @default "offline" */
    stack?: string;
    /** Project name. @default "private-app" */
    project?: string;
    /** A preview (the default) or an update. */
    dryRun?: boolean;
    /** Use this analyzer instead of the process's shared one. */
    analyzer?: Analyzer;
}

let shared: Promise<Analyzer> | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** The process's analyzer, started on first use (type checking off: `npm test` runs `tsc`). */
export function sharedAnalyzer(options: StartOptions = {}): Promise<Analyzer> {
    if (shared === undefined) {
        shared = Analyzer.start(options);
        shared.then(
            (a) => process.once("exit", () => a.close()),
            () => (shared = undefined),
        );
    }
    return shared;
}

/**
 * Runs `fn` on the process's analyzer with nobody else using it (every call configures the
 * analyzer for itself). The policy tests call single policies through it.
 */
export function exclusive<T>(fn: (analyzer: Analyzer) => Promise<T>, analyzer?: Analyzer): Promise<T> {
    const run = async () => fn(analyzer ?? (await sharedAnalyzer()));
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
}

/** A planned resource as the engine sends it to the analyzer. */
export function toWire(r: PlannedResource, stack: string, project: string): WireResource {
    return {
        urn: r.urn ?? `urn:pulumi:${stack}::${project}::${r.type}::${r.name}`,
        type: r.type,
        name: r.name,
        id: r.id,
        properties: r.props,
        parent: r.parent ?? null,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
        options: r.options,
    };
}

function checkInput(resources: unknown): asserts resources is PlannedResource[] {
    if (!Array.isArray(resources)) {
        throw new TypeError("evaluate: resources must be an array of planned resources");
    }
    resources.forEach((r, i) => {
        const ok =
            typeof r === "object" &&
            r !== null &&
            typeof (r as PlannedResource).type === "string" &&
            typeof (r as PlannedResource).name === "string" &&
            typeof (r as PlannedResource).props === "object" &&
            (r as PlannedResource).props !== null &&
            !Array.isArray((r as PlannedResource).props);
        if (!ok) {
            throw new TypeError(`evaluate: resources[${i}] must have a string type, a string name and an object props`);
        }
    });
}

/** Runs every policy of the `private-app` pack over `resources` with `config`, as the engine would. */
export async function evaluate(
    resources: PlannedResource[],
    config?: PolicyConfig,
    options: EvaluateOptions = {},
): Promise<Violation[]> {
    checkInput(resources);
    const stack = options.stack ?? "offline";
    const project = options.project ?? "private-app";
    const wire = resources.map((r) => toWire(r, stack, project));
    return exclusive(
        (analyzer) =>
            runPolicies(analyzer, wire, config ?? {}, {
                project,
                stack,
                dryRun: options.dryRun,
                stackTags: options.stackTags,
            }),
        options.analyzer,
    );
}
