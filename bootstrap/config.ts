/**
 * The bootstrap's configuration (namespace `private-app-bootstrap`), parsed and validated before
 * any resource is declared. Pure: no Pulumi resource, no AWS call.
 *
 * Every problem is reported at once, one line each, naming the full key, the value given, what
 * is allowed and how to fix it. The error has the shape of the main program's `ConfigError`
 * (`name === "ConfigError"`, `problems`), so the offline plan reports it as a configuration
 * error (exit 2) and the Pulumi CLI prints it without a stack trace.
 */

/** The Pulumi project name of this program: the config namespace. */
export const BOOTSTRAP_PROJECT = "private-app-bootstrap";

/** The Pulumi project name of the application whose stacks the roles deploy. */
export const APP_PROJECT = "private-app";

/** AWS managed policy given to the preview and drift roles by default. */
export const DEFAULT_READ_ONLY_POLICY_ARNS = ["arn:aws:iam::aws:policy/ReadOnlyAccess"];

/**
 * AWS managed policy given to the deploy roles by default. The program creates IAM roles,
 * VPCs, databases, functions and more, so "able to deploy" is broad; narrow it with
 * `roles.deployPolicyArns` and `roles.permissionsBoundaryArn` when your account has the policies.
 */
export const DEFAULT_DEPLOY_POLICY_ARNS = ["arn:aws:iam::aws:policy/AdministratorAccess"];

/** Maximum session of every role, in hours (a CI job never needs more). */
export const DEFAULT_MAX_SESSION_HOURS = 1;

export type Backend =
    /** Pulumi Cloud keeps the state and the secrets: nothing to create in AWS. */
    | { kind: "pulumi-cloud" }
    /** Self-managed: an S3 bucket for the state and one KMS key per stack for its secrets. */
    | { kind: "s3"; bucketName?: string };

export interface StackSettings {
    /** Stack name of the application (`dev`, `prod`). */
    name: string;
    /**
     * The GitHub environment the deploy job of this stack runs in (`prod`), whose protection
     * rules (required reviewers) guard the deploy; unset: the deploy runs on the main branch.
     */
    deployEnvironment?: string;
}

export interface BootstrapSettings {
    /** `OWNER/REPO`, exactly as GitHub spells it. */
    repository: string;
    /** The branch whose pushes deploy (and whose schedule runs the drift checks). */
    mainBranch: string;
    /** An OIDC provider for token.actions.githubusercontent.com that already exists in the account. */
    existingOidcProviderArn?: string;
    stacks: StackSettings[];
    backend: Backend;
    readOnlyPolicyArns: string[];
    deployPolicyArns: string[];
    permissionsBoundaryArn?: string;
    maxSessionHours: number;
}

export class BootstrapConfigError extends Error {
    readonly __pulumiRunError = true;
    readonly problems: readonly string[];
    constructor(problems: readonly string[]) {
        super(
            `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${p}`).join("\n")}`,
        );
        // The same name as lib/config.ts's ConfigError: tools/run-plan.ts reports both as exit 2.
        this.name = "ConfigError";
        this.problems = problems;
    }
}

const key = (k: string) => `${BOOTSTRAP_PROJECT}:${k}`;

function show(value: unknown): string {
    if (value === undefined) return "nothing (unset)";
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Characters that would widen a trust condition or break the `repo:...:...` subject. */
const WILDCARD_OR_SEPARATOR = /[*?:\s]/;

/** GitHub owner and repository names: letters, digits, `-`, `_`, `.`. */
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** Stack names that also make valid IAM role names and KMS aliases. */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,29}$/;

const BRANCH = /^[A-Za-z0-9._/-]{1,200}$/;

const MANAGED_POLICY_ARN = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

/** A config value as written in the stack file (the runtime gives objects as JSON strings). */
function value(all: Readonly<Record<string, string>>, k: string): unknown {
    const raw = all[key(k)];
    if (raw === undefined) return undefined;
    try {
        return JSON.parse(raw);
    } catch {
        return raw; // a plain string; the caller reports the shape it expected
    }
}

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

function unknownFields(k: string, value: Record<string, unknown>, allowed: string[], problems: string[]): void {
    for (const f of Object.keys(value)) {
        if (!allowed.includes(f))
            problems.push(
                `${key(`${k}.${f}`)}: got ${show(value[f])}; not a known field (known: ${allowed.join(", ")}). Fix: remove it or correct its name`,
            );
    }
}

function policyArns(k: string, value: unknown, fallback: string[], problems: string[]): string[] {
    if (value === undefined) return fallback;
    if (
        !Array.isArray(value) ||
        value.length === 0 ||
        value.some((v) => typeof v !== "string" || !MANAGED_POLICY_ARN.test(v))
    ) {
        problems.push(
            `${key(k)}: got ${show(value)}; expected a non-empty list of IAM managed policy ARNs (arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME)`,
        );
        return fallback;
    }
    return value as string[];
}

/**
 * Parses the whole config of the bootstrap stack (full keys, values as the Pulumi runtime gives
 * them: objects as JSON strings). Throws {@link BootstrapConfigError} listing every problem.
 */
export function parseBootstrapConfig(all: Readonly<Record<string, string>>): BootstrapSettings {
    const problems: string[] = [];

    // github
    const github = value(all, "github");
    let repository = "";
    let mainBranch = "main";
    let existingOidcProviderArn: string | undefined;
    if (!isObject(github)) {
        problems.push(
            `${key("github")}: got ${show(github)}; expected { repository: OWNER/REPO }. Fix: pulumi config set --path github.repository my-org/private-app`,
        );
    } else {
        unknownFields("github", github, ["repository", "mainBranch", "existingOidcProviderArn"], problems);
        if (typeof github.repository !== "string" || !REPOSITORY.test(github.repository)) {
            problems.push(
                `${key("github.repository")}: got ${show(github.repository)}; expected OWNER/REPO exactly as GitHub spells it (letters, digits, '-', '_', '.'; no wildcard). Fix: pulumi config set --path github.repository my-org/private-app`,
            );
        } else repository = github.repository;
        if (github.mainBranch !== undefined) {
            if (
                typeof github.mainBranch !== "string" ||
                !BRANCH.test(github.mainBranch) ||
                github.mainBranch.includes("*")
            ) {
                problems.push(
                    `${key("github.mainBranch")}: got ${show(github.mainBranch)}; expected a branch name without wildcards, such as main`,
                );
            } else mainBranch = github.mainBranch;
        }
        if (github.existingOidcProviderArn !== undefined) {
            if (
                typeof github.existingOidcProviderArn !== "string" ||
                !OIDC_PROVIDER_ARN.test(github.existingOidcProviderArn)
            ) {
                problems.push(
                    `${key("github.existingOidcProviderArn")}: got ${show(github.existingOidcProviderArn)}; expected arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com (an account has at most one; leave unset to create it)`,
                );
            } else existingOidcProviderArn = github.existingOidcProviderArn;
        }
    }

    // stacks
    const stacksValue = value(all, "stacks");
    const stacks: StackSettings[] = [];
    if (!isObject(stacksValue) || Object.keys(stacksValue).length === 0) {
        problems.push(
            `${key("stacks")}: got ${show(stacksValue)}; expected a mapping of the application's stacks, such as { dev: {}, prod: { deployEnvironment: prod } }`,
        );
    } else {
        for (const [name, s] of Object.entries(stacksValue)) {
            const k = `stacks.${name}`;
            if (!STACK_NAME.test(name)) {
                problems.push(
                    `${key(k)}: stack name ${show(name)} is not allowed; expected 1 to 30 letters, digits, '-' or '_' (it names IAM roles and KMS aliases)`,
                );
                continue;
            }
            const settings = s ?? {};
            if (!isObject(settings)) {
                problems.push(`${key(k)}: got ${show(s)}; expected {} or { deployEnvironment: NAME }`);
                continue;
            }
            unknownFields(k, settings, ["deployEnvironment"], problems);
            const env = settings.deployEnvironment;
            if (
                env !== undefined &&
                (typeof env !== "string" || env.length === 0 || env.length > 255 || WILDCARD_OR_SEPARATOR.test(env))
            ) {
                problems.push(
                    `${key(`${k}.deployEnvironment`)}: got ${show(env)}; expected a GitHub environment name without '*', '?', ':' or spaces (it becomes the exact OIDC subject repo:OWNER/REPO:environment:NAME)`,
                );
                continue;
            }
            stacks.push({ name, ...(typeof env === "string" ? { deployEnvironment: env } : {}) });
        }
    }

    // backend
    const backendValue = value(all, "backend");
    let backend: Backend = { kind: "pulumi-cloud" };
    if (backendValue !== undefined) {
        if (!isObject(backendValue) || (backendValue.kind !== "pulumi-cloud" && backendValue.kind !== "s3")) {
            problems.push(
                `${key("backend.kind")}: got ${show(isObject(backendValue) ? backendValue.kind : backendValue)}; expected "pulumi-cloud" (state in Pulumi Cloud) or "s3" (a state bucket and KMS keys created here)`,
            );
        } else if (backendValue.kind === "pulumi-cloud") {
            unknownFields("backend", backendValue, ["kind"], problems);
        } else {
            unknownFields("backend", backendValue, ["kind", "bucketName"], problems);
            const bucketName = backendValue.bucketName;
            if (
                bucketName !== undefined &&
                (typeof bucketName !== "string" || !BUCKET_NAME.test(bucketName) || bucketName.includes(".."))
            ) {
                problems.push(
                    `${key("backend.bucketName")}: got ${show(bucketName)}; expected an S3 bucket name (3 to 63 lower-case letters, digits, '.', '-'); leave unset for a generated name`,
                );
            } else backend = { kind: "s3", ...(bucketName ? { bucketName: bucketName as string } : {}) };
        }
    }

    // roles
    const rolesValue = value(all, "roles") ?? {};
    let readOnlyPolicyArns = DEFAULT_READ_ONLY_POLICY_ARNS;
    let deployPolicyArns = DEFAULT_DEPLOY_POLICY_ARNS;
    let permissionsBoundaryArn: string | undefined;
    let maxSessionHours = DEFAULT_MAX_SESSION_HOURS;
    if (!isObject(rolesValue)) {
        problems.push(
            `${key("roles")}: got ${show(rolesValue)}; expected an object (or leave it unset for the defaults)`,
        );
    } else {
        unknownFields(
            "roles",
            rolesValue,
            ["readOnlyPolicyArns", "deployPolicyArns", "permissionsBoundaryArn", "maxSessionHours"],
            problems,
        );
        readOnlyPolicyArns = policyArns(
            "roles.readOnlyPolicyArns",
            rolesValue.readOnlyPolicyArns,
            readOnlyPolicyArns,
            problems,
        );
        deployPolicyArns = policyArns(
            "roles.deployPolicyArns",
            rolesValue.deployPolicyArns,
            deployPolicyArns,
            problems,
        );
        const boundary = rolesValue.permissionsBoundaryArn;
        if (boundary !== undefined) {
            if (typeof boundary !== "string" || !MANAGED_POLICY_ARN.test(boundary))
                problems.push(
                    `${key("roles.permissionsBoundaryArn")}: got ${show(boundary)}; expected an IAM managed policy ARN`,
                );
            else permissionsBoundaryArn = boundary;
        }
        const hours = rolesValue.maxSessionHours;
        if (hours !== undefined) {
            if (typeof hours !== "number" || !Number.isInteger(hours) || hours < 1 || hours > 12)
                problems.push(
                    `${key("roles.maxSessionHours")}: got ${show(hours)}; expected a whole number of hours from 1 to 12`,
                );
            else maxSessionHours = hours;
        }
    }

    if (problems.length > 0) throw new BootstrapConfigError(problems);
    return {
        repository,
        mainBranch,
        ...(existingOidcProviderArn ? { existingOidcProviderArn } : {}),
        stacks,
        backend,
        readOnlyPolicyArns,
        deployPolicyArns,
        ...(permissionsBoundaryArn ? { permissionsBoundaryArn } : {}),
        maxSessionHours,
    };
}
