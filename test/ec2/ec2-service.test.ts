/**
 * Ec2Service under mocks: the ordering (migrations first), the x86_64 path (its AMI
 * parameter), a new bundle rolling the fleet, and the arguments refused before anything is
 * declared.
 */
import * as assert from "assert";
import { Ec2Service, type Ec2ServiceArgs } from "../../components/compute/ec2-service";
import type { FunctionBundle } from "../../components/compute/lambda-function";
import { ofType, one, settle, useMocks } from "../support/harness";
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
const T = {
    group: "aws:autoscaling/group:Group",
    template: "aws:ec2/launchTemplate:LaunchTemplate",
    invocation: "aws:lambda/invocation:Invocation",
    listener: "aws:lb/listener:Listener",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
};

function args(overrides: Partial<Ec2ServiceArgs> = {}, server: FunctionBundle = bundle("server-v1")): Ec2ServiceArgs {
    return {
        ingress: "apiGateway",
        vpcId: VPC_ID,
        vpcCidr: VPC_CIDR,
        publicSubnetIds: PUBLIC_SUBNETS,
        privateSubnetIds: PRIVATE_SUBNETS,
        privateEgress: true,
        database: fakeDatabase(),
        alarmTopicArn: ALARM_TOPIC,
        migrations: { bundle: bundle(MIGRATE_CODE), migrationsSha256: MIGRATIONS_SHA },
        server,
        ...overrides,
    };
}

async function deploy(a: Ec2ServiceArgs) {
    const mocks = await useMocks();
    const dependencies = recordDependencies();
    const service = new Ec2Service("app", a);
    const resources = await settle(mocks);
    return { service, resources, dependencies, mocks };
}

const userData = (resources: Awaited<ReturnType<typeof deploy>>["resources"]) =>
    Buffer.from(String(one(resources, T.template, "app").inputs.userData), "base64").toString("utf8");

describe("Ec2Service", function () {
    this.timeout(60_000);

    it("the group is created or updated only after the migrations, the listener, the role and the artifact", async () => {
        const { resources, dependencies } = await deploy(args());
        const deps = dependencies.get(`${T.group}::app`) ?? assert.fail("no group");
        for (const [type, name] of [
            [T.invocation, "app-migrate"],
            [T.listener, "app-http"],
            [T.object, "app-server"],
            ["aws:iam/rolePolicy:RolePolicy", "app-instance"],
            ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-instance-ssm"],
        ])
            assert.ok(deps.includes(one(resources, type!, name!).urn), `waits for ${name}`);
        // The template is not ordered after the migrations: a new version launches nothing.
        const templateDeps = dependencies.get(`${T.template}::app`) ?? [];
        assert.ok(!templateDeps.includes(one(resources, T.invocation, "app-migrate").urn));
    });

    it("x86_64 instance types read the x86_64 AMI parameter; a new bundle is a new template", async () => {
        const { mocks, resources } = await deploy(args({ instanceType: "t3.small" }));
        const calls = mocks.calls.get("aws:ssm/getParameter:getParameter") ?? 0;
        assert.strictEqual(calls, 1);
        assert.strictEqual(one(resources, T.template, "app").inputs.instanceType, "t3.small");
        const v1 = userData(resources);
        const again = await deploy(args({ instanceType: "t3.small" }, bundle("server-v2")));
        const v2 = userData(again.resources);
        assert.notStrictEqual(v1, v2, "a new bundle changes the user data, so the template and the fleet");
        assert.strictEqual(ofType(again.resources, T.object).length, 1);
        assert.match(String(one(again.resources, T.object, "app-server").inputs.key), /^server\/[0-9a-f]{64}\.js$/);
        // The mocks answer each parameter name with its own AMI id: arm64 reads another one.
        const arm = await deploy(args());
        assert.notStrictEqual(
            one(arm.resources, T.template, "app").inputs.imageId,
            one(resources, T.template, "app").inputs.imageId,
        );
    });

    it("refuses bad arguments before declaring anything", async () => {
        await useMocks();
        assert.throws(
            () =>
                new Ec2Service(
                    "bad",
                    args({ instanceType: "t3.small", architecture: "arm64", minSize: 5, maxSize: 2 }),
                ),
            (e: Error) =>
                /Ec2Service "bad": invalid arguments/.test(e.message) &&
                /architecture: got "arm64"/.test(e.message) &&
                /minSize: got 5/.test(e.message),
        );
    });
});
