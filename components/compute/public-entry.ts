/**
 * The public entry of the modes behind a load balancer (`ecs` and `ec2`), by `compute.ingress`:
 *
 * - `alb`: an internet-facing Application Load Balancer in the public subnets. Its security
 *   group admits the world on 80 and 443 only; port 80 only redirects to HTTPS; the HTTPS
 *   listener uses {@link TLS_POLICY} (TLS 1.3 and 1.2) with a certificate from config (ACM
 *   ARN) or requested here (domain + Route 53 zone, DNS-validated). Optional WAF and access logs.
 * - `apiGateway`: the HTTP API (throttling, access logs, CORS) with a VPC link into an
 *   internal ALB in the private subnets; the internal ALB admits only the VPC link's group.
 *
 * Either way the app's target group (on the app's port, health = the app's liveness path; IP
 * targets for ecs tasks, instance targets for the ec2 group) is created here; the service
 * registers its tasks or instances in it and its security group admits
 * {@link PublicEntry.loadBalancerSecurityGroupId} only.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ALB_OPEN_PATHS, albOidcAction, type AlbOidcOptions } from "../../lib/auth-plan";
import { ALB_DEFAULTS, type AlbOptions, TARGET_HEALTH_PATH, TLS_POLICY } from "../../lib/ecs-plan";
import type { Ingress } from "../../lib/compute-plan";
import type { HttpApiOptions } from "../../lib/lambda-plan";
import type { DatabaseConnection } from "../contracts";
import { privateBucket } from "../private-bucket";
import type { FunctionBundle } from "./lambda-function";
import { createVpcLinkHttpApi } from "./http-api";

export interface PublicEntryArgs {
    ingress: Ingress;
    vpcId: pulumi.Input<string>;
    vpcCidr: pulumi.Input<string>;
    publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The port the app listens on in its task or instance. */
    targetPort: number;
    /**
     * How targets register: `ip` (Fargate's awsvpc tasks), or `instance` (an Auto Scaling
     * group's instances, registered by the group itself).
     * @default "ip"
     */
    targetType?: "ip" | "instance";
    alb: AlbOptions;
    api: HttpApiOptions;
}

/**
 * What a service behind the public entry (the `ecs` and `ec2` modes) is given besides its own
 * options: the entry, the network, the database it connects to, the alarm topic and the shared
 * migration step's code.
 */
export interface EntryServiceArgs {
    /** The public entry (`alb` needs a certificate in `alb`). */
    ingress: Ingress;
    alb?: AlbOptions;
    api?: HttpApiOptions;
    vpcId: pulumi.Input<string>;
    vpcCidr: pulumi.Input<string>;
    publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Whether the private subnets reach the internet through NAT. */
    privateEgress: boolean;
    database: DatabaseConnection;
    alarmTopicArn: pulumi.Input<string>;
    /** The migration function's code (`bundleApp().migrate`) and the migrations' hash. */
    migrations: { bundle: FunctionBundle; migrationsSha256: string };
}

export interface PublicEntry {
    /** The public URL (https://...). */
    url: pulumi.Output<string>;
    loadBalancer: aws.lb.LoadBalancer;
    targetGroup: aws.lb.TargetGroup;
    /** The listener that forwards to the target group (the service waits for it). */
    listener: aws.lb.Listener;
    /** The group the app's security group must admit on {@link PublicEntryArgs.targetPort}. */
    loadBalancerSecurityGroupId: pulumi.Output<string>;
    /** `app/<name>/<id>` and `targetgroup/<name>/<id>`: CloudWatch dimensions and the request-count metric. */
    loadBalancerArnSuffix: pulumi.Output<string>;
    targetGroupArnSuffix: pulumi.Output<string>;
    /** True when the target group sits behind a public ALB (request-count scaling applies). */
    publicAlb: boolean;
}

const WORLD_V4 = "0.0.0.0/0";

/** Declares the public entry under `parent`; every child is named `<name>-...`. */
export function createPublicEntry(parent: pulumi.Resource, name: string, a: PublicEntryArgs): PublicEntry {
    const opts = { parent };
    const internal = a.ingress === "apiGateway";

    // The load balancer's group: rules as separate resources so the policies see each one.
    const lbGroup = new aws.ec2.SecurityGroup(
        `${name}-lb`,
        {
            vpcId: a.vpcId,
            description: internal
                ? "Internal ALB of the app: HTTP from the API's VPC link only"
                : "Public ALB of the app: HTTP (redirect) and HTTPS from anywhere",
            tags: { Name: `${name}-lb` },
        },
        opts,
    );
    let linkGroup: aws.ec2.SecurityGroup | undefined;
    if (internal) {
        linkGroup = new aws.ec2.SecurityGroup(
            `${name}-vpclink`,
            {
                vpcId: a.vpcId,
                description: "VPC link of the HTTP API: egress to the internal ALB only",
                tags: { Name: `${name}-vpclink` },
            },
            opts,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-vpclink-to-lb`,
            {
                securityGroupId: linkGroup.id,
                description: "HTTP to the internal ALB",
                ipProtocol: "tcp",
                fromPort: 80,
                toPort: 80,
                referencedSecurityGroupId: lbGroup.id,
            },
            opts,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-lb-from-vpclink`,
            {
                securityGroupId: lbGroup.id,
                description: "HTTP from the API's VPC link",
                ipProtocol: "tcp",
                fromPort: 80,
                toPort: 80,
                referencedSecurityGroupId: linkGroup.id,
            },
            opts,
        );
    } else {
        // IPv4 only: the load balancer is IPv4 (`ipAddressType` default) and the VPC has no IPv6.
        for (const port of [80, 443]) {
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-lb-${port}`,
                {
                    securityGroupId: lbGroup.id,
                    description: port === 80 ? "HTTP from anywhere (redirected to HTTPS)" : "HTTPS from anywhere",
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    cidrIpv4: WORLD_V4,
                },
                opts,
            );
        }
    }
    // To the targets only (their group admits this one; the VPC range is the outer bound).
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-lb-to-targets`,
        {
            securityGroupId: lbGroup.id,
            description: `HTTP to the app's ${(a.targetType ?? "ip") === "ip" ? "tasks" : "instances"} on their port`,
            ipProtocol: "tcp",
            fromPort: a.targetPort,
            toPort: a.targetPort,
            cidrIpv4: a.vpcCidr,
        },
        opts,
    );

    const logs = !internal && a.alb.accessLogs ? accessLogBucket(parent, name, a.alb) : undefined;
    const loadBalancer = new aws.lb.LoadBalancer(
        name,
        {
            loadBalancerType: "application",
            internal,
            subnets: internal ? a.privateSubnetIds : a.publicSubnetIds,
            securityGroups: [lbGroup.id],
            // Requests with header names that are not valid HTTP are dropped, not forwarded.
            dropInvalidHeaderFields: true,
            ...(logs ? { accessLogs: { bucket: logs.bucket.bucket, enabled: true } } : {}),
        },
        // ELB checks that it may write to the bucket when access logs are enabled.
        { parent, ...(logs ? { dependsOn: [logs.policy] } : {}) },
    );
    const targetGroup = new aws.lb.TargetGroup(
        name,
        {
            // Fargate's awsvpc tasks register by IP address; an Auto Scaling group's instances by id.
            targetType: a.targetType ?? "ip",
            port: a.targetPort,
            protocol: "HTTP",
            vpcId: a.vpcId,
            // The app drains in-flight requests within 20 s of SIGTERM (app/src/server.ts).
            deregistrationDelay: 30,
            healthCheck: {
                path: TARGET_HEALTH_PATH,
                matcher: "200",
                interval: 15,
                timeout: 5,
                healthyThreshold: 2,
                unhealthyThreshold: 3,
            },
        },
        opts,
    );
    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];

    if (internal) {
        const listener = new aws.lb.Listener(
            `${name}-http`,
            { loadBalancerArn: loadBalancer.arn, port: 80, protocol: "HTTP", defaultActions: forward },
            opts,
        );
        const vpcLink = new aws.apigatewayv2.VpcLink(
            `${name}-link`,
            {
                name: `${pulumi.getProject()}-${pulumi.getStack()}-${name}`,
                subnetIds: a.privateSubnetIds,
                securityGroupIds: [linkGroup!.id],
            },
            opts,
        );
        const api = createVpcLinkHttpApi(parent, name, { vpcLinkId: vpcLink.id, listenerArn: listener.arn }, a.api);
        return {
            url: api.url,
            loadBalancer,
            targetGroup,
            listener,
            loadBalancerSecurityGroupId: lbGroup.id,
            loadBalancerArnSuffix: loadBalancer.arnSuffix,
            targetGroupArnSuffix: targetGroup.arnSuffix,
            publicAlb: false,
        };
    }

    new aws.lb.Listener(
        `${name}-http`,
        {
            loadBalancerArn: loadBalancer.arn,
            port: 80,
            protocol: "HTTP",
            defaultActions: [
                { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
            ],
        },
        opts,
    );
    const certificateArn = certificate(parent, name, a.alb);
    const oidc = a.alb.oidc;
    const listener = new aws.lb.Listener(
        `${name}-https`,
        {
            loadBalancerArn: loadBalancer.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: TLS_POLICY,
            certificateArn,
            defaultActions: oidc ? signInThenForward(oidc, targetGroup.arn) : forward,
        },
        opts,
    );
    if (oidc) openHealthPaths(parent, name, listener, targetGroup, lbGroup);
    const host: pulumi.Output<string> =
        a.alb.domainName !== undefined ? pulumi.output(a.alb.domainName) : loadBalancer.dnsName;
    if (a.alb.domainName !== undefined && a.alb.hostedZoneId !== undefined) {
        new aws.route53.Record(
            `${name}-alias`,
            {
                zoneId: a.alb.hostedZoneId,
                name: a.alb.domainName,
                type: "A",
                aliases: [{ name: loadBalancer.dnsName, zoneId: loadBalancer.zoneId, evaluateTargetHealth: true }],
            },
            opts,
        );
    }
    if (a.alb.waf) webAcl(parent, name, loadBalancer.arn, a.alb.wafRateLimit ?? ALB_DEFAULTS.wafRateLimit);
    return {
        url: pulumi.interpolate`https://${host}`,
        loadBalancer,
        targetGroup,
        listener,
        loadBalancerSecurityGroupId: lbGroup.id,
        loadBalancerArnSuffix: loadBalancer.arnSuffix,
        targetGroupArnSuffix: targetGroup.arnSuffix,
        publicAlb: true,
    };
}

/**
 * Sign-in at the public ALB ("Authenticate users using an Application Load Balancer", ELB user
 * guide): `authenticate-oidc` (order 1) then `forward` (order 2). The client secret is passed as
 * a Pulumi secret, so it is encrypted in the state and shown as "[secret]" in plans.
 */
function signInThenForward(oidc: AlbOidcOptions, targetGroupArn: pulumi.Input<string>) {
    return [
        {
            type: "authenticate-oidc",
            order: 1,
            authenticateOidc: albOidcAction(oidc, pulumi.secret(oidc.clientSecret)),
        },
        { type: "forward", order: 2, targetGroupArn },
    ];
}

/**
 * With sign-in: a listener rule `<name>-open-health` that forwards the app's health paths
 * without authentication (uptime monitors), and the ALB's egress to the IdP. The ALB itself
 * calls the IdP's token and user info endpoints over HTTPS (IPv4), so its group must allow
 * outbound 443 ("Troubleshoot authentication", ELB knowledge center: a missing rule gives HTTP
 * 500). The IdP's addresses are not fixed, so the destination is any IPv4 address; the group's
 * only other egress is the targets' port inside the VPC.
 */
function openHealthPaths(
    parent: pulumi.Resource,
    name: string,
    listener: aws.lb.Listener,
    targetGroup: aws.lb.TargetGroup,
    lbGroup: aws.ec2.SecurityGroup,
) {
    const opts = { parent };
    new aws.lb.ListenerRule(
        `${name}-open-health`,
        {
            listenerArn: listener.arn,
            priority: 10,
            conditions: [{ pathPattern: { values: [...ALB_OPEN_PATHS] } }],
            actions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        },
        opts,
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-lb-to-idp`,
        {
            securityGroupId: lbGroup.id,
            description: "HTTPS to the OIDC provider's token and user info endpoints",
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrIpv4: WORLD_V4,
        },
        opts,
    );
}

/**
 * The HTTPS listener's certificate: the configured ARN, or a new ACM certificate validated by
 * DNS in the given zone. ACM issues it once the CNAME it asks for resolves ("DNS validation",
 * ACM user guide); `CertificateValidation` waits for that, so the listener is created with an
 * issued certificate (a first `pulumi up` waits a few minutes here; the zone must be public and
 * delegated, or it waits until its timeout).
 */
function certificate(parent: pulumi.Resource, name: string, o: AlbOptions): pulumi.Input<string> {
    if (o.certificateArn !== undefined) return o.certificateArn;
    const cert = new aws.acm.Certificate(
        `${name}-cert`,
        { domainName: o.domainName!, validationMethod: "DNS" },
        { parent },
    );
    // One domain, so one validation record (its name and value are known once ACM answers).
    const option = cert.domainValidationOptions.apply((d) => d[0]!);
    const record = new aws.route53.Record(
        `${name}-cert-validation`,
        {
            zoneId: o.hostedZoneId!,
            name: option.resourceRecordName,
            type: option.resourceRecordType,
            records: [option.resourceRecordValue],
            ttl: 60,
            allowOverwrite: true,
        },
        { parent },
    );
    const validation = new aws.acm.CertificateValidation(
        `${name}-cert`,
        { certificateArn: cert.arn, validationRecordFqdns: [record.fqdn] },
        { parent },
    );
    return validation.certificateArn;
}

/** A private, encrypted bucket ELB may write access logs to; objects expire after the retention. */
function accessLogBucket(parent: pulumi.Resource, name: string, o: AlbOptions) {
    const opts = { parent };
    // ALB access logs support SSE-S3 only, not SSE-KMS ("Access logs for your Application Load
    // Balancer", Elastic Load Balancing user guide).
    const { bucket } = privateBucket(parent, `${name}-access-logs`, { forceDestroy: false });
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-access-logs`,
        {
            bucket: bucket.id,
            rules: [
                {
                    id: "expire",
                    status: "Enabled",
                    filter: {},
                    expiration: { days: o.accessLogRetentionDays ?? ALB_DEFAULTS.accessLogRetentionDays },
                },
            ],
        },
        opts,
    );
    // Regions opened before August 2022 deliver as the region's ELB account
    // (aws.elb.getServiceAccount); later regions as the log delivery service principal. Both are
    // granted PutObject under AWSLogs/ only; every request must use TLS.
    const elb = aws.elb.getServiceAccountOutput({}, { parent });
    const policy = new aws.s3.BucketPolicy(
        `${name}-access-logs`,
        {
            bucket: bucket.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ElbLogDelivery",
                        Effect: "Allow",
                        Principal: { AWS: elb.arn, Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
                        Action: "s3:PutObject",
                        Resource: pulumi.interpolate`${bucket.arn}/AWSLogs/*`,
                    },
                    {
                        Sid: "TlsOnly",
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
                        Condition: { Bool: { "aws:SecureTransport": "false" } },
                    },
                ],
            }),
        },
        opts,
    );
    return { bucket, policy };
}

/** AWS managed rule groups (common, known bad inputs, SQL injection) and a per-IP rate rule. */
function webAcl(parent: pulumi.Resource, name: string, loadBalancerArn: pulumi.Input<string>, rateLimit: number) {
    const visibility = (metric: string) => ({
        cloudwatchMetricsEnabled: true,
        metricName: `${name}-${metric}`,
        sampledRequestsEnabled: true,
    });
    const managed = [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    ];
    const acl = new aws.wafv2.WebAcl(
        `${name}-waf`,
        {
            scope: "REGIONAL",
            defaultAction: { allow: {} },
            visibilityConfig: visibility("waf"),
            rules: [
                ...managed.map((group, i) => ({
                    name: group,
                    priority: i + 1,
                    overrideAction: { none: {} },
                    statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
                    visibilityConfig: visibility(group),
                })),
                {
                    name: "RatePerIp",
                    priority: managed.length + 1,
                    action: { block: {} },
                    statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: "IP" } },
                    visibilityConfig: visibility("rate"),
                },
            ],
        },
        { parent },
    );
    new aws.wafv2.WebAclAssociation(`${name}-waf`, { resourceArn: loadBalancerArn, webAclArn: acl.arn }, { parent });
}
