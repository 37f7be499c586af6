/**
 * The pack as a whole: its files, its policy list, its documentation and config files, and the
 * rule that nothing but `index.ts` constructs the PolicyPack.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import * as YAML from "yaml";
import Ajv from "ajv";
import type { Policy } from "@pulumi/policy";
import { PolicyInfo, reconcilePolicyConfig } from "../../policy-pack/engine/config";
import { renderConfigTable, renderPolicyTable } from "../../policy-pack/lib/docs";
import { T } from "../../policy-pack/lib/types";
import {
    allPolicies,
    DEFAULT_DATABASE_PORTS,
    DEFAULT_HTTP_PORTS,
    DEFAULT_MIN_BACKUP_RETENTION_DAYS,
    DEFAULT_PRODUCTION_TAG_KEY,
    DEFAULT_PRODUCTION_TAG_VALUES,
    DEFAULT_REFERENCE_NAME_PATTERNS,
    DEFAULT_SECRET_NAME_PATTERNS,
    MANDATORY_POLICY_NAMES,
} from "../../policy-pack/policies";

const ROOT = path.resolve(__dirname, "../..");
const PACK = path.join(ROOT, "policy-pack");
const read = (...p: string[]) => fs.readFileSync(path.join(...p), "utf8");
const byName = (name: string) => allPolicies.find((p) => p.name === name)!;

/** What the analyzer's GetAnalyzerInfo says about a policy. */
const infoOf = (p: Policy): PolicyInfo => ({
    name: p.name,
    description: p.description,
    enforcementLevel: p.enforcementLevel ?? "advisory",
    configSchema: p.configSchema as PolicyInfo["configSchema"],
});
/** The engine's reconciliation of a `--policy-pack-config` document for `policies`. */
const resolvePolicyConfig = (policies: readonly Policy[], config: unknown = {}) =>
    reconcilePolicyConfig(policies.map(infoOf), config);
const schemaDefaults = (p: Policy) => resolvePolicyConfig([p]).get(p.name)!.properties;

function tsFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) {
            return e.name === "node_modules" ? [] : tsFiles(full);
        }
        return e.name.endsWith(".ts") ? [full] : [];
    });
}

describe("policy pack", () => {
    describe("files", () => {
        it("PulumiPolicy.yaml: nodejs runtime with a description", () => {
            const doc = YAML.parse(read(PACK, "PulumiPolicy.yaml")) as { runtime: unknown; description: unknown };
            assert.strictEqual(doc.runtime, "nodejs");
            assert.ok(typeof doc.description === "string" && doc.description.length > 20);
        });

        it("package.json: name, version, and the two SDKs pinned exactly to the installed versions", () => {
            const pkg = JSON.parse(read(PACK, "package.json")) as {
                name: string;
                version: string;
                main: string;
                dependencies: Record<string, string>;
            };
            assert.strictEqual(pkg.name, "private-app-policy-pack");
            assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
            assert.strictEqual(pkg.main, "index.ts");
            // Policies match type tokens as strings, so the pack does not need @pulumi/aws.
            assert.deepStrictEqual(pkg.dependencies, { "@pulumi/policy": "1.21.0", "@pulumi/pulumi": "3.248.0" });
            for (const [name, version] of Object.entries(pkg.dependencies)) {
                const installed = JSON.parse(read(ROOT, "node_modules", name, "package.json")) as { version: string };
                assert.strictEqual(installed.version.replace(/^v/, ""), version, `${name} installed at the root`);
            }
        });

        it("tsconfig.json: strict CommonJS", () => {
            const cfg = JSON.parse(read(PACK, "tsconfig.json")) as { compilerOptions: Record<string, unknown> };
            assert.strictEqual(cfg.compilerOptions.strict, true);
            assert.strictEqual(cfg.compilerOptions.module, "commonjs");
        });

        it('index.ts only imports and constructs the PolicyPack "private-app" from allPolicies', () => {
            const file = path.join(PACK, "index.ts");
            const src = ts.createSourceFile(file, read(file), ts.ScriptTarget.ES2022, true);
            const statements = src.statements;
            const imports = statements
                .filter(ts.isImportDeclaration)
                .map((s) => (s.moduleSpecifier as ts.StringLiteral).text)
                .sort();
            assert.deepStrictEqual(imports, ["./policies", "@pulumi/policy"]);
            const rest = statements.filter((s) => !ts.isImportDeclaration(s));
            assert.strictEqual(rest.length, 1, "one statement besides the imports");
            const stmt = rest[0];
            assert.ok(
                ts.isExpressionStatement(stmt) && ts.isNewExpression(stmt.expression),
                "a bare `new PolicyPack(...)`",
            );
            const call = stmt.expression as ts.NewExpression;
            assert.strictEqual(call.expression.getText(src), "PolicyPack");
            assert.strictEqual((call.arguments![0] as ts.StringLiteral).text, "private-app");
            assert.match(call.arguments![1].getText(src), /policies:\s*\[\.\.\.allPolicies\]/);
        });

        it("nothing else imports policy-pack/index.ts or constructs a PolicyPack", () => {
            const files = [
                ...tsFiles(PACK),
                ...tsFiles(path.join(ROOT, "test")),
                ...tsFiles(path.join(ROOT, "tools")),
            ].filter((f) => f !== path.join(PACK, "index.ts") && f !== __filename);
            for (const f of files) {
                const text = read(f);
                assert.ok(!/new\s+PolicyPack\s*\(/.test(text), `${path.relative(ROOT, f)} constructs a PolicyPack`);
                assert.ok(
                    !/from\s+["'][^"']*policy-pack(\/index)?["']/.test(text),
                    `${path.relative(ROOT, f)} imports policy-pack/index.ts`,
                );
                if (f.startsWith(PACK)) {
                    assert.ok(
                        !/from\s+["']\.\.?\/(index)?["']/.test(text) && !/from\s+["']\.\.\/\.\.?["']/.test(text),
                        `${path.relative(ROOT, f)} imports the pack's index.ts`,
                    );
                }
            }
        });

        it("the pure modules import nothing from @pulumi at run time", () => {
            for (const f of ["props", "ingress", "secrets", "network-graph", "types"]) {
                const text = read(PACK, "lib", `${f}.ts`);
                assert.ok(
                    !/^import\s+(?!type\b)[^;]*["']@pulumi\//m.test(text),
                    `lib/${f}.ts imports @pulumi at run time`,
                );
            }
        });

        it("loading evaluate.ts and the policies loads neither @pulumi/policy nor @pulumi/aws (nor starts a server)", function () {
            this.timeout(20000);
            const out = execFileSync(
                process.execPath,
                [
                    "-r",
                    "ts-node/register/transpile-only",
                    "-e",
                    [
                        "const t = Date.now();",
                        "require('./policy-pack/evaluate');",
                        "const loaded = Object.keys(require.cache).filter(k => /node_modules[\\\\/]@pulumi[\\\\/]/.test(k));",
                        "console.log(JSON.stringify({ loaded: loaded.length, ms: Date.now() - t }));",
                    ].join("\n"),
                ],
                { cwd: ROOT, encoding: "utf8", timeout: 20000 },
            );
            const { loaded } = JSON.parse(out.trim().split("\n").pop()!) as { loaded: number };
            assert.strictEqual(loaded, 0);
        });

        it("every type token exists in the installed @pulumi/aws", () => {
            for (const token of Object.values(T)) {
                const [, mod, resource] = /^aws:([a-z0-9]+)\/([a-zA-Z0-9]+):[A-Za-z0-9]+$/.exec(token) ?? [];
                assert.ok(mod && resource, token);
                const js = read(ROOT, "node_modules/@pulumi/aws", mod, `${resource}.js`);
                assert.ok(
                    js.includes(`__pulumiType = '${token}'`),
                    `${token} not found in @pulumi/aws/${mod}/${resource}.js`,
                );
            }
        });
    });

    describe("policies", () => {
        it("have unique kebab-case names, a description and an explicit enforcement level", () => {
            const names = allPolicies.map((p) => p.name);
            assert.strictEqual(new Set(names).size, names.length);
            for (const p of allPolicies) {
                assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
                assert.notStrictEqual(p.name, "all");
                assert.ok(p.description.length > 20, p.name);
                assert.ok(
                    ["advisory", "mandatory", "remediate"].includes(p.enforcementLevel ?? ""),
                    `${p.name} declares its level`,
                );
            }
        });

        it("include the contract's mandatory policies, mandatory by default", () => {
            assert.deepStrictEqual([...MANDATORY_POLICY_NAMES].sort(), [
                "no-world-ingress-to-postgres",
                "rds-not-publicly-accessible",
            ]);
            for (const name of MANDATORY_POLICY_NAMES) {
                assert.strictEqual(byName(name)?.enforcementLevel, "mandatory", name);
            }
            assert.strictEqual(byName("db-subnet-group-not-public").enforcementLevel, "mandatory");
        });

        it("have config schemas the engine accepts, each property documented with a default", () => {
            for (const p of allPolicies) {
                if (!p.configSchema) {
                    continue;
                }
                assert.ok(!("enforcementLevel" in p.configSchema.properties), p.name);
                // Strict JSON Schema (no unknown keyword), and no `format`: the CLI checks formats with
                // Go's libraries, offline they would be checked with JavaScript's (issue 15, defect 3).
                new Ajv({ strict: true }).compile({ type: "object", properties: p.configSchema.properties });
                assert.ok(!JSON.stringify(p.configSchema).includes('"format"'), `${p.name} uses format`);
                for (const [key, s] of Object.entries(p.configSchema.properties)) {
                    assert.ok(
                        typeof s === "object" && typeof s.description === "string" && s.description.length > 10,
                        `${p.name}.${key} description`,
                    );
                    assert.ok(typeof s === "object" && s.default !== undefined, `${p.name}.${key} default`);
                }
            }
            // And the defaults validate against their own schemas.
            resolvePolicyConfig(allPolicies);
        });

        it("document the defaults the code uses (named constants)", () => {
            assert.deepStrictEqual(schemaDefaults(byName("no-world-ingress-to-postgres")), {
                ports: [...DEFAULT_DATABASE_PORTS],
            });
            assert.deepStrictEqual(DEFAULT_DATABASE_PORTS, [5432]);
            assert.deepStrictEqual(schemaDefaults(byName("no-public-ingress-to-database-ports")), {
                ports: [...DEFAULT_DATABASE_PORTS],
            });
            assert.deepStrictEqual(schemaDefaults(byName("rds-backup-retention")), {
                minDays: DEFAULT_MIN_BACKUP_RETENTION_DAYS,
            });
            assert.strictEqual(DEFAULT_MIN_BACKUP_RETENTION_DAYS, 7);
            assert.deepStrictEqual(schemaDefaults(byName("rds-deletion-protection")), {
                requireDeletionProtection: false,
                productionTagKey: DEFAULT_PRODUCTION_TAG_KEY,
                productionTagValues: [...DEFAULT_PRODUCTION_TAG_VALUES],
            });
            assert.deepStrictEqual(schemaDefaults(byName("rds-storage-encrypted")), {
                requireCustomerManagedKey: false,
            });
            assert.deepStrictEqual(schemaDefaults(byName("lb-http-redirects-to-https")), {
                ports: [...DEFAULT_HTTP_PORTS],
            });
            assert.deepStrictEqual(schemaDefaults(byName("no-plaintext-secrets-in-env")), {
                namePatterns: [...DEFAULT_SECRET_NAME_PATTERNS],
                referenceNamePatterns: [...DEFAULT_REFERENCE_NAME_PATTERNS],
            });
        });

        it("are documented in policy-pack/README.md exactly as the code declares them", () => {
            const readme = read(PACK, "README.md");
            const section = (marker: string) => {
                const m = new RegExp(`<!-- ${marker}:start -->\\n([\\s\\S]*?)\\n<!-- ${marker}:end -->`).exec(readme);
                assert.ok(m, `README.md lacks the ${marker} markers`);
                return m[1];
            };
            const hint = "regenerate with: npx ts-node --transpile-only policy-pack/lib/docs.ts";
            assert.strictEqual(section("policy-table"), renderPolicyTable(allPolicies), hint);
            assert.strictEqual(section("config-table"), renderConfigTable(allPolicies), hint);
        });
    });

    describe("config files", () => {
        for (const file of ["dev.json", "prod.json"]) {
            it(`config/${file} is a valid --policy-pack-config for this pack`, () => {
                resolvePolicyConfig(allPolicies, JSON.parse(read(PACK, "config", file)));
            });
        }
        it("prod requires deletion protection, dev does not", () => {
            const dev = resolvePolicyConfig(allPolicies, JSON.parse(read(PACK, "config", "dev.json")));
            const prod = resolvePolicyConfig(allPolicies, JSON.parse(read(PACK, "config", "prod.json")));
            assert.strictEqual(dev.get("rds-deletion-protection")!.properties.requireDeletionProtection, false);
            assert.strictEqual(prod.get("rds-deletion-protection")!.properties.requireDeletionProtection, true);
            assert.strictEqual(prod.get("rds-deletion-protection")!.enforcementLevel, "mandatory");
        });
        it("prod blocks on short backup retention (at least 7 days), dev only advises", () => {
            const dev = resolvePolicyConfig(allPolicies, JSON.parse(read(PACK, "config", "dev.json")));
            const prod = resolvePolicyConfig(allPolicies, JSON.parse(read(PACK, "config", "prod.json")));
            assert.strictEqual(prod.get("rds-backup-retention")!.enforcementLevel, "mandatory");
            assert.ok((prod.get("rds-backup-retention")!.properties.minDays as number) >= 7);
            assert.strictEqual(dev.get("rds-backup-retention")!.enforcementLevel, "advisory");
        });
        it("neither weakens the mandatory policies", () => {
            for (const file of ["dev.json", "prod.json"]) {
                const resolved = resolvePolicyConfig(allPolicies, JSON.parse(read(PACK, "config", file)));
                for (const name of [...MANDATORY_POLICY_NAMES, "db-subnet-group-not-public"]) {
                    assert.strictEqual(resolved.get(name)!.enforcementLevel, "mandatory", `${file}: ${name}`);
                }
            }
        });
    });
});
