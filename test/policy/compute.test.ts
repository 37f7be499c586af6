/**
 * Compute policies: a passing fixture per policy, then one change per failing case.
 */
import * as assert from "assert";
import {
    ec2Imdsv2Required,
    ec2NoPublicIp,
    ecsServiceNoPublicIp,
    lambdaInVpc,
    noPlaintextSecretsInEnv,
} from "../../policy-pack/policies/compute";
import {
    compileMatchers,
    containerEnv,
    hasCredentialsInUrl,
    isArn,
    lambdaEnv,
    secretReason,
} from "../../policy-pack/lib/secrets";
import { T } from "../../policy-pack/lib/types";
import {
    assertNotApplicable,
    assertOneViolation,
    assertPasses,
    runRemediation,
    runResourcePolicy,
    withChange,
} from "./util";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1a2b3c";

const goodLambda = {
    runtime: "nodejs20.x",
    handler: "index.handler",
    role: "arn:aws:iam::123456789012:role/app",
    vpcConfig: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-app"] },
    environment: {
        variables: {
            NODE_ENV: "production",
            DB_HOST: "db.cluster-abc.eu-west-1.rds.amazonaws.com",
            DB_SECRET_ARN: SECRET_ARN,
            DB_PASSWORD_SECRET: SECRET_ARN,
            DB_USER_NAME: "app",
            EMPTY_TOKEN: "",
        },
    },
};

const containers = [
    {
        name: "app",
        image: "app:latest",
        environment: [
            { name: "PORT", value: "8080" },
            { name: "DB_SECRET_ARN", value: SECRET_ARN },
        ],
        secrets: [{ name: "DB_PASSWORD", valueFrom: SECRET_ARN }],
    },
];
const goodTaskDefinition = { family: "app", containerDefinitions: JSON.stringify(containers) };

const goodService = {
    cluster: "c",
    taskDefinition: "td",
    networkConfiguration: { subnets: ["subnet-a"], securityGroups: ["sg-app"], assignPublicIp: false },
};
const goodInstance = {
    ami: "ami-1",
    instanceType: "t4g.small",
    subnetId: "subnet-a",
    metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
};
const goodLaunchTemplate = {
    imageId: "ami-1",
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    networkInterfaces: [{ associatePublicIpAddress: "false", securityGroups: ["sg-app"] }],
};

describe("compute policies", () => {
    describe("no-plaintext-secrets-in-env", () => {
        const p = noPlaintextSecretsInEnv;
        it("is mandatory", () => assert.strictEqual(p.enforcementLevel, "mandatory"));
        it("passes ARNs, reference names, empty values and ordinary variables", async () => {
            assertPasses(await runResourcePolicy(p, T.lambdaFunction, goodLambda));
            assertPasses(await runResourcePolicy(p, T.ecsTaskDefinition, goodTaskDefinition));
        });
        const secretNames = [
            "DB_PASSWORD",
            "PASSWORD",
            "db_passwd",
            "API_KEY",
            "STRIPE_APIKEY",
            "GITHUB_TOKEN",
            "JWT_SECRET",
            "PRIVATE_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "PGPASSWORD",
            "CLIENT_CREDENTIALS",
            "DB_PWD",
            "SIGNING_KEY",
        ];
        for (const name of secretNames) {
            it(`flags a literal ${name} in a Lambda function, without echoing the value`, async () => {
                const props = withChange(goodLambda, `environment.variables.${name}`, "hunter2-value");
                const m = assertOneViolation(
                    await runResourcePolicy(p, T.lambdaFunction, props),
                    `Lambda Function must not hold secrets in plain-text environment variables: environment.variables.${name} ("${name}") has a literal value`,
                );
                assert.ok(!m.includes("hunter2"), "the value must not be echoed");
            });
        }
        it("flags a Pulumi secret as the offline plan shows it (the Lambda still stores it in plain text)", async () => {
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.lambdaFunction,
                    withChange(goodLambda, "environment.variables.DB_PASSWORD", "[secret]"),
                ),
                "DB_PASSWORD",
            );
        });
        it("flags a URL with a password whatever the variable's name", async () => {
            const props = withChange(
                goodLambda,
                "environment.variables.DATABASE_URL",
                "postgres://app:s3cret@db:5432/app",
            );
            assertOneViolation(
                await runResourcePolicy(p, T.lambdaFunction, props),
                "environment.variables.DATABASE_URL is a URL with a password in it",
            );
        });
        it("flags a literal secret in an ECS container definition", async () => {
            const bad = [
                {
                    ...containers[0],
                    environment: [...containers[0].environment, { name: "DB_PASSWORD", value: "plain" }],
                },
            ];
            assertOneViolation(
                await runResourcePolicy(p, T.ecsTaskDefinition, {
                    ...goodTaskDefinition,
                    containerDefinitions: JSON.stringify(bad),
                }),
                "ECS Task Definition must not hold secrets",
                'containerDefinitions[0] ("app").environment[2] ("DB_PASSWORD")',
            );
        });
        it("skips unknown values, unknown definitions and unparseable JSON", async () => {
            assertPasses(
                await runResourcePolicy(
                    p,
                    T.lambdaFunction,
                    withChange(goodLambda, "environment.variables.DB_PASSWORD", null),
                ),
            );
            assertPasses(await runResourcePolicy(p, T.lambdaFunction, withChange(goodLambda, "environment", null)));
            assertPasses(await runResourcePolicy(p, T.ecsTaskDefinition, { containerDefinitions: null }));
            assertPasses(await runResourcePolicy(p, T.ecsTaskDefinition, { containerDefinitions: "[{not json" }));
            assertPasses(
                await runResourcePolicy(p, T.ecsTaskDefinition, {
                    containerDefinitions: JSON.stringify([{ environment: [{ name: "TOKEN" }] }]),
                }),
            );
        });
        it("takes its name patterns from config", async () => {
            const props = withChange(goodLambda, "environment.variables.SESSION_SALT", "abc");
            assertPasses(await runResourcePolicy(p, T.lambdaFunction, props));
            assertOneViolation(
                await runResourcePolicy(p, T.lambdaFunction, props, { config: { namePatterns: ["salt"] } }),
                "SESSION_SALT",
            );
            const ttl = withChange(goodLambda, "environment.variables.TOKEN_TTL", "3600");
            assertOneViolation(await runResourcePolicy(p, T.lambdaFunction, ttl), "TOKEN_TTL");
            assertPasses(
                await runResourcePolicy(p, T.lambdaFunction, ttl, {
                    config: { referenceNamePatterns: ["(^|_)(arn|id|name|path|param|parameter|ref|ttl)$"] },
                }),
            );
        });
        it("reports an invalid regular expression in config on the resource, instead of crashing", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.lambdaFunction, goodLambda, { config: { namePatterns: ["(unclosed"] } }),
                'namePatterns[0] "(unclosed" is not a valid regular expression',
            );
        });
        it("predicates", () => {
            assert.ok(isArn(SECRET_ARN));
            assert.ok(isArn("arn:aws-us-gov:ssm:us-gov-west-1:1:parameter/x"));
            assert.ok(!isArn("arnold"));
            assert.ok(hasCredentialsInUrl("mysql://u:p@h/db"));
            assert.ok(!hasCredentialsInUrl("https://example.com/a:b@c"));
            assert.ok(!hasCredentialsInUrl("postgres://user@host/db"));
            const m = compileMatchers(["secret"], ["_arn$"]);
            assert.strictEqual(secretReason({ location: "x", name: "SECRET_ARN", value: "not-an-arn" }, m), undefined);
            assert.strictEqual(secretReason({ location: "x", name: "MY_SECRET", value: "v" }, m), "secret-name");
            assert.deepStrictEqual(lambdaEnv({}), []);
            assert.deepStrictEqual(
                containerEnv({ containerDefinitions: [{ environment: [{ name: "A", value: "b" }] }] }).map(
                    (e) => e.name,
                ),
                ["A"],
            );
        });
    });

    describe("lambda-in-vpc", () => {
        const p = lambdaInVpc;
        it("is advisory", () => assert.strictEqual(p.enforcementLevel, "advisory"));
        it("passes a function with subnets", async () =>
            assertPasses(await runResourcePolicy(p, T.lambdaFunction, goodLambda)));
        it("flags a function without vpcConfig", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.lambdaFunction, withChange(goodLambda, "vpcConfig", undefined)),
                "Lambda Function must run in a VPC: vpcConfig.subnetIds is not set.",
            );
        });
        it("flags empty subnetIds", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.lambdaFunction, withChange(goodLambda, "vpcConfig.subnetIds", [])),
                "is empty",
            );
        });
        it("passes unknown vpcConfig or subnets", async () => {
            assertPasses(await runResourcePolicy(p, T.lambdaFunction, withChange(goodLambda, "vpcConfig", null)));
            assertPasses(
                await runResourcePolicy(p, T.lambdaFunction, withChange(goodLambda, "vpcConfig.subnetIds", null)),
            );
            assertPasses(
                await runResourcePolicy(p, T.lambdaFunction, withChange(goodLambda, "vpcConfig.subnetIds", [null])),
            );
        });
    });

    describe("ecs-service-no-public-ip", () => {
        const p = ecsServiceNoPublicIp;
        it("passes a private service, and one without the flag", async () => {
            assertPasses(await runResourcePolicy(p, T.ecsService, goodService));
            assertPasses(
                await runResourcePolicy(
                    p,
                    T.ecsService,
                    withChange(goodService, "networkConfiguration.assignPublicIp", undefined),
                ),
            );
            assertPasses(
                await runResourcePolicy(
                    p,
                    T.ecsService,
                    withChange(goodService, "networkConfiguration.assignPublicIp", null),
                ),
            );
        });
        it("flags assignPublicIp: true", async () => {
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.ecsService,
                    withChange(goodService, "networkConfiguration.assignPublicIp", true),
                ),
                "ECS Service must not assign public IPs to its tasks (networkConfiguration.assignPublicIp: true).",
            );
        });
    });

    describe("ec2-no-public-ip", () => {
        const p = ec2NoPublicIp;
        it("passes private instances and launch templates", async () => {
            assertPasses(await runResourcePolicy(p, T.ec2Instance, goodInstance));
            assertPasses(await runResourcePolicy(p, T.launchTemplate, goodLaunchTemplate));
            assertPasses(await runResourcePolicy(p, T.launchTemplate, { imageId: "ami-1" }));
        });
        it("flags an instance that associates a public IP", async () => {
            assertOneViolation(
                await runResourcePolicy(p, T.ec2Instance, { ...goodInstance, associatePublicIpAddress: true }),
                "EC2 Instance must not associate a public IP address (associatePublicIpAddress: true).",
            );
        });
        it("flags a launch template interface that associates a public IP (string or boolean)", async () => {
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.launchTemplate,
                    withChange(goodLaunchTemplate, "networkInterfaces.0.associatePublicIpAddress", "true"),
                ),
                'Launch Template must not associate public IP addresses (networkInterfaces[0].associatePublicIpAddress: "true").',
            );
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.launchTemplate,
                    withChange(goodLaunchTemplate, "networkInterfaces.0.associatePublicIpAddress", true),
                ),
                "networkInterfaces[0]",
            );
        });
        it("passes unknown values", async () => {
            assertPasses(
                await runResourcePolicy(
                    p,
                    T.launchTemplate,
                    withChange(goodLaunchTemplate, "networkInterfaces.0.associatePublicIpAddress", null),
                ),
            );
            assertPasses(
                await runResourcePolicy(p, T.launchTemplate, withChange(goodLaunchTemplate, "networkInterfaces", null)),
            );
        });
    });

    describe("ec2-imdsv2-required", () => {
        const p = ec2Imdsv2Required;
        it("defaults to remediate", () => assert.strictEqual(p.enforcementLevel, "remediate"));
        it("passes httpTokens required, and a disabled metadata endpoint", async () => {
            assertPasses(await runResourcePolicy(p, T.ec2Instance, goodInstance));
            assertPasses(await runResourcePolicy(p, T.launchTemplate, goodLaunchTemplate));
            assertPasses(
                await runResourcePolicy(p, T.ec2Instance, {
                    ...goodInstance,
                    metadataOptions: { httpEndpoint: "disabled" },
                }),
            );
        });
        it("flags httpTokens optional or unset", async () => {
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.ec2Instance,
                    withChange(goodInstance, "metadataOptions.httpTokens", "optional"),
                ),
                'EC2 Instance must require IMDSv2 (metadataOptions.httpTokens must be "required"; it is "optional").',
            );
            assertOneViolation(
                await runResourcePolicy(
                    p,
                    T.launchTemplate,
                    withChange(goodLaunchTemplate, "metadataOptions", undefined),
                ),
                "Launch Template must require IMDSv2",
                "it is not set",
            );
        });
        it("passes unknown metadata options", async () => {
            assertPasses(await runResourcePolicy(p, T.ec2Instance, withChange(goodInstance, "metadataOptions", null)));
            assertPasses(
                await runResourcePolicy(p, T.ec2Instance, withChange(goodInstance, "metadataOptions.httpTokens", null)),
            );
        });
        it("remediates by setting httpTokens to required, keeping everything else", async () => {
            const bad = {
                ...goodLaunchTemplate,
                metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 2 },
            };
            const fixed = await runRemediation(p, T.launchTemplate, bad);
            assert.deepStrictEqual(fixed, {
                ...bad,
                metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
            });
            assertPasses(await runResourcePolicy(p, T.launchTemplate, fixed!));
            const fromNothing = await runRemediation(p, T.ec2Instance, { ami: "ami-1" });
            assert.deepStrictEqual(fromNothing, { ami: "ami-1", metadataOptions: { httpTokens: "required" } });
        });
        it("leaves compliant and unknown resources alone", async () => {
            assert.strictEqual(await runRemediation(p, T.ec2Instance, goodInstance), undefined);
            assert.strictEqual(
                await runRemediation(p, T.ec2Instance, withChange(goodInstance, "metadataOptions", null)),
                undefined,
            );
        });
        it("is not applicable to other types", async () => {
            assertNotApplicable(await runResourcePolicy(p, T.lambdaFunction, goodLambda));
        });
    });
});
