/**
 * Network policies: who may reach the database ports, and plain HTTP at the public entry.
 */
import type {
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    describeRule,
    Exposure,
    findExposures,
    INGRESS_TYPES,
    ingressRulesOf,
    isPublicCidr,
    isWorldCidr,
    reachesTcpPort,
} from "../lib/ingress";
import { asArray, asLowerString, asNumber, get, UNKNOWN } from "../lib/props";
import { labelOf, T } from "../lib/types";
import { portsSchema, stackValidation, validateTypes } from "./util";

/** Default database ports checked by the ingress policies: PostgreSQL. Add 3306, 1433, ... in config. */
export const DEFAULT_DATABASE_PORTS: readonly number[] = [5432];

export interface PortsConfig {
    /** TCP ports to protect. @default [5432] */
    ports: number[];
}

function portsText(ports: readonly number[]): string {
    return ports.length === 1 ? `port ${ports[0]}` : `ports ${ports.join(", ")}`;
}

function where(e: Exposure): string {
    return e.rule.location === "rule" ? "the rule" : e.rule.location;
}

function reportExposures(
    args: ResourceValidationArgs,
    report: ReportViolation,
    exposures: Exposure[],
    who: string,
): void {
    for (const e of exposures) {
        const sources = e.cidrs.length === 1 ? "this source" : "these sources";
        report(
            `${labelOf(args.type)} must not allow ${who} to reach ${portsText(e.ports)}: ` +
                `${where(e)} allows ${describeRule(e.rule)} from ${e.cidrs.join(", ")}. ` +
                `Remove ${sources} and allow the port only from the application's security group or a private range.`,
        );
    }
}

// ------------------------------------------------------------------------------------------------
// no-world-ingress-to-postgres (mandatory)
// ------------------------------------------------------------------------------------------------

/** No ingress rule, in any of the resource kinds that declare them, opens the database port to the world. */
export const noWorldIngressToPostgres: ResourceValidationPolicy = {
    name: "no-world-ingress-to-postgres",
    description:
        "No security group ingress may let 0.0.0.0/0 or ::/0 reach PostgreSQL (TCP 5432, or the configured ports).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Allow the database port only from the application's (or the RDS proxy's) security group.",
    configSchema: {
        properties: {
            ports: portsSchema(
                "TCP ports that must never be reachable from the world (0.0.0.0/0 or ::/0).",
                DEFAULT_DATABASE_PORTS,
            ),
        },
    },
    validateResource: validateTypes(INGRESS_TYPES, (args, report) => {
        const { ports } = args.getConfig<PortsConfig>();
        const exposures = findExposures(ingressRulesOf(args.type, args.props), ports, isWorldCidr);
        reportExposures(args, report, exposures, "the world");
    }),
};

// ------------------------------------------------------------------------------------------------
// no-public-ingress-to-database-ports (advisory)
// ------------------------------------------------------------------------------------------------

/** Wider net, advisory: any globally reachable range (not only the world) reaching a database port. */
export const noPublicIngressToDatabasePorts: ResourceValidationPolicy = {
    name: "no-public-ingress-to-database-ports",
    description:
        "No security group ingress should let a public (globally reachable) address range reach a database port.",
    enforcementLevel: "advisory",
    severity: "high",
    remediationSteps:
        "Reach the database from inside the VPC (application security group, VPN, SSM port forwarding), never from public addresses.",
    configSchema: {
        properties: {
            ports: portsSchema(
                "TCP ports that should not be reachable from any public address range.",
                DEFAULT_DATABASE_PORTS,
            ),
        },
    },
    validateResource: validateTypes(INGRESS_TYPES, (args, report) => {
        const { ports } = args.getConfig<PortsConfig>();
        const exposures = findExposures(ingressRulesOf(args.type, args.props), ports, isPublicCidr);
        reportExposures(args, report, exposures, "public addresses");
    }),
};

// ------------------------------------------------------------------------------------------------
// lb-http-redirects-to-https (mandatory, stack)
// ------------------------------------------------------------------------------------------------

/** @see lbHttpRedirectsToHttps */
export const DEFAULT_HTTP_PORTS: readonly number[] = [80];

const LISTENER_TYPES: readonly string[] = [T.lbListener, T.albListener];

/** True when the stack holds a TLS certificate or a TLS listener. */
function stackHasCertificate(resources: readonly { type: string; props: unknown }[]): boolean {
    return resources.some((r) => {
        if (r.type === T.acmCertificate || r.type === T.lbListenerCertificate || r.type === T.albListenerCertificate) {
            return true;
        }
        if (LISTENER_TYPES.includes(r.type)) {
            const protocol = asLowerString(get(r.props, "protocol"));
            return protocol === "https" || protocol === "tls" || get(r.props, "certificateArn") !== undefined;
        }
        return false;
    });
}

/** The listener's default actions redirect to HTTPS; UNKNOWN when that cannot be told. */
function redirectsToHttps(props: unknown): boolean | typeof UNKNOWN {
    const actions = asArray(get(props, "defaultActions"));
    if (actions === UNKNOWN) {
        return UNKNOWN;
    }
    let unknown = false;
    for (const a of actions ?? []) {
        const type = asLowerString(get(a, "type"));
        if (type === UNKNOWN) {
            unknown = true;
            continue;
        }
        if (type === "redirect") {
            const protocol = asLowerString(get(get(a, "redirect"), "protocol"));
            if (protocol === "https") {
                return true;
            }
            if (protocol === UNKNOWN) {
                unknown = true;
            }
        }
    }
    return unknown ? UNKNOWN : false;
}

function actionsText(props: unknown): string {
    const actions = asArray(get(props, "defaultActions"));
    const types =
        actions === UNKNOWN || actions === undefined
            ? []
            : actions.map((a) => asLowerString(get(a, "type"))).filter((t): t is string => typeof t === "string");
    return types.length === 0 ? "no default action" : `default action ${types.map((t) => `"${t}"`).join(", ")}`;
}

export interface HttpRedirectConfig {
    /** Listener ports on which plain HTTP must redirect to HTTPS. @default [80] */
    ports: number[];
}

/** Once the stack has a certificate, plain-HTTP listeners exist only to redirect to HTTPS. */
export const lbHttpRedirectsToHttps: StackValidationPolicy = {
    name: "lb-http-redirects-to-https",
    description: "When the stack has a TLS certificate, load balancer HTTP listeners must redirect to HTTPS.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
        'Give the HTTP listener a single default action { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }.',
    configSchema: {
        properties: {
            ports: portsSchema("Listener ports on which plain HTTP must redirect to HTTPS.", DEFAULT_HTTP_PORTS),
        },
    },
    validateStack: stackValidation(LISTENER_TYPES, (args, report) => {
        const listeners = args.resources.filter((r) => LISTENER_TYPES.includes(r.type));
        if (listeners.length === 0) {
            args.notApplicable("Policy only applies to stacks with load balancer listeners");
        }
        if (!stackHasCertificate(args.resources)) {
            args.notApplicable("The stack has no TLS certificate, so there is no HTTPS to redirect to");
        }
        const { ports } = args.getConfig<HttpRedirectConfig>();
        for (const l of listeners) {
            const port = asNumber(get(l.props, "port"));
            const protocol = asLowerString(get(l.props, "protocol"));
            // Application load balancer listeners default to HTTP; network load balancers require a protocol.
            if (
                typeof port !== "number" ||
                !ports.includes(port) ||
                protocol === UNKNOWN ||
                (protocol !== undefined && protocol !== "http")
            ) {
                continue;
            }
            if (redirectsToHttps(l.props) === false) {
                report(
                    `${labelOf(l.type)} must redirect HTTP to HTTPS: port ${port} (HTTP) has ${actionsText(l.props)}, and the stack has a TLS certificate.`,
                    l.urn,
                );
            }
        }
    }),
};

/** The network policies, in evaluation order. */
// ------------------------------------------------------------------------------------------------
// no-ssh-ingress (mandatory)
// ------------------------------------------------------------------------------------------------

/** @see noSshIngress */
export const DEFAULT_SHELL_PORTS: readonly number[] = [22];

/**
 * No ingress rule reaches the SSH port, from any source (a CIDR, a security group, a prefix
 * list, the group itself): shells go through Systems Manager Session Manager, which needs no
 * inbound rule (the bastion and the `ec2` mode's instances). Exact as the other ingress
 * policies are: a rule counts when its protocol is TCP (any spelling) or all traffic and its
 * port range holds the port; UDP, ICMP and ranges beside the port do not; an unknown value is
 * never reported.
 */
export const noSshIngress: ResourceValidationPolicy = {
    name: "no-ssh-ingress",
    description: "No security group ingress may reach the SSH port (22), from any source: use Session Manager.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Remove the rule; open a shell with `aws ssm start-session --target <instance-id>` (the instance profile needs AmazonSSMManagedInstanceCore).",
    configSchema: {
        properties: {
            ports: portsSchema("TCP ports no ingress rule may reach (remote shells).", DEFAULT_SHELL_PORTS),
        },
    },
    validateResource: validateTypes(INGRESS_TYPES, (args, report) => {
        const { ports } = args.getConfig<PortsConfig>();
        for (const rule of ingressRulesOf(args.type, args.props)) {
            const reached = ports.filter((p) => reachesTcpPort(rule.protocol, rule.fromPort, rule.toPort, p) === "yes");
            if (reached.length > 0) {
                report(
                    `${labelOf(args.type)} must not allow ingress to ${portsText(reached)}: ${where({ rule, ports: reached, cidrs: [] })} allows ${describeRule(rule)}. ` +
                        "Remove it and open shells with Session Manager.",
                );
            }
        }
    }),
};

export const networkPolicies = [
    noWorldIngressToPostgres,
    noPublicIngressToDatabasePorts,
    lbHttpRedirectsToHttps,
    noSshIngress,
] as const;
