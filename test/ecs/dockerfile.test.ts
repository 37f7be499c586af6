/**
 * app/Dockerfile, checked statically (no Docker engine runs here): two stages, a pinned Node 22
 * slim base, the server bundle only in the final stage, a non-root user, no HEALTHCHECK, an
 * exec-form CMD; and the build stage's bundling command, run here as it runs in the image.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DOCKERFILE, dockerBuild } from "../../app/build";

const ROOT = path.resolve(__dirname, "..", "..");

/** Instructions (continuation lines joined, comments dropped), with the stage they belong to. */
function instructions(text: string): { stage: number; op: string; args: string }[] {
    const out: { stage: number; op: string; args: string }[] = [];
    let stage = -1;
    const joined = text.replace(/\\\n/g, " ");
    for (const raw of joined.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        const [op, ...rest] = line.split(/\s+/);
        if (op!.toUpperCase() === "FROM") stage++;
        out.push({ stage, op: op!.toUpperCase(), args: rest.join(" ") });
    }
    return out;
}

describe("app/Dockerfile", () => {
    const text = fs.readFileSync(DOCKERFILE, "utf8");
    const ins = instructions(text);
    const last = Math.max(...ins.map((i) => i.stage));
    const final = ins.filter((i) => i.stage === last);

    it("has two stages on the same pinned Node 22 slim base", () => {
        const froms = ins.filter((i) => i.op === "FROM").map((i) => i.args.split(/\s+/)[0]);
        assert.strictEqual(froms.length, 2);
        for (const f of froms) assert.match(f!, /^node:22\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/);
        assert.strictEqual(froms[0], froms[1]);
    });

    it("the final stage holds the server bundle only, runs as a non-root user, without HEALTHCHECK", () => {
        const copies = final.filter((i) => i.op === "COPY" || i.op === "ADD");
        assert.deepStrictEqual(
            copies.map((c) => c.args),
            ["--from=build /out/server.js ./server.js"],
        );
        assert.ok(!final.some((i) => i.op === "RUN"), "nothing installed in the final stage");
        const user = final.filter((i) => i.op === "USER").map((i) => i.args);
        assert.deepStrictEqual(user, ["node"]);
        assert.ok(!ins.some((i) => i.op === "HEALTHCHECK"));
        assert.deepStrictEqual(JSON.parse(final.find((i) => i.op === "CMD")!.args), ["node", "server.js"]);
        assert.ok(final.some((i) => i.op === "EXPOSE" && i.args === "8080"));
    });

    it("the build stage's bundling command produces a server that starts", function () {
        this.timeout(60_000);
        const run = ins.find((i) => i.stage === 0 && i.op === "RUN" && i.args.includes("bundleServer"))!;
        const script = /-e\s+"(.*)"\s*$/.exec(run.args)![1]!;
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "private-app-docker-"));
        execFileSync(process.execPath, ["-r", "./tools/register.js", "-e", script.replace("/out/", `${out}/`)], {
            cwd: ROOT,
        });
        const server = path.join(out, "server.js");
        assert.ok(fs.statSync(server).size > 100_000);
        // Without its database settings the server refuses to start, naming them (it did load).
        let stderr = "";
        try {
            execFileSync(process.execPath, [server], { env: { PATH: process.env.PATH ?? "" }, stdio: "pipe" });
        } catch (e) {
            stderr = String((e as { stderr?: Buffer }).stderr ?? "") + String((e as { stdout?: Buffer }).stdout ?? "");
        }
        assert.match(stderr, /DB_HOST/);
    });

    it("the build context (.dockerignore) keeps what the build stage copies", () => {
        const ignored = fs
            .readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith("#"));
        for (const needed of ["package.json", "package-lock.json", "tsconfig.json", "tools", "app"])
            assert.ok(!ignored.includes(needed), needed);
        assert.ok(ignored.includes("node_modules"));
    });

    it("the program's build tag changes with the server or the Dockerfile only", () => {
        const a = dockerBuild();
        assert.strictEqual(a.context, ROOT);
        assert.match(a.tag, /^[0-9a-f]{20}$/);
        assert.strictEqual(dockerBuild().tag, a.tag);
    });
});
