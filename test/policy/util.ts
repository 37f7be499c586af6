/**
 * Calls single policies the way the analyzer does (same argument shapes, config resolved with the
 * schema defaults and validated), without the engine — in the spirit of awsguard's
 * `createResourceValidationArgs` / `assertHasResourceViolation`.
 */
import * as assert from "assert";
import type {
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    makePolicyResources,
    makeResourceValidationArgs,
    makeStackValidationArgs,
    NotApplicableError,
    StackResourceInput,
} from "../../policy-pack/lib/args";
import { resolvePolicyConfig } from "../../policy-pack/lib/config";
import { cloneJson } from "../../policy-pack/lib/schema";

export interface CallOptions {
    /** Properties for this policy, as in a config file (merged over the schema defaults). */
    config?: Record<string, unknown>;
    stackTags?: Record<string, string>;
    name?: string;
    urn?: string;
    opts?: Partial<PolicyResourceOptions>;
}

/** What one call of a policy produced. */
export interface Outcome {
    violations: string[];
    /** Set when the policy declared itself not applicable (with its reason). */
    notApplicable?: string;
}

/** The policy's config as the engine would pass it: schema defaults + `config`, validated. */
export function policyConfig(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    config: Record<string, unknown> = {},
): Record<string, unknown> {
    const resolved = resolvePolicyConfig([policy], { [policy.name]: config });
    return resolved.get(policy.name)!.properties;
}

/** A `ResourceValidationArgs` for `type`/`props`, with the policy's resolved config. */
export function createResourceValidationArgs(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, unknown>,
    options: CallOptions = {},
): ResourceValidationArgs {
    const name = options.name ?? "res";
    return makeResourceValidationArgs({
        type,
        name,
        urn: options.urn ?? `urn:pulumi:test::private-app::${type}::${name}`,
        props: cloneJson(props),
        opts: options.opts,
        stackTags: options.stackTags,
        config: policyConfig(policy, options.config),
    });
}

/** Runs every validation of a resource policy on one resource. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, unknown>,
    options: CallOptions = {},
): Promise<Outcome> {
    const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : policy.validateResource
          ? [policy.validateResource]
          : [];
    const violations: string[] = [];
    for (const validate of validations) {
        try {
            await validate(createResourceValidationArgs(policy, type, props, options), (m) => violations.push(m));
        } catch (e) {
            if (e instanceof NotApplicableError) {
                return { violations, notApplicable: e.reason ?? "" };
            }
            throw e;
        }
    }
    return { violations };
}

/** Runs a policy's remediation on one resource; returns the new props (undefined: nothing to fix). */
export async function runRemediation(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, unknown>,
    options: CallOptions = {},
): Promise<Record<string, unknown> | undefined> {
    assert.ok(policy.remediateResource, `${policy.name} has no remediation`);
    const result = await policy.remediateResource(createResourceValidationArgs(policy, type, props, options));
    return (result ?? undefined) as Record<string, unknown> | undefined;
}

/** A stack resource for {@link runStackPolicy}: props are outputs, `id` included when given. */
export interface StackResource {
    type: string;
    name: string;
    id?: string;
    props: Record<string, unknown>;
    parent?: string;
}

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::private-app::${type}::${name}`;
}

/** `PolicyResource`s as the analyzer builds them. */
export function createPolicyResources(resources: readonly StackResource[]): PolicyResource[] {
    const inputs: StackResourceInput[] = resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: urnOf(r.type, r.name),
        props: cloneJson(r.id === undefined ? r.props : { ...r.props, id: r.id }),
        parent: r.parent,
    }));
    return makePolicyResources(inputs);
}

/** Runs a stack policy; each violation is `{urn, message}`. */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: readonly StackResource[],
    options: CallOptions = {},
): Promise<{ violations: { urn?: string; message: string }[]; notApplicable?: string }> {
    const violations: { urn?: string; message: string }[] = [];
    const args = makeStackValidationArgs(
        createPolicyResources(resources),
        policyConfig(policy, options.config),
        options.stackTags,
    );
    try {
        await policy.validateStack(args, (message, urn) => violations.push({ urn, message }));
    } catch (e) {
        if (e instanceof NotApplicableError) {
            return { violations, notApplicable: e.reason ?? "" };
        }
        throw e;
    }
    return { violations };
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
    const copy = cloneJson(base) as Record<string, unknown>;
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
