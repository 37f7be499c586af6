/**
 * A small JSON Schema validator for policy config, covering the keywords this pack's config
 * schemas use. The engine validates policy config with a full JSON Schema (draft 4+) validator;
 * this one gives the same answers for those keywords and refuses schemas that use any other
 * keyword, so a schema can never silently go unchecked offline.
 *
 * Pure: no `@pulumi/*` imports (the schema type is structurally the one `@pulumi/policy` declares).
 */

/** The subset of `PolicyConfigJSONSchema` this validator understands. */
export interface JsonSchema {
    type?: JsonType | JsonType[];
    enum?: unknown[];
    const?: unknown;
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    exclusiveMaximum?: number;
    multipleOf?: number;
    minLength?: number;
    maxLength?: number;
    pattern?: string;
    format?: string;
    items?: JsonSchema | boolean;
    minItems?: number;
    maxItems?: number;
    uniqueItems?: boolean;
    properties?: Record<string, JsonSchema | boolean>;
    required?: string[];
    additionalProperties?: JsonSchema | boolean;
    description?: string;
    default?: unknown;
}

export type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";

const SUPPORTED = new Set<string>([
    "type",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "properties",
    "required",
    "additionalProperties",
    "description",
    "default",
    "title",
    "examples",
]);

const SUPPORTED_FORMATS = new Set<string>(["regex"]);

function typeOf(v: unknown): JsonType | "undefined" | "other" {
    if (v === null) {
        return "null";
    }
    if (Array.isArray(v)) {
        return "array";
    }
    switch (typeof v) {
        case "string":
            return "string";
        case "number":
            return Number.isFinite(v) ? (Number.isInteger(v) ? "integer" : "number") : "other";
        case "boolean":
            return "boolean";
        case "object":
            return "object";
        case "undefined":
            return "undefined";
        default:
            return "other";
    }
}

function matchesType(v: unknown, t: JsonType): boolean {
    const actual = typeOf(v);
    return actual === t || (t === "number" && actual === "integer");
}

/** Structural equality for JSON values (enum, const, uniqueItems). */
export function jsonEqual(a: unknown, b: unknown): boolean {
    if (a === b) {
        return true;
    }
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
        return false;
    }
    if (Array.isArray(a) !== Array.isArray(b)) {
        return false;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
        return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
    }
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return (
        ka.length === kb.length &&
        ka.every(
            (k) =>
                Object.prototype.hasOwnProperty.call(b, k) &&
                jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
        )
    );
}

/** Short JSON rendering of a rejected value for error messages. */
export function show(v: unknown): string {
    if (v === undefined) {
        return "undefined";
    }
    let s: string;
    try {
        s = JSON.stringify(v);
    } catch {
        s = String(v);
    }
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Checks the schema itself: every keyword is one this validator implements. Throws otherwise
 * (a programming error in the pack, not a user error).
 */
export function assertSupportedSchema(schema: JsonSchema | boolean, path = "#"): void {
    if (typeof schema === "boolean") {
        return;
    }
    for (const key of Object.keys(schema)) {
        if (!SUPPORTED.has(key)) {
            throw new Error(`config schema ${path} uses unsupported JSON Schema keyword "${key}"`);
        }
    }
    if (schema.format !== undefined && !SUPPORTED_FORMATS.has(schema.format)) {
        throw new Error(`config schema ${path} uses unsupported format "${schema.format}"`);
    }
    if (schema.items !== undefined) {
        assertSupportedSchema(schema.items, `${path}/items`);
    }
    if (schema.additionalProperties !== undefined) {
        assertSupportedSchema(schema.additionalProperties, `${path}/additionalProperties`);
    }
    for (const [k, s] of Object.entries(schema.properties ?? {})) {
        assertSupportedSchema(s, `${path}/properties/${k}`);
    }
}

/**
 * Validates `value` against `schema`; returns one message per problem, each starting with the
 * path of the offending value (`path` is its prefix). An empty list means valid.
 */
export function validate(value: unknown, schema: JsonSchema | boolean, path: string): string[] {
    if (schema === true) {
        return [];
    }
    if (schema === false) {
        return [`${path}: is not allowed (got ${show(value)})`];
    }
    const errors: string[] = [];
    const fail = (what: string) => errors.push(`${path}: ${what} (got ${show(value)})`);

    if (schema.type !== undefined) {
        const types = Array.isArray(schema.type) ? schema.type : [schema.type];
        if (!types.some((t) => matchesType(value, t))) {
            fail(
                `must be ${types.map((t) => (t === "integer" ? "an integer" : t === "array" || t === "object" ? `an ${t}` : `a ${t}`)).join(" or ")}`,
            );
            return errors; // further checks would only repeat the type error
        }
    }
    if (schema.enum !== undefined && !schema.enum.some((e) => jsonEqual(e, value))) {
        fail(`must be one of ${schema.enum.map((e) => show(e)).join(", ")}`);
    }
    if (schema.const !== undefined && !jsonEqual(schema.const, value)) {
        fail(`must be ${show(schema.const)}`);
    }
    if (typeof value === "number") {
        if (schema.minimum !== undefined && value < schema.minimum) {
            fail(`must be >= ${schema.minimum}`);
        }
        if (schema.maximum !== undefined && value > schema.maximum) {
            fail(`must be <= ${schema.maximum}`);
        }
        if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
            fail(`must be > ${schema.exclusiveMinimum}`);
        }
        if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
            fail(`must be < ${schema.exclusiveMaximum}`);
        }
        if (schema.multipleOf !== undefined && !Number.isInteger(value / schema.multipleOf)) {
            fail(`must be a multiple of ${schema.multipleOf}`);
        }
    }
    if (typeof value === "string") {
        const length = [...value].length;
        if (schema.minLength !== undefined && length < schema.minLength) {
            fail(`must be at least ${schema.minLength} characters long`);
        }
        if (schema.maxLength !== undefined && length > schema.maxLength) {
            fail(`must be at most ${schema.maxLength} characters long`);
        }
        if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
            fail(`must match /${schema.pattern}/`);
        }
        if (schema.format === "regex") {
            try {
                new RegExp(value);
            } catch (e) {
                fail(`must be a valid regular expression: ${(e as Error).message}`);
            }
        }
    }
    if (Array.isArray(value)) {
        if (schema.minItems !== undefined && value.length < schema.minItems) {
            fail(`must have at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`);
        }
        if (schema.maxItems !== undefined && value.length > schema.maxItems) {
            fail(`must have at most ${schema.maxItems} item${schema.maxItems === 1 ? "" : "s"}`);
        }
        if (schema.uniqueItems === true) {
            const dup = value.findIndex((v, i) => value.findIndex((w) => jsonEqual(v, w)) !== i);
            if (dup >= 0) {
                fail(`must not repeat items (${show(value[dup])} appears twice)`);
            }
        }
        if (schema.items !== undefined) {
            const items = schema.items;
            value.forEach((v, i) => errors.push(...validate(v, items, `${path}[${i}]`)));
        }
    }
    if (typeOf(value) === "object") {
        const obj = value as Record<string, unknown>;
        for (const req of schema.required ?? []) {
            if (!Object.prototype.hasOwnProperty.call(obj, req)) {
                errors.push(`${path}.${req}: is required`);
            }
        }
        for (const [k, v] of Object.entries(obj)) {
            const propSchema = schema.properties?.[k];
            if (propSchema !== undefined) {
                errors.push(...validate(v, propSchema, `${path}.${k}`));
            } else if (schema.additionalProperties !== undefined) {
                errors.push(...validate(v, schema.additionalProperties, `${path}.${k}`));
            }
        }
    }
    return errors;
}

/** A deep copy of plain JSON data (config values, defaults). */
export function cloneJson<V>(v: V): V {
    if (v === null || typeof v !== "object") {
        return v;
    }
    if (Array.isArray(v)) {
        return v.map((x) => cloneJson(x)) as unknown as V;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        out[k] = cloneJson(x);
    }
    return out as V;
}
