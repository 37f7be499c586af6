/**
 * Who called, as the public entry established it. The app never checks a token itself: the
 * entry did (API Gateway's JWT authorizer, or the ALB's OIDC sign-in), and this module only
 * reads what the entry passed on, from places a client cannot write:
 *
 * - Lambda (HTTP API payload 2.0): `event.requestContext.authorizer.jwt.{claims, scopes}`,
 *   written by API Gateway after it validated the token.
 * - The server behind the HTTP API's VPC link (`CALLER_HEADERS=apiGatewayJwt`): the header
 *   `x-jwt-sub`, which the integration overwrites with the validated token's `sub` (and which the
 *   open health routes' integration removes).
 * - The server behind the public ALB with OIDC (`CALLER_HEADERS=albOidc`): `x-amzn-oidc-identity`
 *   (the user's `sub`) and the claims of `x-amzn-oidc-data`. The ALB signs that JWT (ES256); the
 *   app does NOT verify the signature (that needs the ALB's public key from
 *   `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`, i.e. egress the tasks may not
 *   have): it trusts the headers because its security group admits only the ALB, and the ALB
 *   authenticates every path but the health paths (unauthenticated requests are redirected or
 *   denied, never forwarded).
 *
 * With `CALLER_HEADERS` unset or `none` no header is read: a client sending `x-jwt-sub` to an
 * entry without sign-in names nobody.
 */
import { CALLER_HEADER_NAMES, type CallerSource } from "../contract";

export interface Caller {
    /** The subject (`sub`) at the identity provider. */
    readonly subject: string;
    /** Scopes the token grants (empty when the entry does not pass them on). */
    readonly scopes: readonly string[];
    /** String claims passed on by the entry (`sub`, `email`, `client_id`, ...). */
    readonly claims: Readonly<Record<string, string>>;
    /** Which entry established it. */
    readonly via: "apiGatewayJwt" | "albOidc";
}

/** The parts of a payload 2.0 event this module reads (API Gateway's JWT authorizer context). */
export interface JwtAuthorizerContext {
    readonly jwt?: {
        readonly claims?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
        readonly scopes?: readonly string[] | null;
    };
}

const MAX_SUBJECT = 256;

function subjectOf(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" && value.length <= MAX_SUBJECT ? value : undefined;
}

function stringClaims(claims: Readonly<Record<string, unknown>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(claims)) {
        if (typeof v === "string") out[k] = v;
        else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    }
    return out;
}

/**
 * The caller of a Lambda invocation: the validated token's claims. `scopes` as API Gateway
 * lists them (it fills them for routes with authorization scopes), else the `scope` claim split
 * on spaces (Cognito access tokens). Undefined on open routes and without an authorizer.
 */
export function callerFromAuthorizer(authorizer: JwtAuthorizerContext | undefined): Caller | undefined {
    const claims = authorizer?.jwt?.claims;
    if (claims === undefined || claims === null) return undefined;
    const subject = subjectOf(claims.sub);
    if (subject === undefined) return undefined;
    const strings = stringClaims(claims);
    const listed = authorizer?.jwt?.scopes;
    const scopes =
        Array.isArray(listed) && listed.length > 0
            ? listed.filter((s): s is string => typeof s === "string")
            : (strings.scope ?? strings.scp ?? "").split(" ").filter((s) => s !== "");
    return { subject, scopes, claims: strings, via: "apiGatewayJwt" };
}

/** The claims of a JWT's payload, unverified (see the module's note); undefined if it is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
    const parts = token.split(".");
    if (parts.length !== 3 || parts[1] === "") return undefined;
    try {
        const payload: unknown = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
        return payload !== null && typeof payload === "object" && !Array.isArray(payload)
            ? (payload as Record<string, unknown>)
            : undefined;
    } catch {
        return undefined;
    }
}

/** The caller of a request to the server, from the headers its entry is trusted to write. */
export function callerFromHeaders(
    headers: Readonly<Record<string, string | undefined>>,
    source: CallerSource,
): Caller | undefined {
    switch (source) {
        case "none":
            return undefined;
        case "apiGatewayJwt": {
            const subject = subjectOf(headers[CALLER_HEADER_NAMES.jwtSubject]);
            return subject === undefined ? undefined : { subject, scopes: [], claims: { sub: subject }, via: source };
        }
        case "albOidc": {
            const subject = subjectOf(headers[CALLER_HEADER_NAMES.albIdentity]);
            if (subject === undefined) return undefined;
            const data = headers[CALLER_HEADER_NAMES.albData];
            const payload = data === undefined ? undefined : decodeJwtPayload(data);
            // The data header describes the same user, or it is ignored.
            const claims = payload && payload.sub === subject ? stringClaims(payload) : { sub: subject };
            return { subject, scopes: [], claims, via: source };
        }
    }
}
