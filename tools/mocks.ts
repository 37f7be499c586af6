/**
 * Pulumi mocks shared by the offline plan and the tests. They record every resource the
 * program registers (with its parent, its inputs and the id they gave it), answer the invokes
 * the program makes with realistic values, and fail loudly on an invoke nobody mocked, so a
 * new dependency on the cloud cannot slip in unnoticed.
 *
 * No resource is declared here.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** The account, region and AZs the mocks pretend to be in. */
export const MOCK_ACCOUNT = "123456789012";
export const DEFAULT_MOCK_REGION = "eu-west-1";

/** The value Pulumi uses on the wire for an unknown (computed during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/** One registered resource, as the program declared it. */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** The id the mocks gave it; null for components. */
    id: string | null;
    /** URN of the parent (the stack for top-level resources); null for the stack itself. */
    parent: string | null;
    custom: boolean;
    /** Inputs as the program passed them: unknowns as null, secrets as "[secret]". */
    inputs: Record<string, unknown>;
    /**
     * Inputs as the engine receives them and gives them to policies: Pulumi's wire form, with
     * secrets as `{"4dabf…": "1b47…", value}` around their real value and unknowns as the
     * unknown sentinel; resource references become the resource's id (or URN). Never printed.
     */
    wireInputs: Record<string, unknown>;
    /** The resource options a reviewer cares about; only those the program set (CONTRACT.md). */
    options: ResourceOptionsRecord;
    /** Every URN the registration depends on (`dependsOn` and its inputs' resources), as sent to the engine. */
    dependencies: string[];
    /** The URNs each input depends on. */
    propertyDependencies: Record<string, string[]>;
}

/** Resource options as recorded (CONTRACT.md, `resources[].options`); absent when not set. */
export interface ResourceOptionsRecord {
    protect?: boolean;
    /**
     * URNs the resource waits for beyond its inputs: its `dependsOn` (a component there stands
     * for the resources in it, as the SDK sends it).
     */
    dependsOn?: string[];
    deleteBeforeReplace?: boolean;
    ignoreChanges?: string[];
    /** Earlier identities: a URN, or the parts of one that changed (`name`, `type`, `parentUrn`, ...). */
    aliases?: (string | Record<string, unknown>)[];
    retainOnDelete?: boolean;
    replaceOnChanges?: string[];
}

/** Two registrations of the same URN: the engine refuses the deployment. */
export class DuplicateUrnError extends Error {
    constructor(readonly urn: string) {
        super(`Duplicate resource URN '${urn}'; try giving it a unique name`);
        this.name = "DuplicateUrnError";
    }
}

function hex(seed: string, length: number): string {
    return crypto.createHash("sha256").update(seed).digest("hex").slice(0, length);
}

/** AWS-style ids per resource type, so a plan reads like the real thing. */
const ID_PREFIX: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/route:Route": "r-rtb",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/networkAclRule:NetworkAclRule": "nacl",
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": "aclassoc",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "acl",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/instance:Instance": "i",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule",
};

/** The computed outputs a resource type needs so dependants can use them. */
function computedState(
    type: string,
    name: string,
    id: string,
    inputs: Record<string, any>,
    region: string,
): Record<string, unknown> {
    const physicalName: string = inputs.name ?? `${name}-${hex(name, 7)}`;
    const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${resource}`;
    const secretArn = (n: string) => arn("secretsmanager", `secret:${n}-${hex(n, 6)}`);
    switch (type) {
        case "aws:ec2/vpc:Vpc":
            return {
                arn: arn("ec2", `vpc/${id}`),
                defaultSecurityGroupId: `sg-${hex(id + "default", 17)}`,
                defaultNetworkAclId: `acl-${hex(id + "acl", 17)}`,
                mainRouteTableId: `rtb-${hex(id + "main", 17)}`,
                ipv6CidrBlock: "",
            };
        case "aws:ec2/subnet:Subnet":
            return { arn: arn("ec2", `subnet/${id}`) };
        case "aws:ec2/securityGroup:SecurityGroup":
            return { arn: arn("ec2", `security-group/${id}`), name: physicalName };
        case "aws:ec2/eip:Eip":
            return { publicIp: `203.0.113.${parseInt(hex(id, 2), 16) % 250}`, allocationId: id };
        case "aws:rds/instance:Instance": {
            const identifier: string = inputs.identifier ?? physicalName;
            const address = `${identifier}.c${hex(region, 11)}.${region}.rds.amazonaws.com`;
            return {
                identifier,
                address,
                endpoint: `${address}:${inputs.port ?? 5432}`,
                port: inputs.port ?? 5432,
                arn: arn("rds", `db:${identifier}`),
                resourceId: `db-${hex(identifier, 26).toUpperCase()}`,
                masterUserSecrets: inputs.manageMasterUserPassword
                    ? [
                          {
                              secretArn: secretArn(`rds!db-${hex(identifier, 8)}`),
                              kmsKeyId: inputs.masterUserSecretKmsKeyId ?? "",
                              secretStatus: "active",
                          },
                      ]
                    : [],
            };
        }
        case "aws:rds/cluster:Cluster": {
            const identifier: string = inputs.clusterIdentifier ?? physicalName;
            return {
                clusterIdentifier: identifier,
                endpoint: `${identifier}.cluster-c${hex(region, 11)}.${region}.rds.amazonaws.com`,
                readerEndpoint: `${identifier}.cluster-ro-c${hex(region, 11)}.${region}.rds.amazonaws.com`,
                port: inputs.port ?? 5432,
                arn: arn("rds", `cluster:${identifier}`),
                clusterResourceId: `cluster-${hex(identifier, 26).toUpperCase()}`,
                masterUserSecrets: inputs.manageMasterUserPassword
                    ? [
                          {
                              secretArn: secretArn(`rds!cluster-${hex(identifier, 8)}`),
                              kmsKeyId: inputs.masterUserSecretKmsKeyId ?? "",
                              secretStatus: "active",
                          },
                      ]
                    : [],
            };
        }
        case "aws:rds/clusterInstance:ClusterInstance": {
            const identifier: string = inputs.identifier ?? physicalName;
            return {
                identifier,
                arn: arn("rds", `db:${identifier}`),
                endpoint: `${identifier}.c${hex(region, 11)}.${region}.rds.amazonaws.com`,
                port: 5432,
            };
        }
        case "aws:rds/proxy:Proxy":
            return {
                arn: arn("rds", `db-proxy:prx-${hex(id, 17)}`),
                endpoint: `${physicalName}.proxy-c${hex(region, 11)}.${region}.rds.amazonaws.com`,
                name: physicalName,
            };
        case "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup":
            // A proxy's default target group is always named "default" (ProxyTarget.targetGroupName).
            return { arn: arn("rds", `target-group:prx-tg-${hex(id, 17)}`), name: "default" };
        case "aws:lambda/function:Function":
            return {
                arn: arn("lambda", `function:${physicalName}`),
                invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn("lambda", `function:${physicalName}`)}/invocations`,
                qualifiedArn: `${arn("lambda", `function:${physicalName}`)}:1`,
                version: "1",
                name: physicalName,
            };
        case "aws:apigatewayv2/api:Api":
            return {
                apiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com`,
                executionArn: `arn:aws:execute-api:${region}:${MOCK_ACCOUNT}:${id}`,
                arn: `arn:aws:apigateway:${region}::/apis/${id}`,
            };
        case "aws:apigatewayv2/stage:Stage":
            // The `$default` stage is served at the root of the API's URL.
            return {
                invokeUrl: `https://${hex(id, 10)}.execute-api.${region}.amazonaws.com/${inputs.name === "$default" ? "" : (inputs.name ?? "")}`,
                arn: `arn:aws:apigateway:${region}::/apis/x/stages/${inputs.name}`,
            };
        case "aws:iam/role:Role":
            return {
                arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${physicalName}`,
                name: physicalName,
                uniqueId: `AROA${hex(id, 17).toUpperCase()}`,
            };
        case "aws:iam/policy:Policy":
            return { arn: `arn:aws:iam::${MOCK_ACCOUNT}:policy/${physicalName}`, name: physicalName };
        case "aws:iam/instanceProfile:InstanceProfile":
            return { arn: `arn:aws:iam::${MOCK_ACCOUNT}:instance-profile/${physicalName}`, name: physicalName };
        case "aws:secretsmanager/secret:Secret":
            return { arn: secretArn(physicalName), name: physicalName };
        case "aws:kms/key:Key":
            return { arn: arn("kms", `key/${id}`), keyId: id };
        case "aws:sns/topic:Topic":
            return { arn: arn("sns", physicalName), name: physicalName };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { arn: arn("logs", `log-group:${physicalName}`), name: physicalName };
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return { arn: arn("cloudwatch", `alarm:${physicalName}`), name: physicalName };
        case "aws:rds/subnetGroup:SubnetGroup":
        case "aws:rds/parameterGroup:ParameterGroup":
        case "aws:rds/clusterParameterGroup:ClusterParameterGroup":
            return { arn: arn("rds", `${type.split(":").pop()!.toLowerCase()}:${physicalName}`), name: physicalName };
        case "aws:lb/loadBalancer:LoadBalancer": {
            const suffix = `app/${physicalName.slice(0, 32)}/${hex(id, 16)}`;
            return {
                arn: arn("elasticloadbalancing", `loadbalancer/${suffix}`),
                arnSuffix: suffix,
                dnsName: `${physicalName.slice(0, 32)}-${hex(id, 9)}.${region}.elb.amazonaws.com`,
                zoneId: "Z32O12XQLNTSW2",
                name: physicalName,
            };
        }
        case "aws:lb/targetGroup:TargetGroup": {
            const suffix = `targetgroup/${physicalName.slice(0, 32)}/${hex(id, 16)}`;
            return { arn: arn("elasticloadbalancing", suffix), arnSuffix: suffix, name: physicalName };
        }
        case "aws:lb/listener:Listener":
            return { arn: arn("elasticloadbalancing", `listener/app/lb/${hex(id, 16)}/${hex(name, 16)}`) };
        case "aws:ecs/cluster:Cluster":
            return { arn: arn("ecs", `cluster/${physicalName}`), name: physicalName };
        case "aws:ecs/service:Service":
            return { arn: arn("ecs", `service/${physicalName}`), name: physicalName };
        case "aws:ecs/taskDefinition:TaskDefinition":
            return {
                arn: arn("ecs", `task-definition/${inputs.family ?? physicalName}:1`),
                revision: 1,
                arnWithoutRevision: arn("ecs", `task-definition/${inputs.family ?? physicalName}`),
            };
        case "aws:ecr/repository:Repository":
            return {
                arn: arn("ecr", `repository/${physicalName}`),
                name: physicalName,
                repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${physicalName}`,
                registryId: MOCK_ACCOUNT,
            };
        case "awsx:ecr:Image":
            // A remote component: its children are invisible offline; only its output is given.
            return {
                imageUri: `${String(inputs.repositoryUrl ?? `${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/app`)}@sha256:${hex(id, 64)}`,
            };
        case "aws:acm/certificate:Certificate":
            return {
                arn: arn(
                    "acm",
                    `certificate/${hex(id, 8)}-${hex(name, 4)}-4${hex(id, 3)}-8${hex(name, 3)}-${hex(id + name, 12)}`,
                ),
                domainValidationOptions: [
                    {
                        domainName: inputs.domainName,
                        resourceRecordName: `_${hex(id, 32)}.${String(inputs.domainName)}.`,
                        resourceRecordType: "CNAME",
                        resourceRecordValue: `_${hex(name, 32)}.acm-validations.aws.`,
                    },
                ],
            };
        case "aws:acm/certificateValidation:CertificateValidation":
            return { certificateArn: inputs.certificateArn };
        case "aws:apigatewayv2/vpcLink:VpcLink":
            return { arn: `arn:aws:apigateway:${region}::/vpclinks/${id}` };
        case "aws:s3/bucket:Bucket":
        case "aws:s3/bucketV2:BucketV2":
            return { arn: `arn:aws:s3:::${inputs.bucket ?? physicalName}`, bucket: inputs.bucket ?? physicalName };
        case "aws:wafv2/webAcl:WebAcl":
            return { arn: arn("wafv2", `regional/webacl/${physicalName}/${id}`) };
        case "aws:backup/vault:Vault":
            return { arn: arn("backup", `backup-vault:${physicalName}`), name: physicalName, recoveryPoints: 0 };
        case "aws:backup/plan:Plan":
            return { arn: arn("backup", `backup-plan:${id}`), version: hex(id, 16) };
        case "random:index/randomPassword:RandomPassword":
            return { result: pulumi.secret(`mock-${hex(id, 24)}`), bcryptHash: pulumi.secret("mock") };
        case "random:index/randomId:RandomId":
            return {
                hex: hex(id, (inputs.byteLength ?? 4) * 2),
                b64Url: hex(id, 8),
                dec: String(parseInt(hex(id, 8), 16)),
            };
        case "random:index/randomString:RandomString":
            return { result: hex(id, inputs.length ?? 8) };
        default:
            return { arn: arn(type.split(":")[1]?.split("/")[0] ?? "unknown", `${physicalName}`) };
    }
}

/**
 * Converts the wire form of an input to what a reader of the plan expects: unknowns become
 * null, secrets "[secret]", resource references their id, and assets a short summary with
 * their size and SHA-256 (never their content).
 */
export async function plain(value: unknown): Promise<unknown> {
    if (value === UNKNOWN || pulumi.isUnknown(value)) return null;
    if (Array.isArray(value)) return Promise.all(value.map(plain));
    if (value !== null && typeof value === "object") {
        const v = value as Record<string, any>;
        if (v[SIG_KEY] === SECRET_SIG) return "[secret]";
        if (v[SIG_KEY] === RESOURCE_SIG) return v.id !== undefined ? plain(v.id) : v.urn;
        if (v[SIG_KEY] === OUTPUT_SIG) return v.secret ? "[secret]" : v.known === false ? null : plain(v.value);
        if (pulumi.asset.Asset.isInstance(value)) return describeAsset(value);
        if (pulumi.asset.Archive.isInstance(value)) return describeArchive(value);
        if (pulumi.Resource.isInstance(value)) return null;
        const entries = await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await plain(x)] as const));
        return Object.fromEntries(entries);
    }
    return value;
}

async function describeAsset(a: pulumi.asset.Asset): Promise<string> {
    const any = a as any;
    if (any.text !== undefined) {
        const text: string = await any.text;
        return `[asset ${Buffer.byteLength(text)} bytes sha256:${crypto.createHash("sha256").update(text).digest("hex").slice(0, 16)}]`;
    }
    if (any.path !== undefined) return `[file asset ${await any.path}]`;
    if (any.uri !== undefined) return `[remote asset ${await any.uri}]`;
    return "[asset]";
}

async function describeArchive(a: pulumi.asset.Archive): Promise<unknown> {
    const any = a as any;
    if (any.assets !== undefined) {
        const assets: Record<string, unknown> = await any.assets;
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(assets)) out[k] = await plain(x);
        return { archive: out };
    }
    if (any.path !== undefined) return `[file archive ${await any.path}]`;
    return "[archive]";
}

/**
 * An error from a mocked invoke. The SDK rethrows a failed invoke as `new Error(err.details)`
 * (the gRPC field), so without `details` the message would be empty.
 */
function invokeError(message: string): Error {
    return Object.assign(new Error(message), { details: message });
}

/**
 * Mocks that record every registration. Install with {@link installRecordingMocks}, which
 * also captures each resource's parent.
 */
export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];
    /** Invoke tokens the program called, with how often. */
    readonly calls = new Map<string, number>();
    private readonly parents = new Map<string, string | null>();

    constructor(
        readonly region: string = DEFAULT_MOCK_REGION,
        /** Extra answers for SSM parameters, by name. */
        readonly ssmParameters: Record<string, string> = {},
        /**
         * Answer as the first `pulumi preview` of a new stack: no resource has an id yet and every
         * output AWS computes is unknown (the provider echoes the known inputs only).
         */
        readonly firstPreview = false,
    ) {}

    /**
     * Called once per registration as soon as its URN, wire-form inputs, dependencies and options
     * are recorded (the offline plan starts the policy checks of a resource there, as the engine).
     */
    onRecorded?: (resource: RecordedResource) => void;

    /** Registrations refused because their URN was already taken (the engine fails on them). */
    readonly duplicateUrns: string[] = [];
    private readonly urns = new Set<string>();

    /** Reserves a URN; false when it is already registered. */
    claimUrn(urn: string): boolean {
        if (this.urns.has(urn)) {
            this.duplicateUrns.push(urn);
            return false;
        }
        this.urns.add(urn);
        return true;
    }

    /** Called by the monitor wrapper with the parent URN of each registration. */
    noteParent(urn: string, parent: string | null): void {
        this.parents.set(urn, parent);
    }

    parentOf(urn: string): string | null {
        return this.parents.get(urn) ?? null;
    }

    /** Inputs still being converted (assets are read asynchronously); see {@link settled}. */
    private readonly pending: Promise<unknown>[] = [];

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        const inputs = args.inputs as Record<string, any>;
        const prefix = ID_PREFIX[args.type];
        const seed = `${args.type}::${args.name}`;
        const id =
            args.custom === false || this.firstPreview
                ? undefined
                : args.id || (prefix ? `${prefix}-${hex(seed, 17)}` : `${args.name}-${hex(seed, 8)}`);
        const record: RecordedResource = {
            urn: "", // filled in by the monitor wrapper
            type: args.type,
            name: args.name,
            id: id ?? null,
            parent: null,
            custom: args.custom !== false,
            inputs: {},
            wireInputs: {},
            options: {},
            dependencies: [],
            propertyDependencies: {},
        };
        this.resources.push(record);
        this.pending.push(plain(inputs).then((p) => (record.inputs = p as Record<string, unknown>)));
        const state =
            id === undefined
                ? // Components, and every resource of a first preview: inputs only. Remote
                  // components (awsx) are resources without an id: give their outputs, except in a
                  // first preview, where what AWS computes is unknown.
                  {
                      ...inputs,
                      ...(args.type === "awsx:ecr:Image" && !this.firstPreview
                          ? computedState(args.type, args.name, seed, inputs, this.region)
                          : {}),
                  }
                : // A resource may live in another region than the provider's (the v7 `region` argument).
                  { ...inputs, ...computedState(args.type, args.name, id, inputs, inputs.region ?? this.region) };
        return { id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        this.calls.set(args.token, (this.calls.get(args.token) ?? 0) + 1);
        const region = this.region;
        switch (args.token) {
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                return {
                    id: region,
                    names: ["a", "b", "c"].map((z) => `${region}${z}`),
                    zoneIds: [1, 2, 3].map((n) => `${region.replace(/-/g, "").slice(0, 3)}1-az${n}`),
                    groupNames: [region],
                    state: "available",
                };
            case "aws:index/getRegion:getRegion":
                return {
                    id: region,
                    name: region,
                    region,
                    endpoint: `ec2.${region}.amazonaws.com`,
                    description: region,
                };
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    id: MOCK_ACCOUNT,
                    accountId: MOCK_ACCOUNT,
                    arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/plan`,
                    userId: "AIDAPLANMOCK",
                };
            case "aws:ec2/getVpc:getVpc": {
                // An existing VPC given without its CIDR: answer with a plausible range.
                const id = String(args.inputs.id ?? "vpc-existing");
                return {
                    id,
                    arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT}:vpc/${id}`,
                    cidrBlock: "10.50.0.0/16",
                    state: "available",
                    enableDnsSupport: true,
                    enableDnsHostnames: true,
                };
            }
            case "aws:ec2/getPrefixList:getPrefixList": {
                const name = String(args.inputs.name ?? `com.amazonaws.${region}.s3`);
                return { id: `pl-${hex(name, 8)}`, name, cidrBlocks: ["52.218.0.0/17"] };
            }
            case "aws:elb/getServiceAccount:getServiceAccount":
                return { id: "156460612806", arn: "arn:aws:iam::156460612806:root" };
            case "aws:index/getPartition:getPartition":
                return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
            case "aws:ssm/getParameter:getParameter": {
                const name = String(args.inputs.name);
                const value =
                    this.ssmParameters[name] ??
                    (name.includes("/ami/") || name.includes("ami-") ? `ami-${hex(name, 17)}` : undefined);
                if (value === undefined)
                    throw invokeError(`mocks: no SSM parameter ${name} (add it to RecordingMocks' ssmParameters)`);
                return {
                    id: name,
                    name,
                    type: "String",
                    value,
                    insecureValue: value,
                    version: 1,
                    arn: `arn:aws:ssm:${region}:${MOCK_ACCOUNT}:parameter${name}`,
                };
            }
            default:
                throw invokeError(`mocks: unmocked invoke ${args.token}; answer it in tools/mocks.ts`);
        }
    }

    /** The resources with URNs, parents and inputs filled in, in registration order. */
    async snapshot(): Promise<RecordedResource[]> {
        await Promise.all(this.pending);
        return this.resources.map((r) => ({ ...r, parent: this.parentOf(r.urn) }));
    }

    /** Resources of one type (after {@link snapshot} has settled the inputs). */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }
}

/**
 * The wire form of a registration's inputs as the engine would hand them to a policy: resource
 * references become the referenced resource's id (custom) or URN (component).
 */
export function engineView(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(engineView);
    if (value !== null && typeof value === "object") {
        const v = value as Record<string, unknown>;
        if (v[SIG_KEY] === RESOURCE_SIG) return typeof v.id === "string" && v.id !== "" ? v.id : v.urn;
        if (v[SIG_KEY] === OUTPUT_SIG) {
            const inner = v.known === false ? UNKNOWN : engineView(v.value);
            return v.secret ? { [SIG_KEY]: SECRET_SIG, value: inner } : inner;
        }
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = engineView(x);
        return out;
    }
    return value;
}

/** The options of a registration request that matter to a reviewer; only those set. */

function optionsOf(req: any, propertyDependencies: Record<string, string[]>): ResourceOptionsRecord {
    const o: ResourceOptionsRecord = {};
    if (req.hasProtect() && req.getProtect() !== undefined) o.protect = req.getProtect();
    const fromInputs = new Set(Object.values(propertyDependencies).flat());
    const dependsOn = (req.getDependenciesList() as string[]).filter((u) => !fromInputs.has(u));
    if (dependsOn.length > 0) o.dependsOn = dependsOn;
    if (req.getDeletebeforereplacedefined()) o.deleteBeforeReplace = req.getDeletebeforereplace();
    const ignoreChanges: string[] = req.getIgnorechangesList();
    if (ignoreChanges.length > 0) o.ignoreChanges = ignoreChanges;

    const aliases = (req.getAliasesList() as any[]).map((a) => {
        if (a.hasUrn()) return a.getUrn() as string;
        const spec = a.getSpec()?.toObject() ?? {};
        return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== "" && v !== false && v !== undefined));
    });
    if (aliases.length > 0) o.aliases = aliases;
    if (req.hasRetainondelete() && req.getRetainondelete() !== undefined) o.retainOnDelete = req.getRetainondelete();
    const replaceOnChanges: string[] = req.getReplaceonchangesList();
    if (replaceOnChanges.length > 0) o.replaceOnChanges = replaceOnChanges;
    return o;
}

let current: RecordingMocks | undefined;

/** The mocks installed last in this process (tests read recorded options through them). */
export function currentRecordingMocks(): RecordingMocks | undefined {
    return current;
}

/**
 * Installs recording mocks as the Pulumi runtime's monitor. Wraps the mock monitor so each
 * registration's URN, parent URN, wire-form inputs, dependencies and options are recorded too
 * (the Mocks API does not pass them), and so a second registration of a URN fails as the
 * engine fails it.
 */
export async function installRecordingMocks(
    project: string,
    stack: string,
    options: {
        preview?: boolean;
        firstPreview?: boolean;
        region?: string;
        ssmParameters?: Record<string, string>;
    } = {},
): Promise<RecordingMocks> {
    const mocks = new RecordingMocks(
        options.region ?? DEFAULT_MOCK_REGION,
        options.ssmParameters,
        options.firstPreview ?? false,
    );
    await pulumi.runtime.setMocks(mocks, project, stack, (options.preview ?? false) || (options.firstPreview ?? false));
    current = mocks;
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
        const expected: string = monitor.newUrn(req.getParent(), req.getType(), req.getName());
        if (!mocks.claimUrn(expected)) {
            const e = new DuplicateUrnError(expected);
            callback(Object.assign(e, { details: e.message }), undefined);
            return;
        }
        const before = mocks.resources.length;
        register(req, (err: unknown, resp: any) => {
            if (!err && resp) {
                const urn: string = resp.getUrn();
                const parent: string = req.getParent();
                let rec: RecordedResource | undefined = mocks.resources[before];
                if (!(rec && rec.name === req.getName() && rec.type === req.getType()))
                    rec = mocks.resources.find(
                        (r) => r.urn === "" && r.name === req.getName() && r.type === req.getType(),
                    );
                if (rec) {
                    rec.urn = urn;
                    const propertyDependencies: Record<string, string[]> = {};
                    for (const [k, v] of req.getPropertydependenciesMap().entries())
                        propertyDependencies[k] = v.getUrnsList();
                    rec.wireInputs = engineView(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
                    rec.dependencies = req.getDependenciesList();
                    rec.propertyDependencies = propertyDependencies;
                    rec.options = optionsOf(req, propertyDependencies);
                }
                mocks.noteParent(urn, parent || null);
                if (rec) mocks.onRecorded?.({ ...rec, parent: parent || null });
            }
            callback(err, resp);
        });
    };
    return mocks;
}
