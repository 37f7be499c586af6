/**
 * The offline policy engine: runs every policy of the pack over a planned set of resources
 * exactly as the Pulumi engine and the `@pulumi/policy` analyzer would, without the CLI.
 * `npm run plan` uses it (CONTRACT.md, "Policy pack").
 *
 * What "as the engine would" means here:
 * - config: `--policy-pack-config` semantics (`all`, per-policy level or object, schema defaults,
 *   validation) — see `lib/config.ts`; an invalid config throws a `PolicyConfigError`;
 * - resource policies see each resource's inputs through `ResourceValidationArgs`
 *   (`type`, `props`, `urn`, `name`, `opts`, `stackTags`, `isType`, `asType`, `getConfig`,
 *   `notApplicable`); stack policies see every resource as a `PolicyResource` whose props also
 *   carry the `id` (the engine passes outputs, which include `id`);
 * - `disabled` policies do not run; `notApplicable()` skips silently; a policy whose `__pulumiType`
 *   does not match is skipped without being called;
 * - `remediate`: remediations run first, in pack order, and each change is reported as a violation of
 *   level `remediate` with a message prefixed `would remediate: `; validations then run on the
 *   remediated inputs, and a remediate-level policy that still finds a violation reports it as
 *   `mandatory` (as the analyzer does). Stack policies cannot remediate: `remediate` means `mandatory`;
 * - a policy that reads an unknown value gets an `advisory` "can't run ... during preview" entry.
 *
 * Importing this module does not start the analyzer (unlike `index.ts`).
 */
import type {
    EnforcementLevel,
    Policy,
    ResourceValidation,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    makePolicyResources,
    makeResourceValidationArgs,
    makeStackValidationArgs,
    NotApplicableError,
    readonlyTags,
    StackResourceInput,
} from "./lib/args";
import { DEFAULT_PACK_ENFORCEMENT_LEVEL, resolvePolicyConfig, ResolvedPolicyConfig } from "./lib/config";
import { isUnknownValueError } from "./lib/props";
import { cloneJson, jsonEqual } from "./lib/schema";
import { taggedTypes } from "./policies/util";
import { allPolicies } from "./policies";

export { PolicyConfigError } from "./lib/config";

/** One resource of a plan: what the program registers, with its inputs. */
export interface PlannedResource {
    type: string;
    name: string;
    urn?: string;
    /** Inputs in Pulumi's camelCase names; unknown values as `null`. */
    props: Record<string, unknown>;
    /** The id the mocks gave the resource (`null` for components); lets stack policies follow references. */
    id?: string | null;
    /** URN of the parent resource. */
    parent?: string | null;
}

/** One policy violation. */
export interface Violation {
    policy: string;
    /** `mandatory`, `advisory` or `remediate` (the engine would fix it). */
    enforcementLevel: string;
    /** URN of the offending resource; absent for a violation of the stack as a whole. */
    resource?: string;
    message: string;
}

/**
 * A `--policy-pack-config` document:
 * `{"all": "mandatory", "policy-name": {"enforcementLevel": "advisory", ...config}, "other": "disabled"}`.
 */
export type PolicyConfig = Record<string, unknown>;

/** Extensions for callers that need more than the contract's `evaluate`. */
export interface EvaluateOptions {
    /** Stack tags (`pulumi stack tag`), as the engine passes them to policies. */
    stackTags?: ReadonlyMap<string, string> | Record<string, string>;
    /** The pack-wide default level for policies that declare none. @default "advisory" */
    packEnforcementLevel?: EnforcementLevel;
    /** Stack name used in URNs synthesised for resources without one. @default "offline" */
    stack?: string;
    /** Project name used in URNs synthesised for resources without one. @default "private-app" */
    project?: string;
}

/** Runs every policy of the `private-app` pack over `resources` with `config`. */
export async function evaluate(resources: PlannedResource[], config?: PolicyConfig): Promise<Violation[]> {
    return evaluatePolicies(allPolicies, resources, config);
}

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** As the SDK's `isResourcePolicy`: has validations (all functions) or a remediation. */
function isResourcePolicy(p: AnyPolicy): p is ResourceValidationPolicy {
    const v = (p as ResourceValidationPolicy).validateResource;
    if (typeof v === "function") {
        return true;
    }
    if (Array.isArray(v)) {
        return v.every((f) => typeof f === "function");
    }
    return typeof (p as ResourceValidationPolicy).remediateResource === "function";
}

function isStackPolicy(p: AnyPolicy): p is StackValidationPolicy {
    return typeof (p as StackValidationPolicy).validateStack === "function";
}

function pulumiTypeOf(fn: unknown): string | undefined {
    const t = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof t === "string" && t.length > 0 ? t : undefined;
}

/** False when a type hint on `fn` says it cannot apply to `type` (the engine's fast path). */
function mayApply(fn: unknown, type: string): boolean {
    const single = pulumiTypeOf(fn);
    if (single !== undefined && single !== type) {
        return false;
    }
    const many = taggedTypes(fn);
    return many === undefined || many.includes(type);
}

/** The props the engine would deserialize: a fresh copy, top-level `undefined` dropped. */
function freshProps(props: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) {
        if (v !== undefined) {
            out[k] = cloneJson(v);
        }
    }
    return out;
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

function errorMessage(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/**
 * Runs `policies` over `resources` with `config`, as the engine would. `evaluate` is this function
 * with the pack's own policies; tests use it with other policy lists and stack tags.
 */
export async function evaluatePolicies(
    policies: readonly AnyPolicy[],
    resources: PlannedResource[],
    config?: PolicyConfig,
    options: EvaluateOptions = {},
): Promise<Violation[]> {
    checkInput(resources);
    const resolved = resolvePolicyConfig(
        policies as readonly Policy[],
        config ?? {},
        options.packEnforcementLevel ?? DEFAULT_PACK_ENFORCEMENT_LEVEL,
    );
    const levelOf = (p: AnyPolicy) => (resolved.get(p.name) as ResolvedPolicyConfig).enforcementLevel;
    const configOf = (p: AnyPolicy) => (resolved.get(p.name) as ResolvedPolicyConfig).properties;
    const stack = options.stack ?? "offline";
    const project = options.project ?? "private-app";
    const urnOf = (r: PlannedResource) => r.urn ?? `urn:pulumi:${stack}::${project}::${r.type}::${r.name}`;
    const stackTags = readonlyTags(options.stackTags);

    const violations: Violation[] = [];
    const resourcePolicies = policies.filter(isResourcePolicy);
    const stackPolicies = policies.filter(isStackPolicy);

    for (const planned of resources) {
        const urn = urnOf(planned);
        const argsFor = (p: AnyPolicy, props: Record<string, unknown>) =>
            makeResourceValidationArgs({
                type: planned.type,
                name: planned.name,
                urn,
                props,
                opts: planned.parent ? { parent: planned.parent } : {},
                stackTags,
                config: configOf(p),
            });

        /** Runs `p`'s validations on `props` at `level`; returns what they reported. */
        const runValidations = async (
            p: ResourceValidationPolicy,
            props: Record<string, unknown>,
            level: string,
        ): Promise<Violation[]> => {
            const out: Violation[] = [];
            const validations: ResourceValidation[] = Array.isArray(p.validateResource)
                ? p.validateResource
                : p.validateResource
                  ? [p.validateResource]
                  : [];
            if (!Array.isArray(p.validateResource) && !mayApply(p.validateResource, planned.type)) {
                return out;
            }
            for (const validation of validations) {
                try {
                    await Promise.resolve(
                        validation(argsFor(p, freshProps(props)), (message: string) => {
                            out.push({
                                policy: p.name,
                                enforcementLevel: level,
                                resource: urn,
                                message: message || p.description,
                            });
                        }),
                    );
                } catch (e) {
                    if (e instanceof NotApplicableError) {
                        continue;
                    }
                    if (isUnknownValueError(e)) {
                        out.push({
                            policy: p.name,
                            enforcementLevel: "advisory",
                            resource: urn,
                            message: `can't run policy '${p.name}' during preview: ${errorMessage(e)}`,
                        });
                        continue;
                    }
                    throw new Error(`Error validating resource ${urn} with policy '${p.name}': ${errorMessage(e)}`, {
                        cause: e,
                    });
                }
            }
            return out;
        };

        // 1. Remediations, in pack order, each seeing the previous one's result.
        let props = freshProps(planned.props);
        for (const p of resourcePolicies) {
            if (levelOf(p) !== "remediate" || !p.remediateResource || !mayApply(p.remediateResource, planned.type)) {
                continue;
            }
            let result: Record<string, unknown> | void | undefined;
            try {
                result = await Promise.resolve(p.remediateResource(argsFor(p, freshProps(props))));
            } catch (e) {
                if (e instanceof NotApplicableError) {
                    continue;
                }
                if (isUnknownValueError(e)) {
                    violations.push({
                        policy: p.name,
                        enforcementLevel: "advisory",
                        resource: urn,
                        message: `can't run remediation '${p.name}' during preview: ${errorMessage(e)}`,
                    });
                    continue;
                }
                throw new Error(`Error remediating resource ${urn} with policy '${p.name}': ${errorMessage(e)}`, {
                    cause: e,
                });
            }
            if (!result || jsonEqual(result, props)) {
                continue;
            }
            const fixed = await runValidations(p, props, "remediate");
            const messages = fixed.length > 0 ? fixed.map((v) => v.message) : [p.description];
            for (const m of messages) {
                violations.push({
                    policy: p.name,
                    enforcementLevel: "remediate",
                    resource: urn,
                    message: `would remediate: ${m}`,
                });
            }
            props = freshProps(result as Record<string, unknown>);
        }

        // 2. Validations on the (remediated) inputs.
        for (const p of resourcePolicies) {
            const configured = levelOf(p);
            if (configured === "disabled" || !p.validateResource) {
                continue;
            }
            const level = configured === "remediate" ? "mandatory" : configured;
            violations.push(...(await runValidations(p, props, level)));
        }
    }

    // 3. Stack policies, on every resource with its id.
    const active = stackPolicies.filter((p) => levelOf(p) !== "disabled");
    if (active.length > 0) {
        const inputs: StackResourceInput[] = resources.map((r) => {
            const props = freshProps(r.props);
            if (typeof r.id === "string" && props.id === undefined) {
                props.id = r.id;
            }
            return { type: r.type, name: r.name, urn: urnOf(r), props, parent: r.parent ?? undefined };
        });
        for (const p of active) {
            const configured = levelOf(p);
            const level = configured === "remediate" ? "mandatory" : configured;
            // The engine's fast path (`__pulumiType`), and the pack's own type hint: skip the policy
            // when no resource of its types exists (it would declare itself not applicable).
            const fastTypes =
                taggedTypes(p.validateStack) ??
                (pulumiTypeOf(p.validateStack) ? [pulumiTypeOf(p.validateStack) as string] : undefined);
            if (fastTypes !== undefined && !resources.some((r) => fastTypes.includes(r.type))) {
                continue;
            }
            const policyResources = makePolicyResources(inputs.map((i) => ({ ...i, props: freshProps(i.props) })));
            try {
                await Promise.resolve(
                    p.validateStack(
                        makeStackValidationArgs(policyResources, configOf(p), stackTags),
                        (message: string, urn?: string) => {
                            violations.push({
                                policy: p.name,
                                enforcementLevel: level,
                                ...(urn ? { resource: urn } : {}),
                                message: message || p.description,
                            });
                        },
                    ),
                );
            } catch (e) {
                if (e instanceof NotApplicableError) {
                    continue;
                }
                if (isUnknownValueError(e)) {
                    violations.push({
                        policy: p.name,
                        enforcementLevel: "advisory",
                        message: `can't run policy '${p.name}' during preview: ${errorMessage(e)}`,
                    });
                    continue;
                }
                throw new Error(`Error validating stack with policy '${p.name}': ${errorMessage(e)}`, { cause: e });
            }
        }
    }

    return violations;
}
