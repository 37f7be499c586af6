/**
 * One problem type for every planner, one way to print it, one error to throw it.
 *
 * A planner (`lib/*-plan.ts`) validates plain arguments and returns `Problem`s whose `key` is
 * the argument's path (`masterUsername`, `existingVpc.vpcId`). The stack config
 * (`lib/config.ts`) runs the same planners and prints each problem under its full config key
 * (`private-app:database.masterUsername`); a component run as a library throws the same
 * problems under its own name. Either way: the key, the value given, what is allowed, the fix.
 *
 * Pure module: no Pulumi resource declarations.
 */

/** One thing wrong with one value. */
export interface Problem {
    /** Path of the value inside the arguments (or config object), dot-separated; `""` for the whole. */
    readonly key: string;
    /** The value given (`undefined` when unset). Never a secret: planners see no secrets. */
    readonly given: unknown;
    /** What is allowed, as a phrase: "expected 2 or 3", "is reserved by PostgreSQL". */
    readonly allowed: string;
    /** How to fix it, as an instruction: "set azCount to 2 or 3". */
    readonly fix: string;
    /**
     * Where in the planners this problem was raised (`file:line`), for the test that proves
     * every rule reaches the user as a config error. Not printed.
     */
    readonly site?: string;
}

/** Local helpers that build a problem for their caller: the site is the caller's line. */
const HELPERS = /^(?:.*\.)?(?:problem|callerSite|bad|whole|wholeIn|oneOf|cidrProblem)$/;

/**
 * The planner line that raised a problem: the first frame in a `lib/*-plan.ts` file that is
 * not one of the local helpers that build problems (`bad()`, `wholeIn()`, ...).
 */
function callerSite(): string | undefined {
    for (const line of new Error().stack?.split("\n").slice(1) ?? []) {
        const m = /^\s*at (?:(\S+) \()?([^()\s]*lib[\\/][a-z0-9-]+-plan\.ts):(\d+):\d+\)?$/.exec(line);
        if (!m) continue;
        if (m[1] !== undefined && HELPERS.test(m[1])) continue;
        return `${m[2].replace(/^.*lib[\\/]/, "lib/")}:${m[3]}`;
    }
    return undefined;
}

/** A problem: `key: got <given>; <allowed>. Fix: <fix>` once printed. */
export function problem(key: string, given: unknown, allowed: string, fix: string): Problem {
    return { key, given, allowed, fix, site: callerSite() };
}

/** The value as a problem line shows it: JSON, cut at 80 characters; "nothing (unset)" for undefined. */
export function show(value: unknown): string {
    if (value === undefined) return "nothing (unset)";
    let s: string | undefined;
    try {
        s = JSON.stringify(value);
    } catch {
        s = undefined;
    }
    if (s === undefined) s = String(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Joins a prefix (a config key or nothing) and a planner key: `private-app:database` + `proxy`. */
export function joinKey(prefix: string, key: string): string {
    if (prefix === "") return key;
    if (key === "") return prefix;
    return key.startsWith("[") ? `${prefix}${key}` : `${prefix}.${key}`;
}

/** One line per problem, keys under `prefix`. */
export function renderProblem(p: Problem, prefix = ""): string {
    return `${joinKey(prefix, p.key)}: got ${show(p.given)}; ${p.allowed}. Fix: ${p.fix}`;
}

/** The same problems under another key (a planner's problems placed inside a config object). */
export function nested(prefix: string, problems: readonly Problem[]): Problem[] {
    return problems.map((p) => ({ ...p, key: joinKey(prefix, p.key) }));
}

/**
 * Invalid configuration or arguments: one line per problem. Marked as a Pulumi `RunError`
 * (the runtime checks the `__pulumiRunError` brand), so `pulumi up` prints the lines without a
 * stack trace; the offline plan prints them and exits 2.
 */
export class ConfigError extends Error {
    readonly __pulumiRunError = true;
    readonly problems: readonly string[];
    /** The planner lines that raised them (see {@link Problem.site}); for tests, never printed. */
    readonly sites: readonly string[];
    constructor(problems: readonly string[], title = "Invalid configuration", sites: readonly string[] = []) {
        super(
            `${title} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${p}`).join("\n")}`,
        );
        this.name = "ConfigError";
        this.problems = problems;
        this.sites = sites;
    }
    static isInstance(e: unknown): e is ConfigError {
        return (
            typeof e === "object" &&
            e !== null &&
            Array.isArray((e as ConfigError).problems) &&
            (e as Error).name === "ConfigError"
        );
    }
}

/**
 * What a component throws for invalid arguments, before it declares any child: the same
 * problems the stack config reports, under the component's name.
 */
export function argsError(component: string, name: string, problems: readonly Problem[]): ConfigError {
    return new ConfigError(
        problems.map((p) => renderProblem(p)),
        `${component} "${name}": invalid arguments`,
    );
}

/** Throws {@link argsError} when there is any problem; returns the plan otherwise. */
export function orThrow<T>(component: string, name: string, result: { plan?: T; problems: readonly Problem[] }): T {
    if (result.problems.length > 0 || result.plan === undefined) throw argsError(component, name, result.problems);
    return result.plan;
}
