/**
 * Drives the pack's real `@pulumi/policy` analyzer exactly as the Pulumi CLI does
 * (pulumi/pulumi `pkg/resource/plugin/analyzer_plugin.go`): starts
 * `node <pack>/node_modules/@pulumi/pulumi/cmd/run-policy-pack <engine> <pack>` in the pack's
 * directory, reads the gRPC port from its first stdout line, then calls it in the engine's
 * order — ConfigureStack, GetAnalyzerInfo, (the engine reconciles the config: `config.ts`),
 * Configure, per resource Remediate then Analyze on the remediated inputs, AnalyzeStack.
 *
 * The gRPC stubs, `@grpc/grpc-js` and `google-protobuf` are the pack's own copies, so the
 * message classes are the ones the server uses. Not part of the pack: the CLI never loads it.
 */
import { ChildProcess, spawn } from "child_process";
import { createRequire } from "module";
import * as path from "path";
import * as readline from "readline";
import { Level, PolicyConfigEntry, PolicyInfo } from "./config";

/** How long the analyzer may take to start listening (the CLI's own start takes 1-4 s). */
const START_TIMEOUT_MS = 60_000;

/** The pack this repository ships. */
export const PACK_DIR = path.resolve(__dirname, "..");

/** Signature key and values of Pulumi's wire format. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The wire value of an unknown (computed) value. */
export const UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A resource as the engine sends it: inputs in Pulumi's wire form (secrets and unknowns marked). */
export interface WireResource {
    urn: string;
    type: string;
    name: string;
    properties: Record<string, unknown>;
    /** The resource's id (null for components); stack policies see it among the outputs. */
    id?: string | null;
    parent?: string | null;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    options?: { protect?: boolean; ignoreChanges?: string[]; aliases?: string[]; deleteBeforeReplace?: boolean };
}

/** One diagnostic, with the message as the analyzer sends it (`description\nmessage`). */
export interface Diagnostic {
    policy: string;
    description: string;
    message: string;
    enforcementLevel: Level;
    urn?: string;
}

export interface Remediation {
    policy: string;
    description: string;
    /** The remediated inputs (wire form), when the remediation changed something. */
    properties?: Record<string, unknown>;
    /** Why the remediation could not run (e.g. an unknown value during preview). */
    diagnostic?: string;
}

export interface AnalyzerResult {
    diagnostics: Diagnostic[];
    notApplicable: { policy: string; reason: string }[];
}

export interface StartOptions {
    /** The pack directory (default: this repository's `policy-pack/`). */
    packDir?: string;
    project?: string;
    stack?: string;
    organization?: string;
    dryRun?: boolean;
    /** Stack config as `PULUMI_CONFIG` (`{"ns:key": "value"}`). */
    config?: Record<string, string>;
    /**
     * Type-check the pack with ts-node as the CLI does (2-3 s); the default loads it with esbuild,
     * leaving type checking to `npm test`.
     */
    typeCheck?: boolean;
}

type Pb = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- generated protobuf stubs

interface Stubs {
    grpc: Pb;
    analyzer: Pb;
    rpc: Pb;
    struct: Pb;
    empty: Pb;
}

const stubsByPack = new Map<string, Stubs>();

function stubs(packDir: string): Stubs {
    let s = stubsByPack.get(packDir);
    if (s === undefined) {
        const req = createRequire(path.join(packDir, "package.json"));
        let pulumiDir: string;
        try {
            pulumiDir = path.dirname(req.resolve("@pulumi/pulumi/package.json"));
        } catch {
            throw new Error(
                `the policy pack's own packages are not installed: run \`npm ci\` in ${path.relative(process.cwd(), packDir) || "."}`,
            );
        }
        const fromPulumi = createRequire(path.join(pulumiDir, "package.json"));
        s = {
            grpc: fromPulumi("@grpc/grpc-js"),
            analyzer: fromPulumi("./proto/analyzer_pb"),
            rpc: fromPulumi("./proto/analyzer_grpc_pb"),
            struct: fromPulumi("google-protobuf/google/protobuf/struct_pb"),
            empty: fromPulumi("google-protobuf/google/protobuf/empty_pb"),
        };
        stubsByPack.set(packDir, s);
    }
    return s;
}

const LEVELS: Level[] = ["advisory", "mandatory", "disabled", "remediate"]; // proto enum order

/** Drops `undefined` (a protobuf Struct cannot carry it), recursively. */
function jsonOnly(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((e) => (e === undefined ? null : jsonOnly(e)));
    if (v !== null && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = jsonOnly(x);
        return out;
    }
    return v;
}

/** A running analyzer process and a gRPC client to it. */
export class Analyzer {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: Pb,
        private readonly pb: Stubs,
        readonly stderr: () => string,
    ) {}

    /** Starts the pack's analyzer; resolves once it listens. */
    static async start(options: StartOptions = {}): Promise<Analyzer> {
        const packDir = options.packDir ?? PACK_DIR;
        const pb = stubs(packDir);
        const runPolicyPack = path.join(
            path.dirname(createRequire(path.join(packDir, "package.json")).resolve("@pulumi/pulumi/package.json")),
            "cmd",
            "run-policy-pack",
        );
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_CONFIG: JSON.stringify(options.config ?? {}),
            PULUMI_NODEJS_PROJECT: options.project ?? "private-app",
            PULUMI_NODEJS_STACK: options.stack ?? "offline",
            PULUMI_NODEJS_ORGANIZATION: options.organization ?? "organization",
            PULUMI_NODEJS_DRY_RUN: String(options.dryRun ?? true),
        };
        if (options.typeCheck) delete env.PRIVATE_APP_ANALYZER_TRANSPILE;
        else env.PRIVATE_APP_ANALYZER_TRANSPILE = "1";
        // The CLI passes the engine's address; the pack drops it and never dials back.
        const child = spawn(
            process.execPath,
            ["-r", path.join(__dirname, "launch.js"), runPolicyPack, "127.0.0.1:0", packDir],
            { cwd: packDir, env, stdio: ["pipe", "pipe", "pipe"] },
        );
        let err = "";
        child.stderr?.setEncoding("utf8");
        child.stderr?.on("data", (d: string) => (err += d));
        const port = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => {
                child.kill();
                reject(
                    new Error(
                        `the policy pack's analyzer did not listen within ${START_TIMEOUT_MS / 1000} s:\n${err.trim()}`,
                    ),
                );
            }, START_TIMEOUT_MS);
            timer.unref();
            const lines = readline.createInterface({ input: child.stdout! });
            lines.once("line", () => clearTimeout(timer));
            lines.once("line", (line) => {
                const n = Number(line.trim());
                if (Number.isInteger(n) && n > 0) resolve(n);
                else
                    reject(
                        new Error(
                            `the policy pack's analyzer printed ${JSON.stringify(line)} instead of a port\n${err}`,
                        ),
                    );
            });
            child.once("exit", (code) =>
                reject(new Error(`the policy pack's analyzer exited (code ${code}) before listening:\n${err.trim()}`)),
            );
            child.once("error", reject);
        });
        // Later stdout (a policy's console.log) is the pack's business; keep reading so it never blocks.
        child.stdout?.resume();
        const client = new pb.rpc.AnalyzerClient(`127.0.0.1:${port}`, pb.grpc.credentials.createInsecure(), {
            "grpc.max_receive_message_length": 400 * 1024 * 1024,
            "grpc.max_send_message_length": 400 * 1024 * 1024,
        });
        const analyzer = new Analyzer(child, client, pb, () => err);
        child.unref();
        for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void })?.unref?.();
        return analyzer;
    }

    private call<T>(method: string, request: unknown): Promise<T> {
        return new Promise<T>((resolve, reject) =>
            this.client[method](request, (e: Error | null, resp: T) => {
                if (e) {
                    const details = (e as { details?: string }).details;
                    reject(new Error(details || e.message));
                } else resolve(resp);
            }),
        );
    }

    private struct(v: Record<string, unknown>): Pb {
        return this.pb.struct.Struct.fromJavaScript(jsonOnly(v));
    }

    private options(r: WireResource): Pb {
        const o = new this.pb.analyzer.AnalyzerResourceOptions();
        o.setProtect(r.options?.protect ?? false);
        o.setIgnorechangesList(r.options?.ignoreChanges ?? []);
        o.setAliasesList(r.options?.aliases ?? []);
        if (r.options?.deleteBeforeReplace !== undefined) {
            o.setDeletebeforereplacedefined(true);
            o.setDeletebeforereplace(r.options.deleteBeforeReplace);
        }
        o.setCustomtimeouts(new this.pb.analyzer.AnalyzerResourceOptions.CustomTimeouts());
        if (r.parent) o.setParent(r.parent);
        return o;
    }

    async configureStack(s: {
        project: string;
        stack: string;
        organization?: string;
        dryRun: boolean;
        tags?: Record<string, string>;
    }): Promise<void> {
        const req = new this.pb.analyzer.AnalyzerStackConfigureRequest();
        req.setProject(s.project);
        req.setStack(s.stack);
        req.setOrganization(s.organization ?? "organization");
        req.setDryRun(s.dryRun);
        for (const [k, v] of Object.entries(s.tags ?? {})) req.getTagsMap().set(k, v);
        await this.call("configureStack", req);
    }

    async getAnalyzerInfo(): Promise<{ name: string; version: string; policies: PolicyInfo[] }> {
        const info: Pb = await this.call("getAnalyzerInfo", new this.pb.empty.Empty());
        const policies: PolicyInfo[] = info.getPoliciesList().map((p: Pb) => {
            const schema = p.getConfigschema();
            const out: PolicyInfo = {
                name: p.getName(),
                description: p.getDescription(),
                enforcementLevel: LEVELS[p.getEnforcementlevel()],
            };
            if (schema) {
                out.configSchema = {
                    properties: schema.getProperties()?.toJavaScript() ?? {},
                    required: schema.getRequiredList(),
                };
            }
            return out;
        });
        return { name: info.getName(), version: info.getVersion(), policies };
    }

    async configure(config: ReadonlyMap<string, PolicyConfigEntry>): Promise<void> {
        const req = new this.pb.analyzer.ConfigureAnalyzerRequest();
        for (const [name, c] of config) {
            const pc = new this.pb.analyzer.PolicyConfig();
            pc.setEnforcementlevel(LEVELS.indexOf(c.enforcementLevel));
            pc.setProperties(this.struct(c.properties));
            req.getPolicyconfigMap().set(name, pc);
        }
        await this.call("configure", req);
    }

    private request(kind: "AnalyzeRequest" | "AnalyzerResource", r: WireResource): Pb {
        const req = new this.pb.analyzer[kind]();
        req.setType(r.type);
        req.setName(r.name);
        req.setUrn(r.urn);
        req.setProperties(this.struct(r.properties));
        req.setOptions(this.options(r));
        return req;
    }

    async remediate(r: WireResource): Promise<Remediation[]> {
        const resp: Pb = await this.call("remediate", this.request("AnalyzeRequest", r));
        return resp.getRemediationsList().map((x: Pb) => {
            const out: Remediation = { policy: x.getPolicyname(), description: x.getDescription() };
            if (x.hasProperties()) out.properties = x.getProperties().toJavaScript();
            if (x.getDiagnostic()) out.diagnostic = x.getDiagnostic();
            return out;
        });
    }

    private result(resp: Pb): AnalyzerResult {
        return {
            diagnostics: resp.getDiagnosticsList().map((d: Pb) => {
                const out: Diagnostic = {
                    policy: d.getPolicyname(),
                    description: d.getDescription(),
                    message: d.getMessage(),
                    enforcementLevel: LEVELS[d.getEnforcementlevel()],
                };
                if (d.getUrn()) out.urn = d.getUrn();
                return out;
            }),
            notApplicable: resp
                .getNotApplicableList()
                .map((n: Pb) => ({ policy: n.getPolicyName(), reason: n.getReason() })),
        };
    }

    async analyze(r: WireResource): Promise<AnalyzerResult> {
        return this.result(await this.call("analyze", this.request("AnalyzeRequest", r)));
    }

    async analyzeStack(resources: readonly WireResource[]): Promise<AnalyzerResult> {
        const req = new this.pb.analyzer.AnalyzeStackRequest();
        req.setResourcesList(
            resources.map((r) => {
                const x = this.request("AnalyzerResource", r);
                if (r.parent) x.setParent(r.parent);
                x.setDependenciesList(r.dependencies ?? []);
                for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                    const d = new this.pb.analyzer.AnalyzerPropertyDependencies();
                    d.setUrnsList(urns);
                    x.getPropertydependenciesMap().set(k, d);
                }
                return x;
            }),
        );
        return this.result(await this.call("analyzeStack", req));
    }

    /** Stops the analyzer (the CLI kills it too). */
    close(): void {
        this.client.close();
        if (this.child.exitCode === null) this.child.kill();
    }
}
