/**
 * The `ecs` compute mode: the app's HTTP server (app/src/server.ts, built by app/Dockerfile) as
 * a Fargate service in the private subnets, behind the shared public entry (public ALB, or HTTP
 * API + VPC link + internal ALB), after the shared migrations.
 *
 * What a first `pulumi up` depends on, in order:
 * 1. the migrations (`aws.lambda.Invocation`) succeed: the service is created (or updated) only
 *    after them (`dependsOn`), so a failing migration fails the deploy with the service untouched;
 * 2. the image exists: either `image` (CI pushed it), or the program builds and pushes it with
 *    `awsx.ecr.Image` (Docker must run where `pulumi up` runs);
 * 3. the tasks can reach ECR, S3 (layers) and CloudWatch Logs: NAT, or the endpoints the config
 *    requires without NAT (lib/config.ts crossCheck) and an egress rule to the S3 prefix list;
 * 4. the listener exists before the service registers targets ("The target group ... does not
 *    have an associated load balancer" otherwise): the service waits for it;
 * 5. the service reaches a steady state (`waitForSteadyState`): tasks healthy on the liveness
 *    path. The deployment circuit breaker rolls a failing deployment back to the last good task
 *    definition. Known limit: the provider then reports the update as successful, because the
 *    rolled-back service is steady too (hashicorp/terraform-provider-aws#20858, open); the
 *    deploy's smoke test and the running-tasks alarm are what notice. See README, Troubleshooting.
 *
 * Every child is a plain `@pulumi/aws` resource, except the image build (see {@link buildImage}).
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import {
    capacityStrategy,
    containerEnvironment,
    ECS_DEFAULTS,
    ecrRepositoryOf,
    ecsAlarmSpecs,
    type EcsOptions,
    executionRolePolicy,
    planAlb,
    planEcs,
    taskRolePolicy,
} from "../../lib/ecs-plan";
import { assumeRolePolicy } from "../../lib/iam";
import { callerSource } from "../../lib/auth-plan";
import { LAMBDA_DEFAULTS, planHttpApi } from "../../lib/lambda-plan";
import { argsError, nested } from "../../lib/problems";
import type { DatabaseConnection } from "../contracts";
import { declareAlarms } from "../alarms";
import { entryClientGroup } from "./client-security-group";
import { databaseEnvInputs } from "./lambda-function";
import { createMigrations } from "./migrations";
import { createPublicEntry, type EntryServiceArgs, type PublicEntry } from "./public-entry";

/** The container's name in the task definition. */
export const CONTAINER_NAME = "app";

export interface EcsServiceArgs extends EcsOptions, EntryServiceArgs {
    /**
     * Where to build the image when `image` is unset: the Docker context, the Dockerfile and a
     * tag derived from what goes into the image (the repository's tags are immutable).
     */
    build?: { context: string; dockerfile: string; tag: string };
}

/**
 * A Fargate service running the app's HTTP server (`private-app:compute:EcsService`).
 */
export class EcsService extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    /** The image the tasks run (the `image` stack output; CI pins it in previews). */
    readonly image: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string>;
    readonly migrationFunctionName: pulumi.Output<string>;
    readonly cluster: aws.ecs.Cluster;
    readonly service: aws.ecs.Service;
    readonly taskDefinition: aws.ecs.TaskDefinition;
    readonly entry: PublicEntry;
    readonly alarms: aws.cloudwatch.MetricAlarm[];

    constructor(name: string, args: EcsServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = [
            ...planEcs(args),
            ...nested("alb", planAlb(args.alb ?? {}, {})),
            ...nested("api", planHttpApi(args.api ?? {})),
        ];
        if (args.image === undefined && args.build === undefined)
            problems.push({
                key: "image",
                given: undefined,
                allowed: "an image, or `build` to build one",
                fix: "pass image or build",
            });
        if (problems.length > 0) throw argsError("EcsService", name, problems);
        super("private-app:compute:EcsService", name, {}, opts);

        const d = ECS_DEFAULTS;
        const o = {
            cpu: args.cpu ?? d.cpu,
            memoryMb: args.memoryMb ?? d.memoryMb,
            architecture: args.architecture ?? d.architecture,
            minTasks: args.minTasks ?? d.minTasks,
            maxTasks: args.maxTasks ?? d.maxTasks,
            execCommand: args.execCommand ?? d.execCommand,
            port: d.containerPort,
        };
        const db = args.database;

        // 1. The migrations, which the service waits for.
        const migrations = createMigrations(this, name, {
            vpcId: args.vpcId,
            vpcCidr: args.vpcCidr,
            privateSubnetIds: args.privateSubnetIds,
            privateEgress: args.privateEgress,
            database: db,
            bundle: args.migrations.bundle,
            migrationsSha256: args.migrations.migrationsSha256,
            runtime: LAMBDA_DEFAULTS.runtime,
            architecture: LAMBDA_DEFAULTS.architecture,
            memoryMb: LAMBDA_DEFAULTS.memoryMb,
            timeoutSeconds: LAMBDA_DEFAULTS.migrationTimeoutSeconds,
            logRetentionDays: args.logRetentionDays ?? d.logRetentionDays,
            tracing: false,
        });
        // 2. The public entry and its target group.
        const entry = createPublicEntry(this, name, {
            ingress: args.ingress,
            vpcId: args.vpcId,
            vpcCidr: args.vpcCidr,
            publicSubnetIds: args.publicSubnetIds,
            privateSubnetIds: args.privateSubnetIds,
            targetPort: o.port,
            alb: args.alb ?? {},
            api: args.api ?? {},
        });
        // 3. The tasks' group: client path to the database, admitting only the load balancer.
        // Without NAT, image layers come from S3 through the gateway endpoint ("Amazon ECR
        // interface VPC endpoints (AWS PrivateLink)": Fargate needs it and the task's group
        // must allow it).
        const group = entryClientGroup(this, `${name}-task`, {
            vpcId: args.vpcId,
            vpcCidr: args.vpcCidr,
            privateEgress: args.privateEgress,
            database: args.database,
            description: "Fargate tasks of the app",
            loadBalancerSecurityGroupId: entry.loadBalancerSecurityGroupId,
            port: o.port,
            fromS3: "image layers",
        });
        // 4. Image, logs, roles, task definition, cluster, service.
        const image = this.resolveImage(name, args);
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-tasks`,
            { retentionInDays: args.logRetentionDays ?? d.logRetentionDays },
            { parent: this },
        );
        const roles = this.createRoles(name, db, logGroup, image.repositoryArn, o.execCommand);
        const region = aws.getRegionOutput({}, { parent: this }).region;
        const taskDefinition = this.createTaskDefinition(name, args, o, image.uri, logGroup, roles, region);
        const cluster = new aws.ecs.Cluster(
            name,
            { settings: [{ name: "containerInsights", value: "enabled" }] },
            { parent: this },
        );
        const providers = new aws.ecs.ClusterCapacityProviders(
            name,
            { clusterName: cluster.name, capacityProviders: ["FARGATE", "FARGATE_SPOT"] },
            { parent: this },
        );
        const service = new aws.ecs.Service(
            name,
            {
                cluster: cluster.arn,
                taskDefinition: taskDefinition.arn,
                desiredCount: o.minTasks,
                capacityProviderStrategies: capacityStrategy(args.fargateSpotPercent ?? d.fargateSpotPercent),
                platformVersion: "LATEST",
                networkConfiguration: {
                    subnets: args.privateSubnetIds,
                    securityGroups: [group.id],
                    assignPublicIp: false,
                },
                loadBalancers: [
                    { targetGroupArn: entry.targetGroup.arn, containerName: CONTAINER_NAME, containerPort: o.port },
                ],
                // A deploy never drops below the running count, and a deployment whose tasks
                // never become healthy is rolled back to the last good one (the provider still
                // reports success then: terraform-provider-aws#20858).
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                healthCheckGracePeriodSeconds: 30,
                enableExecuteCommand: o.execCommand,
                propagateTags: "SERVICE",
                waitForSteadyState: true,
            },
            {
                parent: this,
                // Autoscaling owns the running count after creation.
                ignoreChanges: ["desiredCount"],
                // The new tasks may need the new schema; the listener must exist before targets
                // register; the rules must let the first tasks pull, log and connect.
                dependsOn: [
                    migrations.invocation,
                    entry.listener,
                    providers,
                    roles.executionPolicy,
                    roles.taskPolicy,
                    ...group.rules,
                ],
            },
        );
        this.createScaling(name, args, o, cluster, service, entry);
        this.alarms = declareAlarms(
            this,
            name,
            ecsAlarmSpecs({
                clusterName: cluster.name,
                serviceName: service.name,
                loadBalancer: entry.loadBalancerArnSuffix,
                targetGroup: entry.targetGroupArnSuffix,
                minTasks: o.minTasks,
            }),
            { topicArn: args.alarmTopicArn },
        );

        this.url = entry.url;
        this.image = image.uri;
        this.securityGroupId = group.id;
        this.cluster = cluster;
        this.service = service;
        this.taskDefinition = taskDefinition;
        this.entry = entry;
        this.clusterName = cluster.name;
        this.serviceName = service.name;
        this.migrationFunctionName = migrations.function.name;
        this.registerOutputs({
            url: this.url,
            image: this.image,
            securityGroupId: this.securityGroupId,
            clusterName: this.clusterName,
            serviceName: this.serviceName,
            migrationFunctionName: this.migrationFunctionName,
        });
    }

    /**
     * The image: as given, or built here. `awsx.ecr.Image` is used only for the build and
     * push, because `@pulumi/aws` has no resource that builds an image (a `docker build` and
     * push is not an AWS API). It is a remote component: offline (mocks, policies) only the
     * `awsx:ecr:Image` resource itself is visible, never what it does; the repository it
     * pushes to is ours (plain `aws.ecr.Repository`, visible to policies). Committed stacks and
     * CI pass `image`, so their plans contain no build.
     */
    private resolveImage(
        name: string,
        args: EcsServiceArgs,
    ): { uri: pulumi.Output<string>; repositoryArn?: pulumi.Output<string> } {
        if (args.image !== undefined) {
            const ecr = ecrRepositoryOf(args.image);
            return {
                uri: pulumi.output(args.image),
                repositoryArn: ecr
                    ? pulumi.output(`arn:aws:ecr:${ecr.region}:${ecr.account}:repository/${ecr.repository}`)
                    : undefined,
            };
        }
        const repository = new aws.ecr.Repository(
            name,
            {
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "AES256" }],
            },
            { parent: this },
        );
        new aws.ecr.LifecyclePolicy(
            name,
            {
                repository: repository.name,
                policy: JSON.stringify({
                    rules: [
                        {
                            rulePriority: 1,
                            description: "Keep the last images",
                            selection: {
                                tagStatus: "any",
                                countType: "imageCountMoreThan",
                                countNumber: args.imageRetainCount ?? ECS_DEFAULTS.imageRetainCount,
                            },
                            action: { type: "expire" },
                        },
                    ],
                }),
            },
            { parent: this },
        );
        const b = args.build!;
        const image = new awsx.ecr.Image(
            name,
            {
                repositoryUrl: repository.repositoryUrl,
                context: b.context,
                dockerfile: b.dockerfile,
                imageTag: b.tag,
                platform: (args.architecture ?? ECS_DEFAULTS.architecture) === "arm64" ? "linux/arm64" : "linux/amd64",
            },
            { parent: this },
        );
        return { uri: image.imageUri, repositoryArn: repository.arn };
    }

    private createRoles(
        name: string,
        db: DatabaseConnection,
        logGroup: aws.cloudwatch.LogGroup,
        repositoryArn: pulumi.Output<string> | undefined,
        execCommand: boolean,
    ) {
        const trust = JSON.stringify(assumeRolePolicy("ecs-tasks.amazonaws.com", undefined, "EcsTasksAssumeRole"));
        const execution = new aws.iam.Role(
            `${name}-execution`,
            { description: "ECS execution role of the app's tasks (pull, logs)", assumeRolePolicy: trust },
            { parent: this },
        );
        const executionPolicy = new aws.iam.RolePolicy(
            `${name}-execution`,
            {
                role: execution.id,
                policy: pulumi
                    .all([logGroup.arn, repositoryArn ?? pulumi.output(undefined)])
                    .apply(([logGroupArn, repo]) =>
                        JSON.stringify(executionRolePolicy({ logGroupArn, repositoryArn: repo })),
                    ),
            },
            { parent: this },
        );
        const task = new aws.iam.Role(
            `${name}-task`,
            { description: "Task role of the app (what the app itself may do)", assumeRolePolicy: trust },
            { parent: this },
        );
        const taskPolicy = new aws.iam.RolePolicy(
            `${name}-task`,
            {
                role: task.id,
                policy: pulumi
                    .all([
                        db.iamAuth ? db.iamConnectArn(db.appUsername) : pulumi.output(""),
                        db.appUserSecretArn ?? pulumi.output(""),
                        pulumi.all(db.secretKmsKeyArns),
                    ])
                    .apply(([connectArn, secretArn, kms]) =>
                        JSON.stringify(
                            taskRolePolicy({
                                iamAuth: db.iamAuth,
                                connectArn,
                                appUserSecretArn: secretArn,
                                secretKmsKeyArns: kms,
                                execCommand,
                            }),
                        ),
                    ),
            },
            { parent: this },
        );
        return { execution, executionPolicy, task, taskPolicy };
    }

    private createTaskDefinition(
        name: string,
        args: EcsServiceArgs,
        o: { cpu: number; memoryMb: number; architecture: string; port: number; execCommand: boolean },
        image: pulumi.Output<string>,
        logGroup: aws.cloudwatch.LogGroup,
        roles: { execution: aws.iam.Role; task: aws.iam.Role },
        region: pulumi.Output<string>,
    ) {
        const db = args.database;
        const environment = containerEnvironment(databaseEnvInputs(db), {
            port: o.port,
            region,
            poolMax: args.dbPoolMax,
            callerSource: callerSource({
                ingress: args.ingress,
                apiAuth: args.api?.auth !== undefined,
                albOidc: args.alb?.oidc !== undefined,
            }),
        });
        return new aws.ecs.TaskDefinition(
            name,
            {
                // Families are per account and region, not per stack: name it after the stack, so
                // dev and prod in one account keep their own revisions.
                family: `${pulumi.getProject()}-${pulumi.getStack()}-${name}`,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(o.cpu),
                memory: String(o.memoryMb),
                runtimePlatform: {
                    operatingSystemFamily: "LINUX",
                    cpuArchitecture: o.architecture === "arm64" ? "ARM64" : "X86_64",
                },
                executionRoleArn: roles.execution.arn,
                taskRoleArn: roles.task.arn,
                containerDefinitions: pulumi.jsonStringify([
                    {
                        name: CONTAINER_NAME,
                        image,
                        essential: true,
                        portMappings: [{ containerPort: o.port, protocol: "tcp" }],
                        // Never a password: DB_IAM_AUTH=true, or DB_SECRET_ARN (an ARN the app
                        // reads with the task role at run time, so a changed secret is picked up
                        // without a redeploy).
                        environment,
                        // Read-only root, except with ECS Exec: its managed SSM agent writes into
                        // the container's file system and crashes on a read-only root
                        // (aws/containers-roadmap#1359; amazon-ecs-exec-checker checks for it).
                        readonlyRootFilesystem: !o.execCommand,
                        // The server drains within 20 s of SIGTERM (app/src/server.ts).
                        stopTimeout: 30,
                        // ECS Exec needs an init process to reap its sessions.
                        linuxParameters: { initProcessEnabled: o.execCommand },
                        logConfiguration: {
                            logDriver: "awslogs",
                            options: {
                                "awslogs-group": logGroup.name,
                                "awslogs-region": region,
                                "awslogs-stream-prefix": CONTAINER_NAME,
                            },
                        },
                    },
                ]),
            },
            { parent: this },
        );
    }

    /** Target tracking on CPU and on requests per target, between minTasks and maxTasks. */
    private createScaling(
        name: string,
        args: EcsServiceArgs,
        o: { minTasks: number; maxTasks: number },
        cluster: aws.ecs.Cluster,
        service: aws.ecs.Service,
        entry: PublicEntry,
    ) {
        const target = new aws.appautoscaling.Target(
            name,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
                minCapacity: o.minTasks,
                maxCapacity: o.maxTasks,
            },
            { parent: this },
        );
        const common = {
            policyType: "TargetTrackingScaling",
            resourceId: target.resourceId,
            scalableDimension: target.scalableDimension,
            serviceNamespace: target.serviceNamespace,
        };
        new aws.appautoscaling.Policy(
            `${name}-cpu`,
            {
                ...common,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                    targetValue: args.cpuTargetPercent ?? ECS_DEFAULTS.cpuTargetPercent,
                    scaleInCooldown: 300,
                    scaleOutCooldown: 60,
                },
            },
            { parent: this },
        );
        new aws.appautoscaling.Policy(
            `${name}-requests`,
            {
                ...common,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: {
                        predefinedMetricType: "ALBRequestCountPerTarget",
                        resourceLabel: pulumi.interpolate`${entry.loadBalancerArnSuffix}/${entry.targetGroupArnSuffix}`,
                    },
                    targetValue: args.requestsPerTarget ?? ECS_DEFAULTS.requestsPerTarget,
                    scaleInCooldown: 300,
                    scaleOutCooldown: 60,
                },
            },
            { parent: this },
        );
    }
}
