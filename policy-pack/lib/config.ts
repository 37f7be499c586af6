/**
 * Policy pack configuration, resolved the way the Pulumi engine resolves it
 * (`ReconcilePolicyPackConfig` in pulumi/pulumi's `pkg/resource/analyzer/config.go`):
 *
 * 1. every policy starts at its own `enforcementLevel` (or the pack's) and the top-level `default`s
 *    of its `configSchema`;
 * 2. `"all": "<level>"` sets the level of every policy;
 * 3. `"<policy>": "<level>"` or `"<policy>": { "enforcementLevel": ..., ...props }` then overrides that
 *    policy's level and merges its properties over the defaults;
 * 4. the merged properties of every policy with a schema are validated against it (even for
 *    disabled policies), and any problem rejects the whole config.
 *
 * Deliberately stricter than the engine (which ignores them silently): an unknown policy name and
 * a property a policy does not declare are rejected too, since both are typos in practice.
 *
 * Pure apart from `import type`.
 */
import type { EnforcementLevel, Policy } from "@pulumi/policy";
import { assertSupportedSchema, cloneJson, JsonSchema, show, validate } from "./schema";

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The level the SDK gives a policy that declares none, when the pack declares none either. */
export const DEFAULT_PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";

export function isEnforcementLevel(v: unknown): v is EnforcementLevel {
    return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

/** A policy's effective settings after reconciliation. */
export interface ResolvedPolicyConfig {
    enforcementLevel: EnforcementLevel;
    /** What `args.getConfig()` returns: defaults merged with the given properties, without `enforcementLevel`. */
    properties: Record<string, unknown>;
}

/** Thrown for an invalid policy pack config; `problems` has one line per problem. */
export class PolicyConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`Invalid policy pack config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
        this.name = "PolicyConfigError";
    }
}

/** The top-level defaults of a policy's config schema, deep-copied. */
export function schemaDefaults(policy: Policy): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(policy.configSchema?.properties ?? {})) {
        if (typeof s === "object" && s !== null && "default" in s && s.default !== undefined) {
            out[k] = cloneJson(s.default);
        }
    }
    return out;
}

function levelsText(): string {
    return ENFORCEMENT_LEVELS.map((l) => `"${l}"`).join(", ");
}

/**
 * Resolves a `--policy-pack-config` document for `policies`. Throws {@link PolicyConfigError}
 * listing every problem when the document is invalid.
 */
export function resolvePolicyConfig(
    policies: readonly Policy[],
    config: unknown = {},
    packEnforcementLevel: EnforcementLevel = DEFAULT_PACK_ENFORCEMENT_LEVEL,
): Map<string, ResolvedPolicyConfig> {
    const problems: string[] = [];
    const byName = new Map<string, Policy>();
    for (const p of policies) {
        if (p.name === "all") {
            throw new Error(`policy name "all" is reserved`);
        }
        if (byName.has(p.name)) {
            throw new Error(`policy name "${p.name}" is used twice`);
        }
        if (p.configSchema) {
            assertSupportedSchema({ properties: p.configSchema.properties as Record<string, JsonSchema> }, p.name);
            if ("enforcementLevel" in (p.configSchema.properties ?? {})) {
                throw new Error(`policy "${p.name}": enforcementLevel cannot be declared in configSchema`);
            }
        }
        byName.set(p.name, p);
    }

    // 1. Defaults.
    const result = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        result.set(p.name, {
            enforcementLevel: p.enforcementLevel ?? packEnforcementLevel,
            properties: schemaDefaults(p),
        });
    }

    if (config === undefined || config === null) {
        return result;
    }
    if (typeof config !== "object" || Array.isArray(config)) {
        throw new PolicyConfigError([`the config must be an object of policy names (got ${show(config)})`]);
    }
    const entries = Object.entries(config as Record<string, unknown>);

    // 2. "all".
    for (const [key, value] of entries) {
        if (key !== "all") {
            continue;
        }
        let level: unknown = value;
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
            const { enforcementLevel, ...rest } = value as Record<string, unknown>;
            level = enforcementLevel;
            for (const k of Object.keys(rest)) {
                problems.push(`all.${k}: "all" only takes an enforcementLevel`);
            }
        }
        if (!isEnforcementLevel(level)) {
            problems.push(`all: must be one of ${levelsText()} (got ${show(level)})`);
            continue;
        }
        for (const r of result.values()) {
            r.enforcementLevel = level;
        }
    }

    // 3. Per policy.
    for (const [key, value] of entries) {
        if (key === "all") {
            continue;
        }
        const policy = byName.get(key);
        if (!policy) {
            problems.push(`${key}: no such policy in this pack (policies: ${[...byName.keys()].join(", ")})`);
            continue;
        }
        const resolved = result.get(key) as ResolvedPolicyConfig;
        if (typeof value === "string") {
            if (isEnforcementLevel(value)) {
                resolved.enforcementLevel = value;
            } else {
                problems.push(`${key}: must be one of ${levelsText()} or an object (got ${show(value)})`);
            }
            continue;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            problems.push(`${key}: must be an enforcement level or an object (got ${show(value)})`);
            continue;
        }
        const { enforcementLevel, ...props } = value as Record<string, unknown>;
        if (enforcementLevel !== undefined) {
            if (isEnforcementLevel(enforcementLevel)) {
                resolved.enforcementLevel = enforcementLevel;
            } else {
                problems.push(
                    `${key}.enforcementLevel: must be one of ${levelsText()} (got ${show(enforcementLevel)})`,
                );
            }
        }
        const declared = policy.configSchema?.properties ?? {};
        for (const [k, v] of Object.entries(props)) {
            if (!Object.prototype.hasOwnProperty.call(declared, k)) {
                const known = Object.keys(declared);
                problems.push(
                    `${key}.${k}: not a config property of this policy (${known.length > 0 ? `known: ${known.join(", ")}` : "it takes none"})`,
                );
                continue;
            }
            resolved.properties[k] = cloneJson(v);
        }
    }

    // 4. Validation of the merged properties, for every policy with a schema.
    for (const p of policies) {
        if (!p.configSchema) {
            continue;
        }
        const schema: JsonSchema = {
            type: "object",
            properties: p.configSchema.properties as Record<string, JsonSchema>,
            required: p.configSchema.required,
        };
        problems.push(...validate((result.get(p.name) as ResolvedPolicyConfig).properties, schema, p.name));
    }

    if (problems.length > 0) {
        throw new PolicyConfigError(problems);
    }
    return result;
}
