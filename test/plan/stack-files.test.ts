/**
 * Reading stack config the way the Pulumi CLI does (tools/stack-files.ts): by name or path,
 * project defaults, secure values, and clear errors (exit 2) for what cannot be read.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStack, StackFileError } from "../../tools/stack-files";
import { planCli, ROOT, tempFile, tempStackFile } from "../support/plan-cli";

/** A project folder with the given Pulumi.yaml and stack files. */
function project(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "private-app-project-"));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
}

function loadError(root: string, stack: string): string {
    try {
        loadStack(root, stack);
    } catch (e) {
        assert.ok(e instanceof StackFileError, `not a StackFileError: ${(e as Error).stack}`);
        return e.message;
    }
    assert.fail("expected a StackFileError");
}

describe("stack files", () => {
    it("a stack file anywhere, by path, named after its file", () => {
        const file = tempStackFile("elsewhere", { "aws:region": "eu-west-1" });
        const s = loadStack(ROOT, file);
        assert.strictEqual(s.name, "elsewhere");
        assert.strictEqual(s.config["aws:region"], "eu-west-1");
    });

    it("Pulumi.<name>.yml as well as .yaml, by name", () => {
        const root = project({ "Pulumi.yaml": "name: p\n", "Pulumi.qa.yml": "config:\n  p:x: 1\n" });
        assert.strictEqual(loadStack(root, "qa").config["p:x"], "1");
    });

    it("project defaults from Pulumi.yaml, overridden by the stack", () => {
        const root = project({
            "Pulumi.yaml":
                "name: p\nconfig:\n  a: { type: string, default: from-project }\n  b: { value: 2 }\n  c: plain\n  aws:region: us-east-1\n",
            "Pulumi.s.yaml": "config:\n  p:c: from-stack\n",
        });
        assert.deepStrictEqual(loadStack(root, "s").config, {
            "p:a": "from-project",
            "p:b": "2",
            "p:c": "from-stack",
            "aws:region": "us-east-1",
        });
    });

    it("a stack file without config, or empty: no config (the schema then names what is required)", () => {
        const root = project({
            "Pulumi.yaml": "name: p\n",
            "Pulumi.a.yaml": "encryptionsalt: x\n",
            "Pulumi.b.yaml": "",
        });
        assert.deepStrictEqual(loadStack(root, "a").config, {});
        assert.deepStrictEqual(loadStack(root, "b").config, {});
    });

    it('secure values, also nested, become "[secret]", are marked secret and are warned about', () => {
        const root = project({
            "Pulumi.yaml": "name: p\n",
            "Pulumi.s.yaml":
                "config:\n  p:token:\n    secure: v1:abc\n  p:db:\n    engine: postgres\n    password:\n      secure: v1:def\n  p:plain:\n    secure: true\n    other: 1\n",
        });
        const s = loadStack(root, "s");
        assert.strictEqual(s.config["p:token"], "[secret]");
        assert.deepStrictEqual(JSON.parse(s.config["p:db"]), { engine: "postgres", password: "[secret]" });
        assert.deepStrictEqual(
            JSON.parse(s.config["p:plain"]),
            { secure: true, other: 1 },
            "a field named secure is not a secure value",
        );
        assert.deepStrictEqual(s.secretKeys, ["p:token", "p:db"]);
        assert.ok(s.warnings.some((w) => /cannot be decrypted offline/.test(w) && w.includes("p:token, p:db")));
    });

    it("an ESC environment is warned about (it cannot be read offline)", () => {
        const root = project({
            "Pulumi.yaml": "name: p\n",
            "Pulumi.s.yaml": "environment:\n  - team/dev\nconfig: {}\n",
        });
        assert.match(loadStack(root, "s").warnings.join("\n"), /ESC environment.*team\/dev/);
    });

    it("clear errors for an unknown stack, a missing file, YAML errors, a folder, config that is not a mapping", () => {
        const root = project({
            "Pulumi.yaml": "name: p\n",
            "Pulumi.dev.yaml": "config: {}\n",
            "Pulumi.bad.yaml": "config:\n  a: [1\n",
            "Pulumi.list.yaml": "config:\n  - 1\n",
        });
        assert.match(loadError(root, "staging"), /unknown stack "staging".*\(stacks: bad, dev, list;/);
        assert.match(loadError(root, "/nowhere/Pulumi.x.yaml"), /no stack file \/nowhere\/Pulumi.x.yaml/);
        assert.match(loadError(root, "bad"), /Pulumi\.bad\.yaml: not valid YAML: /);
        assert.match(loadError(root, "list"), /"config" must be a mapping/);
        fs.mkdirSync(path.join(root, "Pulumi.dir.yaml"));
        assert.match(loadError(root, path.join(root, "Pulumi.dir.yaml")), /cannot read it \(EISDIR\)/);
        assert.match(loadError(project({ "Pulumi.yaml": "runtime: nodejs\n" }), "dev"), /missing the project name/);
    });

    it("through the CLI: exit 2 and one line on stderr for a YAML error; warnings on stderr, never on stdout", async () => {
        const bad = tempFile("Pulumi.broken.yaml", "config:\n  private-app:network: {cidr: \n");
        const r = await planCli([bad, "--json"]);
        assert.strictEqual(r.code, 2, r.stderr);
        assert.strictEqual(r.stdout, "");
        assert.match(r.stderr.trim(), /^\S+Pulumi\.broken\.yaml: not valid YAML: [^\n]+$/);

        const secure = tempFile(
            "Pulumi.sec.yaml",
            [
                "config:",
                "  aws:region: eu-west-1",
                "  private-app:compute: { mode: k8s }",
                "  private-app:database:",
                "    secure: v1:abc",
            ].join("\n"),
        );
        const s = await planCli([secure, "--json"]);
        assert.strictEqual(s.code, 2, s.stderr);
        assert.strictEqual(s.stdout, "");
        assert.match(s.stderr, /^warning: secure values of private-app:database cannot be decrypted offline/m);
        assert.match(s.stderr, /^private-app:database: got "\[secret\]"; expected an object with the fields engine, /m);
        assert.match(s.stderr, /^private-app:compute\.mode: got "k8s"; /m);
    });
});
