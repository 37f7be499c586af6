/**
 * The engine's side of policy pack config: what the Pulumi CLI does with `--policy-pack-config`
 * before it calls the analyzer's `Configure` (pulumi/pulumi `pkg/resource/analyzer/config.go`:
 * `parsePolicyPackConfig`, `ReconcilePolicyPackConfig`):
 *
 * 1. parse: a policy maps to an enforcement level or to an object whose optional
 *    `enforcementLevel` is a level; anything else is an error;
 * 2. every policy starts at the level the analyzer declares (`GetAnalyzerInfo`) and the top-level
 *    `default`s of its config schema;
 * 3. `"all": "<level>"` sets every policy's level; then each entry overrides its policy's level
 *    and merges its properties over the defaults;
 * 4. the merged properties of every policy with a schema are validated as JSON Schema (an object
 *    with the declared `properties` and `required`), here with Ajv where the CLI uses gojsonschema.
 *
 * An unknown policy name given only a level is ignored, as by the CLI; one given properties is an
 * error (the CLI fails on it too). This module is not part of the pack: the CLI never loads it.
 */
import Ajv from "ajv";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type Level = (typeof ENFORCEMENT_LEVELS)[number];

/** What `GetAnalyzerInfo` says about one policy. */
export interface PolicyInfo {
    name: string;
    description: string;
    enforcementLevel: Level;
    configSchema?: { properties: Record<string, unknown>; required?: string[] };
}

/** One policy's reconciled config, as sent with `Configure`. */
export interface PolicyConfigEntry {
    enforcementLevel: Level;
    properties: Record<string, unknown>;
}

/** Thrown for an invalid `--policy-pack-config`; `problems` has one line per problem. */
export class PolicyConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`Invalid policy pack config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
        this.name = "PolicyConfigError";
    }
}

export function isLevel(v: unknown): v is Level {
    return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

interface Given {
    level?: Level;
    properties?: Record<string, unknown>;
}

/** Step 1: the document, entry by entry, as `parsePolicyPackConfig`. */
function parse(config: unknown, problems: string[]): Map<string, Given> {
    const out = new Map<string, Given>();
    if (config === undefined || config === null) return out;
    if (typeof config !== "object" || Array.isArray(config)) {
        problems.push(`the policy pack config must be an object of policy names (got ${show(config)})`);
        return out;
    }
    for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
        if (typeof value === "string") {
            if (isLevel(value)) out.set(key, { level: value });
            else
                problems.push(
                    `${key}: ${show(value)} is not a valid enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`,
                );
        } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
            const { enforcementLevel, ...properties } = value as Record<string, unknown>;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                problems.push(
                    `${key}.enforcementLevel: ${show(enforcementLevel)} is not a valid enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`,
                );
                continue;
            }
            const given: Given = {};
            if (enforcementLevel !== undefined) given.level = enforcementLevel;
            if (Object.keys(properties).length > 0) given.properties = properties;
            if (given.level !== undefined || given.properties !== undefined) out.set(key, given);
        } else {
            problems.push(`${key}: ${show(value)} is not a valid value; must be an enforcement level or an object`);
        }
    }
    return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, logger: false });

/**
 * Reconciles `config` with the policies the analyzer declared. Returns the config to send with
 * `Configure` (every policy of the pack); throws {@link PolicyConfigError} listing every problem.
 */
export function reconcilePolicyConfig(
    policies: readonly PolicyInfo[],
    config: unknown,
): Map<string, PolicyConfigEntry> {
    const problems: string[] = [];
    const given = parse(config, problems);

    const result = new Map<string, PolicyConfigEntry>();
    for (const p of policies) {
        const properties: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
            const d = (s as { default?: unknown } | null)?.default;
            if (d !== undefined) properties[k] = clone(d);
        }
        result.set(p.name, { enforcementLevel: p.enforcementLevel, properties });
    }
    const all = given.get("all");
    if (all?.level !== undefined) for (const r of result.values()) r.enforcementLevel = all.level;
    for (const [name, g] of given) {
        if (name === "all") continue;
        const r = result.get(name);
        if (r === undefined) {
            if (g.properties !== undefined)
                problems.push(`${name}: no such policy in this pack (${policies.map((p) => p.name).join(", ")})`);
            continue; // a level for an unknown policy: ignored, as by the CLI
        }
        if (g.level !== undefined) r.enforcementLevel = g.level;
        for (const [k, v] of Object.entries(g.properties ?? {})) r.properties[k] = clone(v);
    }

    for (const p of policies) {
        if (!p.configSchema) continue;
        const schema = { type: "object", properties: p.configSchema.properties, required: p.configSchema.required };
        const validate = ajv.compile(schema);
        const props = (result.get(p.name) as PolicyConfigEntry).properties;
        if (!validate(props)) {
            for (const e of validate.errors ?? []) {
                const segments = e.instancePath.split("/").slice(1);
                const where = segments.map((k) => (/^\d+$/.test(k) ? `[${k}]` : `.${k}`)).join("");
                const value = segments.reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], props);
                const got = segments.length > 0 ? ` (got ${show(value)})` : "";
                problems.push(`${p.name}${where}: ${e.message ?? "invalid"}${got}`);
            }
        }
    }
    if (problems.length > 0) throw new PolicyConfigError(problems);
    return result;
}
