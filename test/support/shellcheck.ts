/**
 * Runs `shellcheck` (Debian's package, installed by .ci/run) on a script; says when the binary
 * is absent, so a test can skip with a clear message instead of passing silently.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export function shellcheck(script: string): { available: boolean; status: number | null; output: string } {
    const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    if (probe.error) return { available: false, status: null, output: String(probe.error) };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "private-app-userdata-")), "user-data.sh");
    fs.writeFileSync(file, script);
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", file], { encoding: "utf8" });
    return { available: true, status: r.status, output: `${r.stdout}${r.stderr}` };
}
