/**
 * Tolerant readers for resource properties.
 *
 * Policies see resource properties in three shapes:
 * - under the real engine, a proxy that *throws* an `UnknownValueError` when a value that is
 *   unknown during preview is read (pulumi/pulumi-policy#218);
 * - in the offline plan (`evaluate`), plain data where unknown values are `null`;
 * - in tests, plain data where anything may be missing.
 *
 * Every read in the pack goes through these helpers, which turn all forms of "unknown" into the
 * {@link UNKNOWN} marker and leave "absent" as `undefined`, so a policy can tell "the user did not
 * set this" (apply the AWS default) from "this is not known yet" (never flag).
 *
 * Pure: no `@pulumi/*` imports.
 */

/** Marker for a value that is not known (yet): unknown during preview, or `null` in the offline plan. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** The values `@pulumi/policy` substitutes for unknowns before wrapping them in its checking proxy. */
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** True for the error `@pulumi/policy`'s proxy throws when an unknown value is read. */
export function isUnknownValueError(e: unknown): boolean {
    return e instanceof Error && typeof (e as { unknownTypeSentinel?: unknown }).unknownTypeSentinel === "string";
}

/** True when `v` stands for an unknown value. */
export function isUnknown(v: unknown): v is Unknown {
    return v === UNKNOWN || v === null || (typeof v === "string" && UNKNOWN_SENTINELS.has(v));
}

/**
 * Reads `obj[key]`. Returns {@link UNKNOWN} when the value (or `obj` itself) is unknown,
 * `undefined` when it is absent or `obj` is not an object, and the value otherwise.
 * Never throws for unknowns; rethrows anything else.
 */
export function get(obj: unknown, key: string | number): unknown {
    if (isUnknown(obj)) {
        return UNKNOWN;
    }
    if (typeof obj !== "object") {
        return undefined;
    }
    let value: unknown;
    try {
        value = (obj as Record<string | number, unknown>)[key];
    } catch (e) {
        if (isUnknownValueError(e)) {
            return UNKNOWN;
        }
        throw e;
    }
    return isUnknown(value) ? UNKNOWN : value;
}

/** Reads a path such as `["metadataOptions", "httpTokens"]`; unknown anywhere on the way means unknown. */
export function getPath(obj: unknown, path: readonly (string | number)[]): unknown {
    let current: unknown = obj;
    for (const key of path) {
        current = get(current, key);
        if (current === UNKNOWN || current === undefined) {
            return current;
        }
    }
    return current;
}

/**
 * Booleans, tolerating the string spellings the AWS provider uses in some places
 * (launch template network interfaces take `"true"`/`"false"`).
 */
export function asBool(v: unknown): boolean | undefined | Unknown {
    if (v === UNKNOWN || v === undefined || typeof v === "boolean") {
        return v;
    }
    if (typeof v === "string") {
        const s = v.trim().toLowerCase();
        if (s === "true") {
            return true;
        }
        if (s === "false") {
            return false;
        }
    }
    return UNKNOWN; // a value of an unexpected shape: treat as "cannot tell"
}

/** Finite numbers, tolerating numeric strings. */
export function asNumber(v: unknown): number | undefined | Unknown {
    if (v === UNKNOWN || v === undefined) {
        return v;
    }
    if (typeof v === "number") {
        return Number.isFinite(v) ? v : UNKNOWN;
    }
    if (typeof v === "string" && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(v)) {
        return Number(v);
    }
    return UNKNOWN;
}

/** Strings. */
export function asString(v: unknown): string | undefined | Unknown {
    if (v === UNKNOWN || v === undefined || typeof v === "string") {
        return v;
    }
    return UNKNOWN;
}

/**
 * Arrays, read element by element through {@link get} so an unknown element becomes
 * {@link UNKNOWN} instead of throwing. A single non-array value is not coerced.
 */
export function asArray(v: unknown): unknown[] | undefined | Unknown {
    if (v === UNKNOWN || v === undefined) {
        return v;
    }
    if (!Array.isArray(v)) {
        return UNKNOWN;
    }
    const length = v.length;
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) {
        out.push(get(v, i));
    }
    return out;
}

/** Plain objects (records); arrays are not records. */
export function asRecord(v: unknown): Record<string, unknown> | undefined | Unknown {
    if (v === UNKNOWN || v === undefined) {
        return v;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
        return UNKNOWN;
    }
    return v as Record<string, unknown>;
}

/** Known string elements of an array-valued property; unknown elements are dropped. */
export function knownStrings(v: unknown): string[] {
    const arr = asArray(v);
    if (arr === UNKNOWN || arr === undefined) {
        return [];
    }
    return arr.filter((e): e is string => typeof e === "string");
}

/** Lower-cased, trimmed string, or undefined/UNKNOWN. */
export function asLowerString(v: unknown): string | undefined | Unknown {
    const s = asString(v);
    return typeof s === "string" ? s.trim().toLowerCase() : s;
}
