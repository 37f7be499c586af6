/**
 * EcsService under mocks: what the service waits for (migrations first), the image given or
 * built, the roles, and the arguments refused before anything is declared.
 */
import * as assert from "assert";
import { EcsService, type EcsServiceArgs } from "../../components/compute/ecs-service";
import type { RecordedResource } from "../../tools/mocks";
import { ofType, one, settle, useMocks, valueOf } from "../support/harness";
import {
    ALARM_TOPIC,
    bundle,
    fakeDatabase,
    MIGRATE_CODE,
    MIGRATIONS_SHA,
    PRIVATE_SUBNETS,
    recordDependencies,
    VPC_CIDR,
    VPC_ID,
} from "../lambda/fixtures";

const PUBLIC_SUBNETS = ["subnet-0eeeeeeeeeeeeeee5", "subnet-0fffffffffffffff6"];
const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/private-app:abc1234";
const T = {
    service: "aws:ecs/service:Service",
    invocation: "aws:lambda/invocation:Invocation",
    listener: "aws:lb/listener:Listener",
    repo: "aws:ecr/repository:Repository",
    image: "awsx:ecr:Image",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};

function args(overrides: Partial<EcsServiceArgs> = {}, db = fakeDatabase()): EcsServiceArgs {
    return {
        ingress: "apiGateway",
        vpcId: VPC_ID,
        vpcCidr: VPC_CIDR,
        publicSubnetIds: PUBLIC_SUBNETS,
        privateSubnetIds: PRIVATE_SUBNETS,
        privateEgress: true,
        database: db,
        alarmTopicArn: ALARM_TOPIC,
        migrations: { bundle: bundle(MIGRATE_CODE), migrationsSha256: MIGRATIONS_SHA },
        image: IMAGE,
        ...overrides,
    };
}

async function deploy(a: EcsServiceArgs) {
    const mocks = await useMocks();
    const dependencies = recordDependencies();
    const service = new EcsService("app", a);
    const resources = await settle(mocks);
    return { service, resources, dependencies };
}

const urnOf = (resources: RecordedResource[], type: string, name: string) => one(resources, type, name).urn;

describe("EcsService", function () {
    this.timeout(60_000);

    it("is updated only after the migrations succeeded and the listener exists", async () => {
        const { resources, dependencies } = await deploy(args());
        const deps = dependencies.get(`${T.service}::app`) ?? assert.fail("no service");
        assert.ok(deps.includes(urnOf(resources, T.invocation, "app-migrate")), "waits for the migrations");
        assert.ok(deps.includes(urnOf(resources, T.listener, "app-http")), "waits for the listener");
        const svc = one(resources, T.service, "app").inputs as Record<string, any>;
        assert.deepStrictEqual(svc.deploymentCircuitBreaker, { enable: true, rollback: true });
        assert.strictEqual(svc.deploymentMinimumHealthyPercent, 100);
        assert.strictEqual(svc.deploymentMaximumPercent, 200);
        assert.strictEqual(svc.waitForSteadyState, true);
    });

    it("runs the given image and builds none", async () => {
        const { service, resources } = await deploy(args());
        assert.strictEqual(await valueOf(service.image), IMAGE);
        assert.strictEqual(ofType(resources, T.image).length, 0);
        assert.strictEqual(ofType(resources, T.repo).length, 0);
        const exec = JSON.parse(String(one(resources, T.rolePolicy, "app-execution").inputs.policy));
        const pull = exec.Statement.find((s: { Sid: string }) => s.Sid === "PullImage");
        assert.deepStrictEqual(pull.Resource, ["arn:aws:ecr:eu-west-1:123456789012:repository/private-app"]);
    });

    it("without an image, builds app/Dockerfile into its own repository (immutable tags, scan on push, kept images)", async () => {
        const { service, resources } = await deploy(
            args({
                image: undefined,
                imageRetainCount: 7,
                build: { context: "/src", dockerfile: "/src/app/Dockerfile", tag: "t1" },
            }),
        );
        const repo = one(resources, T.repo, "app").inputs as Record<string, any>;
        assert.strictEqual(repo.imageTagMutability, "IMMUTABLE");
        assert.deepStrictEqual(repo.imageScanningConfiguration, { scanOnPush: true });
        const lifecycle = JSON.parse(
            String(one(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "app").inputs.policy),
        );
        assert.strictEqual(lifecycle.rules[0].selection.countNumber, 7);
        const image = one(resources, T.image, "app").inputs as Record<string, any>;
        assert.strictEqual(image.imageTag, "t1");
        assert.strictEqual(image.platform, "linux/arm64");
        assert.match(await valueOf(service.image), /\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/.*@sha256:[0-9a-f]{64}$/);
    });

    it("password auth: the task role reads the app user's secret only; the container gets its ARN", async () => {
        const db = fakeDatabase({ iamAuth: false });
        const { resources } = await deploy(args({}, db));
        const task = JSON.parse(String(one(resources, T.rolePolicy, "app-task").inputs.policy));
        assert.deepStrictEqual(
            task.Statement.map((s: { Action: string[] }) => s.Action),
            [["secretsmanager:GetSecretValue"]],
        );
        const [container] = JSON.parse(
            String(one(resources, "aws:ecs/taskDefinition:TaskDefinition", "app").inputs.containerDefinitions),
        );
        const env = Object.fromEntries(
            container.environment.map((e: { name: string; value: string }) => [e.name, e.value]),
        );
        assert.match(env.DB_SECRET_ARN, /^arn:aws:secretsmanager:/);
        assert.strictEqual(env.DB_IAM_AUTH, undefined);
        assert.strictEqual(container.secrets, undefined, "no value injected: the app reads the secret by ARN");
    });

    it("alb with a certificate of your own for your domain: serves that name, creates no certificate or record", async () => {
        const certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
        const { service, resources } = await deploy(
            args({ ingress: "alb", alb: { certificateArn, domainName: "api.example.com" } }),
        );
        assert.strictEqual(await valueOf(service.url), "https://api.example.com");
        assert.strictEqual(ofType(resources, "aws:acm/certificate:Certificate").length, 0);
        assert.strictEqual(ofType(resources, "aws:route53/record:Record").length, 0);
        assert.strictEqual(one(resources, T.listener, "app-https").inputs.certificateArn, certificateArn);
    });

    it("refuses bad arguments before declaring anything", async () => {
        await useMocks();
        assert.throws(
            () => new EcsService("bad", args({ cpu: 256, memoryMb: 4096, minTasks: 9, maxTasks: 2, image: "nope" })),
            (e: Error) =>
                /EcsService "bad": invalid arguments/.test(e.message) &&
                /image: got "nope"/.test(e.message) &&
                /memoryMb: got 4096/.test(e.message) &&
                /minTasks: got 9/.test(e.message),
        );
    });
});
