/**
 * Calls single policies of the pack through the pack's real analyzer process (the one
 * `policy-pack/evaluate.ts` starts once per test process), in the spirit of awsguard's
 * `createResourceValidationArgs` / `assertHasResourceViolation`: the policy under test is
 * configured as the engine would configure it (schema defaults + `config`, validated), every other
 * policy is disabled, and the resource travels as the engine sends it (a protobuf Struct;
 * `undefined` dropped, unknowns as the wire sentinel, secrets in the wire form).
 */
import * as assert from "assert";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Analyzer, AnalyzerResult, WireResource } from "../../policy-pack/engine/analyzer";
import { PolicyConfigEntry, PolicyInfo, reconcilePolicyConfig } from "../../policy-pack/engine/config";
import { exclusive } from "../../policy-pack/evaluate";
import { UNKNOWN } from "../../policy-pack/lib/props";

/** The wire form of an unknown value; the analyzer hides it behind its unknown-checking proxy. */
export const UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A secret in the wire form: the engine unwraps it before a policy sees it. */
export function secret(value: unknown): Record<string, unknown> {
    return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export interface CallOptions {
    /** Properties for this policy, as in a config file (merged over the schema defaults). */
    config?: Record<string, unknown>;
    stackTags?: Record<string, string>;
    name?: string;
    urn?: string;
    opts?: { protect?: boolean; parent?: string; ignoreChanges?: string[]; aliases?: string[] };
}

/** What one call of a policy produced. */
export interface Outcome {
    violations: string[];
    /** Set when the policy declared itself not applicable (with its reason). */
    notApplicable?: string;
    /** Advisory "can't run ... during preview" notes: the policy could not decide. */
    undecided?: string[];
}

/** What `GetAnalyzerInfo` says about a policy. */
function infoOf(policy: AnyPolicy): PolicyInfo {
    return {
        name: policy.name,
        description: policy.description,
        enforcementLevel: policy.enforcementLevel ?? "advisory",
        configSchema: policy.configSchema as PolicyInfo["configSchema"],
    };
}

/** The policy's config as the engine would pass it: schema defaults + `config`, validated. */
export function policyConfig(policy: AnyPolicy, config: Record<string, unknown> = {}): Record<string, unknown> {
    return reconcilePolicyConfig([infoOf(policy)], { [policy.name]: config }).get(policy.name)!.properties;
}

/** Plain test data in the wire form: the pack's UNKNOWN marker becomes the wire's unknown. */
function wire(v: unknown): unknown {
    if (v === UNKNOWN) return UNKNOWN_WIRE;
    if (Array.isArray(v)) return v.map(wire);
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wire(x)]));
    }
    return v;
}

let policyNames: Promise<string[]> | undefined;

/** Configures the analyzer with only `policy` enabled, at `level` (its own by default). */
async function configureOnly(analyzer: Analyzer, policy: AnyPolicy, options: CallOptions, level?: string) {
    policyNames ??= analyzer.getAnalyzerInfo().then((i) => i.policies.map((p) => p.name));
    await analyzer.configureStack({
        project: "private-app",
        stack: "test",
        dryRun: true,
        tags: options.stackTags,
    });
    const config = new Map<string, PolicyConfigEntry>(
        (await policyNames).map((n) => [n, { enforcementLevel: "disabled", properties: {} }]),
    );
    assert.ok(config.has(policy.name), `${policy.name} is not a policy of the pack`);
    const own = infoOf(policy);
    config.set(policy.name, {
        enforcementLevel: (level ?? own.enforcementLevel) as PolicyInfo["enforcementLevel"],
        properties: policyConfig(policy, options.config),
    });
    await analyzer.configure(config);
}

function resource(type: string, props: Record<string, unknown>, options: CallOptions): WireResource {
    const name = options.name ?? "res";
    return {
        urn: options.urn ?? urnOf(type, name),
        type,
        name,
        properties: wire(props) as Record<string, unknown>,
        parent: options.opts?.parent,
        options: options.opts,
    };
}

const stripDescription = (description: string, message: string) =>
    message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message;

function outcomeOf(policy: AnyPolicy, result: AnalyzerResult): Outcome & { urns: (string | undefined)[] } {
    const mine = result.diagnostics.filter((d) => d.policy === policy.name);
    const undecided = mine.filter((d) => /^can't run /.test(d.message));
    const violations = mine.filter((d) => !undecided.includes(d));
    const na = result.notApplicable.find((n) => n.policy === policy.name);
    return {
        violations: violations.map((d) => stripDescription(d.description, d.message)),
        urns: violations.map((d) => d.urn),
        ...(na ? { notApplicable: na.reason } : {}),
        ...(undecided.length > 0 ? { undecided: undecided.map((d) => d.message) } : {}),
    };
}

/** Runs every validation of a resource policy on one resource. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, unknown>,
    options: CallOptions = {},
): Promise<Outcome> {
    return exclusive(async (analyzer) => {
        await configureOnly(analyzer, policy, options);
        const { violations, notApplicable, undecided } = outcomeOf(
            policy,
            await analyzer.analyze(resource(type, props, options)),
        );
        return {
            violations,
            ...(notApplicable !== undefined ? { notApplicable } : {}),
            ...(undecided ? { undecided } : {}),
        };
    });
}

/** Runs a policy's remediation on one resource; returns the new props (undefined: nothing to fix). */
export async function runRemediation(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, unknown>,
    options: CallOptions = {},
): Promise<Record<string, unknown> | undefined> {
    assert.ok(policy.remediateResource, `${policy.name} has no remediation`);
    return exclusive(async (analyzer) => {
        await configureOnly(analyzer, policy, options, "remediate");
        const remediations = await analyzer.remediate(resource(type, props, options));
        const mine = remediations.filter((r) => r.policy === policy.name);
        const failed = mine.find((r) => r.diagnostic);
        assert.ok(!failed, `the remediation could not run: ${failed?.diagnostic}`);
        return mine.find((r) => r.properties)?.properties;
    });
}

/** A stack resource for {@link runStackPolicy}: props are outputs, `id` included when given. */
export interface StackResource {
    type: string;
    name: string;
    id?: string;
    props: Record<string, unknown>;
    parent?: string;
    /** The URNs each input was computed from. */
    propertyDependencies?: Record<string, string[]>;
}

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::private-app::${type}::${name}`;
}

/** Runs a stack policy; each violation is `{urn, message}`. */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: readonly StackResource[],
    options: CallOptions = {},
): Promise<{ violations: { urn?: string; message: string }[]; notApplicable?: string; undecided?: string[] }> {
    return exclusive(async (analyzer) => {
        await configureOnly(analyzer, policy, options);
        const result = await analyzer.analyzeStack(
            resources.map((r) => ({
                urn: urnOf(r.type, r.name),
                type: r.type,
                name: r.name,
                properties: wire(r.id === undefined ? r.props : { ...r.props, id: r.id }) as Record<string, unknown>,
                parent: r.parent,
                propertyDependencies: r.propertyDependencies,
            })),
        );
        const o = outcomeOf(policy, result);
        return {
            violations: o.violations.map((message, i) => ({ urn: o.urns[i], message })),
            ...(o.notApplicable !== undefined ? { notApplicable: o.notApplicable } : {}),
            ...(o.undecided ? { undecided: o.undecided } : {}),
        };
    });
}

/** Asserts exactly one violation whose message contains every fragment. */
export function assertOneViolation(outcome: Outcome, ...fragments: string[]): string {
    assert.strictEqual(outcome.notApplicable, undefined, `unexpectedly not applicable: ${outcome.notApplicable}`);
    assert.strictEqual(
        outcome.violations.length,
        1,
        `expected one violation, got ${JSON.stringify(outcome.violations)}`,
    );
    for (const f of fragments) {
        assert.ok(
            outcome.violations[0].includes(f),
            `message ${JSON.stringify(outcome.violations[0])} lacks ${JSON.stringify(f)}`,
        );
    }
    return outcome.violations[0];
}

/** Asserts no violation (and, unless allowed, that the policy did apply). */
export function assertPasses(outcome: Outcome, allowNotApplicable = false): void {
    assert.deepStrictEqual(outcome.violations, [], `expected no violation, got ${JSON.stringify(outcome.violations)}`);
    if (!allowNotApplicable) {
        assert.strictEqual(outcome.notApplicable, undefined, `unexpectedly not applicable: ${outcome.notApplicable}`);
    }
}

/** Asserts the policy declared itself not applicable, without violations. */
export function assertNotApplicable(outcome: Outcome, reasonFragment?: string): void {
    assert.deepStrictEqual(outcome.violations, []);
    assert.notStrictEqual(outcome.notApplicable, undefined, "expected the policy to be not applicable");
    if (reasonFragment !== undefined) {
        assert.ok(
            outcome.notApplicable!.includes(reasonFragment),
            `reason ${JSON.stringify(outcome.notApplicable)} lacks ${JSON.stringify(reasonFragment)}`,
        );
    }
}

/** A copy of `base` with `path` (dot-separated, numeric segments index arrays) set to `value`. */
export function withChange<T extends Record<string, unknown>>(base: T, path: string, value: unknown): T {
    const copy = structuredClone(base) as Record<string, unknown>;
    const keys = path.split(".");
    let cur: Record<string, unknown> = copy;
    for (const k of keys.slice(0, -1)) {
        cur = cur[k] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (value === undefined) {
        delete cur[last];
    } else {
        cur[last] = value;
    }
    return copy as T;
}
