/**
 * Builds the argument bags `@pulumi/policy` passes to policies — `ResourceValidationArgs` and
 * `StackValidationArgs` with `PolicyResource`s — from plain data, with the same fields and the same
 * `isType`/`asType`/`getConfig`/`notApplicable` behaviour as the analyzer server
 * (`@pulumi/policy/server.js`). Used by `evaluate` and by the tests, so both call policies exactly
 * the way the engine does.
 *
 * `import type` only: loading this module does not load `@pulumi/policy` or `@pulumi/pulumi`.
 */
import type {
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";
import { cloneJson } from "./schema";

/**
 * Thrown by `notApplicable()`. The engine's own class is private to `@pulumi/policy`; the analyzer
 * only needs to recognise it, which `evaluate` does by this class.
 */
export class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
        this.name = "NotApplicableError";
    }
}

export function throwNotApplicable(reason?: string): never {
    // Thrown for most (resource, policy) pairs: skip the stack trace, nobody reads it.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        throw new NotApplicableError(reason);
    } finally {
        Error.stackTraceLimit = limit;
    }
}

/** `resourceClass.__pulumiType === type`, else `resourceClass.isInstance({__pulumiType: type})` — as the engine. */
export function isTypeOf(type: string, resourceClass: unknown): boolean {
    const pulumiType = (resourceClass as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    if (typeof pulumiType === "string" && pulumiType.length > 0) {
        return type === pulumiType;
    }
    const isInstance = (resourceClass as { isInstance?: unknown } | undefined)?.isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

const frozenViews = new WeakSet<object>();

/** A read-only `Map` view, like the engine's frozen stack tags. Views made here are reused as they are. */
export function readonlyTags(tags?: ReadonlyMap<string, string> | Record<string, string>): ReadonlyMap<string, string> {
    if (tags !== undefined && frozenViews.has(tags)) {
        return tags as ReadonlyMap<string, string>;
    }
    const isMapLike =
        tags !== undefined &&
        typeof (tags as ReadonlyMap<string, string>).entries === "function" &&
        typeof (tags as ReadonlyMap<string, string>).get === "function";
    const map = isMapLike
        ? new Map((tags as ReadonlyMap<string, string>).entries())
        : new Map(Object.entries((tags ?? {}) as Record<string, string>));
    const view = Object.freeze({
        entries: map.entries.bind(map),
        forEach: map.forEach.bind(map),
        get: map.get.bind(map),
        has: map.has.bind(map),
        keys: map.keys.bind(map),
        size: map.size,
        values: map.values.bind(map),
        [Symbol.iterator]: map[Symbol.iterator].bind(map),
    }) as ReadonlyMap<string, string>;
    frozenViews.add(view);
    return view;
}

/** Resource options as the engine fills them when the program set none. */
export function defaultResourceOptions(overrides: Partial<PolicyResourceOptions> = {}): PolicyResourceOptions {
    const opts: PolicyResourceOptions = {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...overrides,
    };
    if (opts.parent === undefined) {
        delete opts.parent;
    }
    return opts;
}

/** `getConfig()` as the engine implements it: the policy's properties, a fresh copy per call. */
export function makeGetConfig(properties: Record<string, unknown>): <T extends object>() => T {
    return <T extends object>() => cloneJson(properties) as T;
}

export interface ResourceArgsInput {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
    opts?: Partial<PolicyResourceOptions>;
    provider?: PolicyProviderResource;
    stackTags?: ReadonlyMap<string, string> | Record<string, string>;
    /** The policy's resolved properties (`getConfig()`); `{}` when omitted. */
    config?: Record<string, unknown>;
}

/** A `ResourceValidationArgs` exactly as the analyzer builds it for `validateResource`/`remediateResource`. */
export function makeResourceValidationArgs(input: ResourceArgsInput): ResourceValidationArgs {
    const { type, props } = input;
    const args: ResourceValidationArgs = {
        type,
        props,
        urn: input.urn,
        name: input.name,
        opts: defaultResourceOptions(input.opts),
        stackTags: readonlyTags(input.stackTags),
        isType: (resourceClass) => isTypeOf(type, resourceClass),
        asType: ((resourceClass) =>
            isTypeOf(type, resourceClass) ? props : undefined) as ResourceValidationArgs["asType"],
        getConfig: makeGetConfig(input.config ?? {}),
        notApplicable: throwNotApplicable,
    };
    if (input.provider) {
        args.provider = input.provider;
    }
    return args;
}

/** Plain description of one stack resource, from which a `PolicyResource` is built. */
export interface StackResourceInput {
    type: string;
    name: string;
    urn: string;
    /** Outputs as the engine passes them to stack policies; include `id` when known. */
    props: Record<string, unknown>;
    /** URN of the parent resource, if any. */
    parent?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    opts?: Partial<PolicyResourceOptions>;
    provider?: PolicyProviderResource;
}

/**
 * `PolicyResource`s as the analyzer builds them for `validateStack`: parent, dependencies and
 * property dependencies resolved to the resource objects (unknown URNs dropped).
 */
export function makePolicyResources(inputs: readonly StackResourceInput[]): PolicyResource[] {
    const resources = inputs.map((i) => {
        const { type, props } = i;
        const r: PolicyResource = {
            type,
            props,
            urn: i.urn,
            name: i.name,
            opts: defaultResourceOptions({ ...i.opts, parent: i.parent ?? i.opts?.parent }),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => isTypeOf(type, resourceClass),
            asType: ((resourceClass) =>
                isTypeOf(type, resourceClass) ? props : undefined) as PolicyResource["asType"],
        };
        if (i.provider) {
            r.provider = i.provider;
        }
        return r;
    });
    const byUrn = new Map<string, PolicyResource>();
    resources.forEach((r) => byUrn.set(r.urn, r));
    inputs.forEach((i, idx) => {
        const r = resources[idx];
        const parent = i.parent !== undefined ? byUrn.get(i.parent) : undefined;
        if (parent) {
            r.parent = parent;
        }
        r.dependencies = (i.dependencies ?? [])
            .map((d) => byUrn.get(d))
            .filter((d): d is PolicyResource => d !== undefined);
        for (const [k, urns] of Object.entries(i.propertyDependencies ?? {})) {
            r.propertyDependencies[k] = urns
                .map((d) => byUrn.get(d))
                .filter((d): d is PolicyResource => d !== undefined);
        }
    });
    return resources;
}

/** A `StackValidationArgs` as the analyzer builds it. */
export function makeStackValidationArgs(
    resources: PolicyResource[],
    config: Record<string, unknown> = {},
    stackTags?: ReadonlyMap<string, string> | Record<string, string>,
): StackValidationArgs {
    return {
        resources,
        getConfig: makeGetConfig(config),
        stackTags: readonlyTags(stackTags),
        notApplicable: throwNotApplicable,
    };
}
