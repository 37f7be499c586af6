/**
 * The user data of the `ec2` mode's instances: one bash script cloud-init runs once at first
 * boot, rendered from plain strings by a pure function (the component calls it inside
 * `pulumi.all(...).apply(...)` once the bucket, the log group and the database are known).
 *
 * What the script does, in order (any failing step stops it: `set -euo pipefail`; the instance
 * then never passes the load balancer's check and the group replaces it):
 * 1. installs Node.js ({@link NODE_MAJOR}) and the CloudWatch agent from the distribution's
 *    own repositories (`dnf`; AL2023's repositories are served from S3 in the region, reached
 *    through the S3 gateway endpoint when there is no NAT);
 * 2. creates the unprivileged system user the app runs as (no shell, no home);
 * 3. fetches exactly the planned object (bucket, key with the bundle's SHA-256) with the AWS
 *    CLI that AL2023 ships, and checks its SHA-256 before installing it read-only;
 * 4. writes the systemd unit: the app's environment contract as `Environment=` lines (host,
 *    port, database, user, and the secret's ARN or `DB_IAM_AUTH=true`: never a secret value),
 *    restart on failure, SIGTERM with a stop timeout above the server's drain time, sandboxing;
 *    its output appended to a log file the CloudWatch agent ships to the log group;
 * 5. configures and starts the CloudWatch agent (logs only), then enables and starts the app.
 *
 * The artifact's SHA-256 appears in the script (the object key and the check), so a new bundle
 * is a new script, a new launch template version, and an instance refresh.
 *
 * Pure module: no Pulumi resource declarations.
 */
import { NODE_MAJOR, STOP_TIMEOUT_SECONDS } from "./ec2-plan";

export interface UserDataInputs {
    /** The artifact bucket's name. */
    bucket: string;
    /** The artifact's object key (`server/<sha256>.js`). */
    key: string;
    /** Hex SHA-256 of the artifact. */
    sha256: string;
    region: string;
    /** The app's log group. */
    logGroupName: string;
    /** The app's environment, name → value (the unit's `Environment=` lines, sorted by name). */
    environment: Readonly<Record<string, string>>;
}

/** Where things live on the instance. */
export const INSTANCE_PATHS = {
    appDir: "/opt/private-app",
    server: "/opt/private-app/server.js",
    unit: "/etc/systemd/system/private-app.service",
    logDir: "/var/log/private-app",
    logFile: "/var/log/private-app/app.log",
    agentConfig: "/opt/aws/amazon-cloudwatch-agent/etc/private-app.json",
    logrotate: "/etc/logrotate.d/private-app",
} as const;

/** The unprivileged system user the app runs as. */
export const APP_USER = "private-app";
export const UNIT_NAME = "private-app.service";

/** A value inside a double-quoted systemd `Environment=` assignment (systemd.syntax: `\` and `"` escaped; `%` is a specifier). */
export function systemdQuote(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\n/g, "\\n");
}

/** A value as one single-quoted shell word. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The systemd unit that runs the server. */
export function renderUnit(environment: Readonly<Record<string, string>>): string {
    const env = Object.keys(environment)
        .sort()
        .map((k) => `Environment="${k}=${systemdQuote(environment[k]!)}"`);
    return [
        "[Unit]",
        "Description=private-app HTTP server",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        `User=${APP_USER}`,
        `Group=${APP_USER}`,
        ...env,
        `ExecStart=/usr/bin/node-${NODE_MAJOR} ${INSTANCE_PATHS.server}`,
        "Restart=on-failure",
        "RestartSec=5",
        // The server drains in-flight requests for up to 20 s after SIGTERM, then exits.
        "KillSignal=SIGTERM",
        `TimeoutStopSec=${STOP_TIMEOUT_SECONDS}`,
        `StandardOutput=append:${INSTANCE_PATHS.logFile}`,
        "StandardError=inherit",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectControlGroups=yes",
        "RestrictSUIDSGID=yes",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/** The CloudWatch agent's configuration: the app's log file to the log group, nothing else. */
export function renderAgentConfig(logGroupName: string): string {
    return JSON.stringify(
        {
            agent: { run_as_user: "root" },
            logs: {
                logs_collected: {
                    files: {
                        collect_list: [
                            {
                                file_path: INSTANCE_PATHS.logFile,
                                log_group_name: logGroupName,
                                log_stream_name: "{instance_id}",
                                retention_in_days: -1,
                            },
                        ],
                    },
                },
            },
        },
        null,
        2,
    );
}

/** The `Environment=` assignments of a rendered unit, name → value (unescaped). */
export function unitEnvironment(unit: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const line of unit.split("\n")) {
        const m = /^Environment="([A-Z_][A-Z0-9_]*)=(.*)"$/.exec(line);
        if (!m) continue;
        env[m[1]!] = m[2]!
            .replace(/%%/g, "%")
            .replace(/\\n/g, "\n")
            .replace(/\\(["\\])/g, "$1");
    }
    return env;
}

/** The unit embedded in a rendered script (between its heredoc markers). */
export function unitOfUserData(script: string): string {
    const m = /<<'PRIVATE_APP_UNIT'\n([\s\S]*?)\nPRIVATE_APP_UNIT\n/.exec(script);
    return m ? `${m[1]}\n` : "";
}

/** The whole user data script. */
export function renderUserData(i: UserDataInputs): string {
    const p = INSTANCE_PATHS;
    return [
        "#!/bin/bash",
        "# private-app: first-boot setup of an instance of the ec2 compute mode (lib/ec2-user-data.ts).",
        `# Artifact sha256: ${i.sha256}`,
        "set -euo pipefail",
        "umask 022",
        "",
        `readonly BUCKET=${shellQuote(i.bucket)}`,
        `readonly KEY=${shellQuote(i.key)}`,
        `readonly SHA256=${shellQuote(i.sha256)}`,
        `readonly REGION=${shellQuote(i.region)}`,
        "",
        "# 1. Node.js and the CloudWatch agent from the distribution's repositories.",
        `dnf install -y nodejs${NODE_MAJOR} amazon-cloudwatch-agent`,
        "",
        "# 2. The unprivileged user the app runs as.",
        `if ! id -u ${APP_USER} >/dev/null 2>&1; then`,
        `    useradd --system --no-create-home --shell /sbin/nologin ${APP_USER}`,
        "fi",
        `install -d -m 0755 -o root -g root ${p.appDir}`,
        `install -d -m 0750 -o root -g ${APP_USER} ${p.logDir}`,
        "",
        "# 3. Exactly the planned artifact, checked before it is installed.",
        `tmp="$(mktemp ${p.appDir}/server.js.XXXXXX)"`,
        'aws s3api get-object --region "$REGION" --bucket "$BUCKET" --key "$KEY" "$tmp" >/dev/null',
        'echo "$SHA256  $tmp" | sha256sum --check --strict --quiet',
        `install -m 0444 -o root -g root "$tmp" ${p.server}`,
        'rm -f "$tmp"',
        "",
        "# 4. The service: the app's environment contract, never a secret value.",
        `cat > ${p.unit} <<'PRIVATE_APP_UNIT'`,
        renderUnit(i.environment).replace(/\n$/, ""),
        "PRIVATE_APP_UNIT",
        `chmod 0644 ${p.unit}`,
        `cat > ${p.logrotate} <<'PRIVATE_APP_LOGROTATE'`,
        `${p.logFile} {`,
        "    daily",
        "    rotate 3",
        "    maxsize 100M",
        "    compress",
        "    missingok",
        "    copytruncate",
        "}",
        "PRIVATE_APP_LOGROTATE",
        "",
        "# 5. Ship the app's log, then start the app.",
        `cat > ${p.agentConfig} <<'PRIVATE_APP_AGENT'`,
        renderAgentConfig(i.logGroupName),
        "PRIVATE_APP_AGENT",
        `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${p.agentConfig}`,
        "systemctl daemon-reload",
        `systemctl enable --now ${UNIT_NAME}`,
        "",
    ].join("\n");
}
