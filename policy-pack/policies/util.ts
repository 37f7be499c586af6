/**
 * Helpers shared by the policy modules: type filtering on Pulumi type tokens (no `@pulumi/aws`
 * import), with the same "not applicable" behaviour as `validateResourceOfType`.
 */
import type {
    ReportViolation,
    ResourceRemediation,
    ResourceValidation,
    ResourceValidationArgs,
    StackValidation,
} from "@pulumi/policy";

/**
 * Marks a validation with the resource types it handles. With exactly one type, this is the
 * `__pulumiType` hint the engine uses to skip a policy without calling it; `evaluate` also reads
 * `__pulumiTypes` for the same purpose. Either way the function itself still checks the type.
 */
function tag<F extends object>(fn: F, types: readonly string[]): F {
    Object.defineProperty(fn, "__pulumiTypes", { value: Object.freeze([...types]), enumerable: false });
    if (types.length === 1) {
        Object.defineProperty(fn, "__pulumiType", { value: types[0], enumerable: false });
    }
    return fn;
}

/** The types a validation or remediation was tagged with by this module, if any. */
export function taggedTypes(fn: unknown): readonly string[] | undefined {
    const types = (fn as { __pulumiTypes?: unknown } | undefined)?.__pulumiTypes;
    return Array.isArray(types) ? types : undefined;
}

function notApplicableReason(types: readonly string[]): string {
    return types.length === 1
        ? `Policy only applies to resources of type '${types[0]}'`
        : `Policy only applies to resources of types ${types.map((t) => `'${t}'`).join(", ")}`;
}

/** `validateResourceOfType` for one or more type tokens. */
export function validateTypes(
    types: readonly string[],
    validate: (args: ResourceValidationArgs, reportViolation: ReportViolation) => void | Promise<void>,
): ResourceValidation {
    return tag((args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!types.includes(args.type)) {
            args.notApplicable(notApplicableReason(types));
        }
        return validate(args, reportViolation);
    }, types);
}

/** `remediateResourceOfType` for one or more type tokens. */
export function remediateTypes(
    types: readonly string[],
    remediate: (args: ResourceValidationArgs) => Record<string, unknown> | undefined,
): ResourceRemediation {
    return tag((args: ResourceValidationArgs) => {
        if (!types.includes(args.type)) {
            args.notApplicable(notApplicableReason(types));
        }
        return remediate(args);
    }, types);
}

/**
 * A stack validation that may be skipped when no resource of one of `types` exists (with a single
 * type, the engine does so too). The function must still check applicability itself.
 */
export function stackValidation(types: readonly string[], validate: StackValidation): StackValidation {
    return tag(validate, types);
}

/** Schema for a list of TCP ports. */
export function portsSchema(description: string, defaults: readonly number[]) {
    return {
        type: "array" as const,
        items: { type: "integer" as const, minimum: 1, maximum: 65535 },
        minItems: 1,
        uniqueItems: true,
        description,
        default: [...defaults],
    };
}

/** The analyzer's sentinel for an unknown object value (`@pulumi/policy` proxy). */
const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

/**
 * A mandatory policy that cannot decide because a value is not known yet (a first preview) says
 * so as the engine does: it throws the analyzer's `UnknownValueError`, which the analyzer reports
 * as an advisory "can't run policy ... during preview". Never pass silently, never fail.
 */
export function undecided(path: string): never {
    // Loaded on first use: importing the policies must not load @pulumi/policy (nor its @pulumi/pulumi).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { UnknownValueError } = require("@pulumi/policy") as typeof import("@pulumi/policy");
    throw new UnknownValueError(UNKNOWN_OBJECT, path.split("."));
}
