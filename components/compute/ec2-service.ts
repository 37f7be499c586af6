/**
 * The `ec2` compute mode: the app's HTTP server (app/src/server.ts, the esbuild bundle
 * `bundleServer()`) on an Auto Scaling group of Amazon Linux 2023 instances in the private
 * subnets, behind the public entry the `ecs` mode uses (public ALB, or HTTP API + VPC link +
 * internal ALB), after the shared migrations. No Docker: the bundle is an object in a private
 * bucket that each instance fetches at boot and runs with the distribution's Node.js under
 * systemd (lib/ec2-user-data.ts). A container image (`compute.ec2.image`) is not supported:
 * the bundle is one file with no native dependency, so the instance needs Node.js only, and a
 * container runtime would add a daemon, an ECR pull (endpoints without NAT) and a second
 * artifact to keep in step with the first.
 *
 * What a first `pulumi up` depends on, in order:
 * 1. the migrations (`aws.lambda.Invocation`) succeed: the group is created or updated only
 *    after them (`dependsOn`), so a failing migration fails the deploy with the group, and so
 *    the fleet, untouched. Not ordered after the migrations (they are independent of the
 *    schema, so created in parallel): the bucket and the artifact object, the log group, the
 *    role and the launch template. A new launch template version alone launches nothing: the
 *    group keeps its running version until it is updated itself.
 * 2. the AMI: `aws.ssm.getParameter` reads the public parameter
 *    `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<arch>` at deploy time,
 *    and the template gets the AMI id. Not `resolve:ssm:` in the template, which EC2 accepts
 *    ("Use AWS Systems Manager parameters instead of AMI IDs in launch templates", Amazon EC2
 *    Auto Scaling User Guide): instance refresh cannot roll back to a template that uses an SSM
 *    parameter ("Undo changes with a manual or auto rollback", same guide). Consequence: when
 *    AWS publishes a new AL2023 AMI, the next `pulumi up` shows a new template version and
 *    rolls the fleet onto it (a patch, with auto rollback), instead of instances of mixed AMIs
 *    appearing as the group scales.
 * 3. the instances reach S3 (the artifact and the AL2023 package repositories) through the S3
 *    gateway endpoint, and Systems Manager, CloudWatch Logs and Secrets Manager: NAT, or the
 *    endpoints lib/config.ts (crossCheck) requires without it;
 * 4. the listener exists before the group registers targets;
 * 5. the group reaches its capacity: the provider waits for `minSize` instances in service
 *    (`waitForCapacityTimeout`). On an update, a changed template starts an instance refresh
 *    (rolling, `minHealthyPercentage` of the desired capacity kept, auto rollback to the last
 *    template version when new instances fail their checks). The provider does not wait for
 *    a refresh to finish ("This resource does not wait for the instance refresh to complete",
 *    `aws.autoscaling.Group` docs): `pulumi up` returns when it started; the
 *    in-service-below-desired and unhealthy-hosts alarms, and the deploy's smoke test, notice a
 *    refresh that is rolled back. See README, Troubleshooting.
 *
 * Every child is a plain `@pulumi/aws` resource.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { callerSource } from "../../lib/auth-plan";
import { containerEnvironment, planAlb } from "../../lib/ecs-plan";
import {
    al2023AmiParameter,
    artifactKey,
    EC2_DEFAULTS,
    ec2AlarmSpecs,
    type Ec2Options,
    GROUP_METRICS,
    instanceRefreshPreferences,
    instanceRolePolicy,
    planEc2,
    resolveEc2Architecture,
    SSM_MANAGED_POLICY_ARN,
} from "../../lib/ec2-plan";
import { renderUserData } from "../../lib/ec2-user-data";
import { assumeRolePolicy } from "../../lib/iam";
import { LAMBDA_DEFAULTS, planHttpApi } from "../../lib/lambda-plan";
import { argsError, nested } from "../../lib/problems";
import type { DatabaseConnection } from "../contracts";
import { privateBucket } from "../private-bucket";
import { declareAlarms } from "../alarms";
import { entryClientGroup } from "./client-security-group";
import { databaseEnvInputs, type FunctionBundle } from "./lambda-function";
import { createMigrations } from "./migrations";
import { createPublicEntry, type EntryServiceArgs, type PublicEntry } from "./public-entry";

export interface Ec2ServiceArgs extends Ec2Options, EntryServiceArgs {
    /** The HTTP server bundle (`bundleServer()`): the artifact every instance runs. */
    server: FunctionBundle;
}

/**
 * An Auto Scaling group running the app's HTTP server (`private-app:compute:Ec2Service`).
 */
export class Ec2Service extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly groupName: pulumi.Output<string>;
    readonly migrationFunctionName: pulumi.Output<string>;
    /** The artifact's `s3://bucket/key`. */
    readonly artifact: pulumi.Output<string>;
    readonly group: aws.autoscaling.Group;
    readonly launchTemplate: aws.ec2.LaunchTemplate;
    readonly entry: PublicEntry;
    readonly alarms: aws.cloudwatch.MetricAlarm[];

    constructor(name: string, args: Ec2ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = [
            ...planEc2(args),
            ...nested("alb", planAlb(args.alb ?? {}, {})),
            ...nested("api", planHttpApi(args.api ?? {})),
        ];
        if (problems.length > 0) throw argsError("Ec2Service", name, problems);
        super("private-app:compute:Ec2Service", name, {}, opts);

        const d = EC2_DEFAULTS;
        const o = {
            instanceType: args.instanceType ?? d.instanceType,
            architecture: resolveEc2Architecture(args),
            minSize: args.minSize ?? d.minSize,
            maxSize: args.maxSize ?? d.maxSize,
            desiredCapacity: args.desiredCapacity ?? args.minSize ?? d.minSize,
            grace: args.healthCheckGracePeriodSeconds ?? d.healthCheckGracePeriodSeconds,
            logRetentionDays: args.logRetentionDays ?? d.logRetentionDays,
            port: d.port,
        };

        // 1. The migrations, which the group waits for.
        const migrations = createMigrations(this, name, {
            vpcId: args.vpcId,
            vpcCidr: args.vpcCidr,
            privateSubnetIds: args.privateSubnetIds,
            privateEgress: args.privateEgress,
            database: args.database,
            bundle: args.migrations.bundle,
            migrationsSha256: args.migrations.migrationsSha256,
            runtime: LAMBDA_DEFAULTS.runtime,
            architecture: LAMBDA_DEFAULTS.architecture,
            memoryMb: LAMBDA_DEFAULTS.memoryMb,
            timeoutSeconds: LAMBDA_DEFAULTS.migrationTimeoutSeconds,
            logRetentionDays: o.logRetentionDays,
            tracing: false,
        });
        // 2. The public entry; its target group registers instances.
        const entry = createPublicEntry(this, name, {
            ingress: args.ingress,
            vpcId: args.vpcId,
            vpcCidr: args.vpcCidr,
            publicSubnetIds: args.publicSubnetIds,
            privateSubnetIds: args.privateSubnetIds,
            targetPort: o.port,
            targetType: "instance",
            alb: args.alb ?? {},
            api: args.api ?? {},
        });
        // 3. The instances' group: client path to the database, admitting only the load balancer.
        const group = entryClientGroup(this, `${name}-instance`, {
            vpcId: args.vpcId,
            vpcCidr: args.vpcCidr,
            privateEgress: args.privateEgress,
            database: args.database,
            description: "EC2 instances of the app",
            loadBalancerSecurityGroupId: entry.loadBalancerSecurityGroupId,
            port: o.port,
            // The AL2023 package repositories are S3 buckets too.
            fromS3: "artifact, packages",
        });
        // 4. The artifact, the log group, the instance role.
        const artifact = this.createArtifact(name, args.server);
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-app`,
            { retentionInDays: o.logRetentionDays },
            { parent: this },
        );
        const role = this.createInstanceRole(name, args.database, artifact.objectArn, logGroup.arn);
        // 5. The launch template and the group.
        const region = aws.getRegionOutput({}, { parent: this }).region;
        const launchTemplate = this.createLaunchTemplate(name, args, o, {
            securityGroupId: group.id,
            instanceProfileArn: role.profile.arn,
            bucket: artifact.bucket.bucket,
            key: artifact.key,
            sha256: args.server.sha256,
            region,
            logGroupName: logGroup.name,
        });
        const asg = new aws.autoscaling.Group(
            name,
            {
                vpcZoneIdentifiers: args.privateSubnetIds,
                minSize: o.minSize,
                maxSize: o.maxSize,
                desiredCapacity: o.desiredCapacity,
                // The load balancer's liveness check decides health, after the boot budget.
                healthCheckType: "ELB",
                healthCheckGracePeriod: o.grace,
                defaultInstanceWarmup: o.grace,
                targetGroupArns: [entry.targetGroup.arn],
                // A numbered version (not $Latest): a new one starts an instance refresh, and
                // auto rollback needs one to return to.
                launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
                instanceRefresh: {
                    strategy: "Rolling",
                    preferences: instanceRefreshPreferences({
                        minHealthyPercentage: args.minHealthyPercentage ?? d.minHealthyPercentage,
                        warmupSeconds: o.grace,
                    }),
                },
                enabledMetrics: [...GROUP_METRICS],
                metricsGranularity: "1Minute",
                // Launch plus the grace period, with margin.
                waitForCapacityTimeout: `${Math.ceil((o.grace + 300) / 60)}m`,
                tags: [{ key: "Name", value: name, propagateAtLaunch: true }],
            },
            {
                parent: this,
                // Autoscaling owns the running count after creation.
                ignoreChanges: ["desiredCapacity"],
                // The new instances may need the new schema; the listener must exist before
                // targets register; the role and rules must let the first instances boot.
                dependsOn: [
                    migrations.invocation,
                    entry.listener,
                    role.policy,
                    role.ssm,
                    artifact.object,
                    ...group.rules,
                ],
            },
        );
        this.createScaling(name, args, asg, entry);
        this.alarms = this.createAlarms(name, args.alarmTopicArn, asg, entry);

        this.url = entry.url;
        this.securityGroupId = group.id;
        this.groupName = asg.name;
        this.migrationFunctionName = migrations.function.name;
        this.artifact = pulumi.interpolate`s3://${artifact.bucket.bucket}/${artifact.key}`;
        this.group = asg;
        this.launchTemplate = launchTemplate;
        this.entry = entry;
        this.registerOutputs({
            url: this.url,
            securityGroupId: this.securityGroupId,
            groupName: this.groupName,
            migrationFunctionName: this.migrationFunctionName,
            artifact: this.artifact,
        });
    }

    /**
     * `<name>-artifacts`: a private bucket (public access blocked, objects owned by the bucket
     * owner, SSE-S3 by default, versioned, TLS-only policy) and the server bundle as the object
     * `server/<sha256>.js`. SSE-S3 rather than SSE-KMS: instances read it through the S3
     * gateway endpoint with no KMS endpoint or key grant needed.
     */
    private createArtifact(name: string, server: FunctionBundle) {
        const opts = { parent: this };
        const id = `${name}-artifacts`;
        // forceDestroy: it holds build output only, rebuilt from the repository by any `pulumi
        // up`; a `pulumi destroy` must not stop on its objects and versions.
        const { bucket, publicAccessBlock: block, encryption: sse } = privateBucket(this, id, { forceDestroy: true });
        const versioning = new aws.s3.BucketVersioning(
            id,
            { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
            opts,
        );
        // Every bundle is its own key, so a deploy never overwrites one; objects are kept (under
        // 1 MB each), since an instance launched later (scale-out, replacement) fetches the one
        // its template names however old. Only noncurrent versions (a re-upload of the same key)
        // expire.
        new aws.s3.BucketLifecycleConfiguration(
            id,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "expire-noncurrent",
                        status: "Enabled",
                        filter: {},
                        noncurrentVersionExpiration: { noncurrentDays: 30 },
                    },
                ],
            },
            { parent: this, dependsOn: [versioning] },
        );
        const policy = new aws.s3.BucketPolicy(
            id,
            {
                bucket: bucket.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
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
            { parent: this, dependsOn: [block] },
        );
        const key = artifactKey(server.sha256);
        const object = new aws.s3.BucketObjectv2(
            `${name}-server`,
            {
                bucket: bucket.bucket,
                key,
                source: new pulumi.asset.StringAsset(server.code),
                contentType: "application/javascript",
                serverSideEncryption: "AES256",
            },
            { parent: this, dependsOn: [sse, versioning, policy] },
        );
        return { bucket, key, object, objectArn: pulumi.interpolate`${bucket.arn}/${key}` };
    }

    /** `<name>-instance` role and profile: SSM core, the artifact, the log group, the database. */
    private createInstanceRole(
        name: string,
        db: DatabaseConnection,
        artifactObjectArn: pulumi.Output<string>,
        logGroupArn: pulumi.Output<string>,
    ) {
        const role = new aws.iam.Role(
            `${name}-instance`,
            {
                description: "Instance role of the app's EC2 instances",
                assumeRolePolicy: JSON.stringify(assumeRolePolicy("ec2.amazonaws.com", undefined, "Ec2AssumeRole")),
            },
            { parent: this },
        );
        const ssm = new aws.iam.RolePolicyAttachment(
            `${name}-instance-ssm`,
            { role: role.name, policyArn: SSM_MANAGED_POLICY_ARN },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-instance`,
            {
                role: role.id,
                policy: pulumi
                    .all([
                        artifactObjectArn,
                        logGroupArn,
                        db.iamAuth ? db.iamConnectArn(db.appUsername) : pulumi.output(""),
                        db.appUserSecretArn ?? pulumi.output(""),
                        pulumi.all(db.secretKmsKeyArns),
                    ])
                    .apply(([objectArn, logArn, connectArn, secretArn, kms]) =>
                        JSON.stringify(
                            instanceRolePolicy({
                                artifactObjectArn: objectArn,
                                logGroupArn: logArn,
                                iamAuth: db.iamAuth,
                                connectArn,
                                appUserSecretArn: secretArn,
                                secretKmsKeyArns: kms,
                            }),
                        ),
                    ),
            },
            { parent: this },
        );
        const profile = new aws.iam.InstanceProfile(`${name}-instance`, { role: role.name }, { parent: this });
        return { role, ssm, policy, profile };
    }

    private createLaunchTemplate(
        name: string,
        args: Ec2ServiceArgs,
        o: { instanceType: string; architecture: string; port: number },
        i: {
            securityGroupId: pulumi.Output<string>;
            instanceProfileArn: pulumi.Output<string>;
            bucket: pulumi.Output<string>;
            key: string;
            sha256: string;
            region: pulumi.Output<string>;
            logGroupName: pulumi.Output<string>;
        },
    ) {
        const ami = aws.ssm.getParameterOutput(
            { name: al2023AmiParameter(o.architecture as "arm64" | "x86_64") },
            { parent: this },
        );
        const environment = containerEnvironment(databaseEnvInputs(args.database), {
            port: o.port,
            region: i.region,
            poolMax: args.dbPoolMax,
            // Sign-in at the public entry: which identity headers the server may trust.
            callerSource: callerSource({
                ingress: args.ingress,
                apiAuth: args.api?.auth !== undefined,
                albOidc: args.alb?.oidc !== undefined,
            }),
        });
        const userData = pulumi
            .all([i.bucket, i.region, i.logGroupName, pulumi.all(environment.map((e) => pulumi.output(e.value)))])
            .apply(([bucket, region, logGroupName, values]) =>
                renderUserData({
                    bucket,
                    key: i.key,
                    sha256: i.sha256,
                    region,
                    logGroupName,
                    environment: Object.fromEntries(environment.map((e, n) => [e.name, values[n]!])),
                }),
            );
        return new aws.ec2.LaunchTemplate(
            name,
            {
                description: "The app's instances: AL2023, private, IMDSv2, encrypted root, no key pair",
                imageId: ami.value,
                instanceType: o.instanceType,
                iamInstanceProfile: { arn: i.instanceProfileArn },
                // No key pair: a shell is through Session Manager only.
                networkInterfaces: [
                    {
                        deviceIndex: 0,
                        associatePublicIpAddress: "false",
                        deleteOnTermination: "true",
                        securityGroups: [i.securityGroupId],
                    },
                ],
                metadataOptions: {
                    httpEndpoint: "enabled",
                    httpTokens: "required",
                    httpPutResponseHopLimit: 1,
                    instanceMetadataTags: "disabled",
                },
                blockDeviceMappings: [
                    {
                        // AL2023's root device.
                        deviceName: "/dev/xvda",
                        ebs: {
                            volumeSize: args.rootVolumeGiB ?? EC2_DEFAULTS.rootVolumeGiB,
                            volumeType: "gp3",
                            encrypted: "true",
                            deleteOnTermination: "true",
                        },
                    },
                ],
                userData: userData.apply((script) => Buffer.from(script, "utf8").toString("base64")),
                updateDefaultVersion: true,
                tagSpecifications: [
                    { resourceType: "instance", tags: { Name: name } },
                    { resourceType: "volume", tags: { Name: name } },
                ],
            },
            { parent: this },
        );
    }

    /** Target tracking on the group's average CPU and on requests per instance. */
    private createScaling(name: string, args: Ec2ServiceArgs, asg: aws.autoscaling.Group, entry: PublicEntry) {
        new aws.autoscaling.Policy(
            `${name}-cpu`,
            {
                autoscalingGroupName: asg.name,
                policyType: "TargetTrackingScaling",
                targetTrackingConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
                    targetValue: args.cpuTargetPercent ?? EC2_DEFAULTS.cpuTargetPercent,
                },
            },
            { parent: this },
        );
        new aws.autoscaling.Policy(
            `${name}-requests`,
            {
                autoscalingGroupName: asg.name,
                policyType: "TargetTrackingScaling",
                targetTrackingConfiguration: {
                    predefinedMetricSpecification: {
                        predefinedMetricType: "ALBRequestCountPerTarget",
                        resourceLabel: pulumi.interpolate`${entry.loadBalancerArnSuffix}/${entry.targetGroupArnSuffix}`,
                    },
                    targetValue: args.requestsPerTarget ?? EC2_DEFAULTS.requestsPerTarget,
                },
            },
            { parent: this },
        );
    }

    private createAlarms(
        name: string,
        topicArn: pulumi.Input<string>,
        asg: aws.autoscaling.Group,
        entry: PublicEntry,
    ): aws.cloudwatch.MetricAlarm[] {
        return declareAlarms(
            this,
            name,
            ec2AlarmSpecs({
                groupName: asg.name,
                loadBalancer: entry.loadBalancerArnSuffix,
                targetGroup: entry.targetGroupArnSuffix,
            }),
            { topicArn },
        );
    }
}
