/**
 * Compute policies: Lambda, ECS and EC2 — secrets in environment variables, private networking,
 * instance metadata.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asBool, asLowerString, asRecord, get, UNKNOWN } from "../lib/props";
import { compileMatchers, containerEnv, EnvVar, lambdaEnv, secretReason } from "../lib/secrets";
import { labelOf, T } from "../lib/types";
import { remediateTypes, validateTypes } from "./util";

// ------------------------------------------------------------------------------------------------
// no-plaintext-secrets-in-env (mandatory)
// ------------------------------------------------------------------------------------------------

/** Names that look like they hold a secret (case-insensitive regular expressions). */
export const DEFAULT_SECRET_NAME_PATTERNS: readonly string[] = [
    "passw(or)?d",
    "passphrase",
    "(^|_)pwd($|_)",
    "secret",
    "token",
    "api[_-]?key",
    "private[_-]?key",
    "access[_-]?key",
    "signing[_-]?key",
    "credential",
    "connection[_-]?string",
];

/** Names that look like they hold a reference to a secret, not the secret (case-insensitive). */
export const DEFAULT_REFERENCE_NAME_PATTERNS: readonly string[] = ["(^|_)(arn|id|name|path|param|parameter|ref)$"];

export interface SecretsInEnvConfig {
    /** Regular expressions (case-insensitive) for variable names that hold secrets. */
    namePatterns: string[];
    /** Regular expressions (case-insensitive) for names that hold a reference (an id, a name, an ARN), exempted. */
    referenceNamePatterns: string[];
}

// No `format: "regex"`: the CLI checks it with Go's regex engine, offline it would be JavaScript's;
// the pack checks its patterns itself (`compileMatchers`), the same way everywhere.
const regexList = (description: string, defaults: readonly string[]) => ({
    type: "array" as const,
    items: { type: "string" as const, minLength: 1 },
    description,
    default: [...defaults],
});

function reportSecrets(args: ResourceValidationArgs, report: (m: string) => void, vars: EnvVar[]): void {
    const cfg = args.getConfig<SecretsInEnvConfig>();
    const matchers = compileMatchers(cfg.namePatterns, cfg.referenceNamePatterns);
    if (matchers.problems.length > 0) {
        report(
            `the policy's config is invalid, so ${labelOf(args.type)} cannot be checked for plain-text secrets: ` +
                `${matchers.problems.join("; ")}. Fix no-plaintext-secrets-in-env in the policy pack config.`,
        );
        return;
    }
    for (const v of vars) {
        const reason = secretReason(v, matchers);
        if (reason === undefined) {
            continue;
        }
        const why =
            reason === "credentials-in-url"
                ? `${v.location} is a URL with a password in it`
                : `${v.location} ("${v.name}") has a literal value`;
        report(
            `${labelOf(args.type)} must not hold secrets in plain-text environment variables: ${why}; ` +
                "keep the secret in Secrets Manager or SSM Parameter Store and pass its ARN (or use the container's secrets).",
        );
    }
}

/** Secrets belong in Secrets Manager / SSM, read at run time by ARN — never in environment variables. */
export const noPlaintextSecretsInEnv: ResourceValidationPolicy = {
    name: "no-plaintext-secrets-in-env",
    description: "Lambda and ECS environment variables must not hold secrets in plain text.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Store the value in Secrets Manager (or the RDS-managed master secret) and pass its ARN; read it at run time or use ECS `secrets`.",
    configSchema: {
        properties: {
            namePatterns: regexList(
                "Regular expressions (case-insensitive) for environment variable names that hold secrets.",
                DEFAULT_SECRET_NAME_PATTERNS,
            ),
            referenceNamePatterns: regexList(
                "Regular expressions (case-insensitive) for names that hold a reference to a secret (an ARN, id, name or path); such variables are exempt.",
                DEFAULT_REFERENCE_NAME_PATTERNS,
            ),
        },
    },
    validateResource: validateTypes([T.lambdaFunction, T.ecsTaskDefinition], (args, report) => {
        reportSecrets(args, report, args.type === T.lambdaFunction ? lambdaEnv(args.props) : containerEnv(args.props));
    }),
};

// ------------------------------------------------------------------------------------------------
// lambda-in-vpc (advisory)
// ------------------------------------------------------------------------------------------------

/** Functions that talk to the private database must run inside the VPC. */
export const lambdaInVpc: ResourceValidationPolicy = {
    name: "lambda-in-vpc",
    description: "Lambda functions should run in the VPC's private subnets (vpcConfig with subnetIds).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
        "Set vpcConfig.subnetIds to the private subnets and vpcConfig.securityGroupIds to the app security group.",
    validateResource: validateTypes([T.lambdaFunction], (args, report) => {
        const vpcConfig = asRecord(get(args.props, "vpcConfig"));
        if (vpcConfig === UNKNOWN) {
            return;
        }
        const subnets = asArray(get(vpcConfig, "subnetIds"));
        if (subnets === UNKNOWN) {
            return;
        }
        if (vpcConfig === undefined || subnets === undefined || subnets.length === 0) {
            report(
                `${labelOf(args.type)} must run in a VPC: vpcConfig.subnetIds is ${vpcConfig === undefined ? "not set" : "empty"}.`,
            );
        }
    }),
};

// ------------------------------------------------------------------------------------------------
// ecs-service-no-public-ip (mandatory)
// ------------------------------------------------------------------------------------------------

/** Tasks run in private subnets; the load balancer is the only public entry. */
export const ecsServiceNoPublicIp: ResourceValidationPolicy = {
    name: "ecs-service-no-public-ip",
    description: "ECS services must not assign public IP addresses to their tasks.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set networkConfiguration.assignPublicIp to false and run tasks in private subnets (NAT or VPC endpoints for egress).",
    validateResource: validateTypes([T.ecsService], (args, report) => {
        if (asBool(get(get(args.props, "networkConfiguration"), "assignPublicIp")) === true) {
            report(
                `${labelOf(args.type)} must not assign public IPs to its tasks (networkConfiguration.assignPublicIp: true).`,
            );
        }
    }),
};

// ------------------------------------------------------------------------------------------------
// ec2-no-public-ip (mandatory)
// ------------------------------------------------------------------------------------------------

/** Instances run in private subnets; the load balancer is the only public entry. */
export const ec2NoPublicIp: ResourceValidationPolicy = {
    name: "ec2-no-public-ip",
    description: "EC2 instances and launch templates must not associate public IP addresses.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Remove associatePublicIpAddress (or set it false) and launch into private subnets.",
    validateResource: validateTypes([T.ec2Instance, T.launchTemplate], (args, report) => {
        const label = labelOf(args.type);
        if (args.type === T.ec2Instance) {
            if (asBool(get(args.props, "associatePublicIpAddress")) === true) {
                report(`${label} must not associate a public IP address (associatePublicIpAddress: true).`);
            }
            return;
        }
        const interfaces = asArray(get(args.props, "networkInterfaces"));
        if (interfaces === UNKNOWN || interfaces === undefined) {
            return;
        }
        interfaces.forEach((ni, i) => {
            if (asBool(get(ni, "associatePublicIpAddress")) === true) {
                report(
                    `${label} must not associate public IP addresses (networkInterfaces[${i}].associatePublicIpAddress: "true").`,
                );
            }
        });
    }),
};

// ------------------------------------------------------------------------------------------------
// ec2-imdsv2-required (remediate)
// ------------------------------------------------------------------------------------------------

/** What is wrong with the metadata options, or undefined when IMDSv2 is enforced (or cannot be told). */
function imdsProblem(props: unknown): string | undefined {
    const options = asRecord(get(props, "metadataOptions"));
    if (options === UNKNOWN) {
        return undefined;
    }
    const endpoint = asLowerString(get(options, "httpEndpoint"));
    const tokens = asLowerString(get(options, "httpTokens"));
    if (endpoint === UNKNOWN || endpoint === "disabled" || tokens === UNKNOWN || tokens === "required") {
        return undefined; // no metadata service at all, or IMDSv2 only
    }
    return tokens === undefined ? "not set" : `"${tokens}"`;
}

/** IMDSv2 only: session tokens block SSRF-style credential theft through the metadata service. */
export const ec2Imdsv2Required: ResourceValidationPolicy = {
    name: "ec2-imdsv2-required",
    description: 'EC2 instances and launch templates must require IMDSv2 (metadataOptions.httpTokens = "required").',
    enforcementLevel: "remediate",
    severity: "medium",
    remediationSteps:
        'Set metadataOptions.httpTokens to "required"; with enforcement level remediate the pack does it for you.',
    validateResource: validateTypes([T.ec2Instance, T.launchTemplate], (args, report) => {
        const problem = imdsProblem(args.props);
        if (problem !== undefined) {
            report(
                `${labelOf(args.type)} must require IMDSv2 (metadataOptions.httpTokens must be "required"; it is ${problem}).`,
            );
        }
    }),
    remediateResource: remediateTypes([T.ec2Instance, T.launchTemplate], (args) => {
        if (imdsProblem(args.props) === undefined) {
            return undefined;
        }
        // Mutate in place and return args.props: a spread would read every property through the
        // analyzer's proxy (throwing on any unknown during preview) and unwrap secrets.
        const props = args.props as Record<string, unknown>;
        const options = asRecord(get(props, "metadataOptions"));
        if (options === undefined || options === UNKNOWN) {
            props.metadataOptions = { httpTokens: "required" };
        } else {
            options.httpTokens = "required";
        }
        return props;
    }),
};

/** The compute policies, in evaluation order. */
export const computePolicies = [
    noPlaintextSecretsInEnv,
    lambdaInVpc,
    ecsServiceNoPublicIp,
    ec2NoPublicIp,
    ec2Imdsv2Required,
] as const;
