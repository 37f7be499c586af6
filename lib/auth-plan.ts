/**
 * Sign-in at the public entry, planned: the HTTP API's JWT authorizer (`compute.api.auth`) and
 * the public ALB's OIDC authentication (`compute.alb.oidc`). Both are off by default.
 *
 * - **JWT authorizer** ("Control access to HTTP APIs with JWT authorizers", API Gateway
 *   developer guide): API Gateway takes the token from `Authorization` (`Bearer` prefix
 *   optional), checks its signature against the issuer's JWKS (found through
 *   `<issuer>/.well-known/openid-configuration`), `iss` (equal to {@link JwtAuthOptions.issuer}),
 *   `aud` or `client_id` (one of the audiences), `exp`, `nbf`, and, on a route with
 *   `authorizationScopes`, that `scope`/`scp` holds at least one of them. The plan: the
 *   health paths of the app's contract stay open (`authorizationType: NONE`), every listed route
 *   needs a valid token with one of its scopes, and the `$default` catch-all needs a valid token
 *   (no scope); with CORS configured, per-method `/{proxy+}` routes replace `$default` so that
 *   browsers' preflights get API Gateway's own CORS answer. Routes match by exact key before
 *   greedy paths and `$default` ("Working with routes for HTTP APIs": the most specific route
 *   wins; `ANY` loses to an exact method).
 * - **ALB OIDC** ("Authenticate users using an Application Load Balancer", ELB user guide):
 *   the HTTPS listener's default action becomes `authenticate-oidc` (order 1) then `forward`
 *   (order 2); rules for the health paths forward without sign-in (the target group's checks
 *   do not pass through the listener, but a monitor calling `/health` does).
 *
 * Pure module: no Pulumi resource declarations. Planners see no secret values: the OIDC client
 * secret is only checked to be present and kept secure in the stack.
 */
import { type CallerSource, HEALTH_PATHS } from "../app/contract";
import { Problem, problem } from "./problems";

// ---------------------------------------------------------------------------------------------
// JWT authorizer of the HTTP API
// ---------------------------------------------------------------------------------------------
/** Where API Gateway reads the token ("identitySource" of a JWT authorizer). */
export const JWT_IDENTITY_SOURCE = "$request.header.Authorization";
/** Methods a route key may name (HTTP API route keys: `METHOD /path`, or `ANY /path`). */
export const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"] as const;
/** The routes that stay open when the authorizer is on: the app's health paths (app/contract.ts). */
export const OPEN_ROUTE_KEYS: readonly string[] = [`GET ${HEALTH_PATHS.readiness}`, `GET ${HEALTH_PATHS.liveness}`];

/** A route that needs one of some scopes. */
export interface ScopedRoute {
    /**
     * An HTTP API route key: a method (or `ANY`) and a path, with `{param}` segments and a last
     * greedy `{proxy+}` allowed.
     * @example "POST /api/notes"
     */
    route: string;
    /**
     * The token must hold at least one of these in its `scope` (or `scp`) claim. For Cognito, a
     * resource server's scope is `<identifier>/<name>`.
     * @example ["notes/write"]
     */
    scopes: string[];
}

/** `compute.api.auth`: a JWT authorizer on the HTTP API. Unset: no sign-in (every route open). */
export interface JwtAuthOptions {
    /**
     * The issuer, exactly as the tokens' `iss` claim: an `https://` URL whose
     * `/.well-known/openid-configuration` API Gateway can fetch. Cognito:
     * `https://cognito-idp.<region>.amazonaws.com/<user pool id>`.
     * @example "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI"
     */
    issuer: string;
    /**
     * Accepted audiences: a token's `aud` (or `client_id`, as in Cognito access tokens) must be
     * one of them. For Cognito, the app client ids.
     * @example ["1example23456789"]
     */
    audiences: string[];
    /**
     * Routes that need a scope besides a valid token (writes, in the examples). Every other route
     * needs a valid token, except the health paths, which stay open.
     * @default []
     * @example [{ route: "POST /api/notes", scopes: ["notes/write"] }]
     */
    routes?: ScopedRoute[];
}

export const JWT_AUTH_DEFAULTS = { routes: [] as readonly ScopedRoute[] } as const;

/** One route of the planned API. `name` is the resource name's suffix. */
export interface PlannedRoute {
    routeKey: string;
    /** `<api name>-<name>`: stable for a given route key. */
    name: string;
    authorization: "JWT" | "NONE";
    scopes: string[];
    /** Open routes go to an integration that forwards no identity header. */
    open: boolean;
}

export interface JwtAuthPlan {
    issuer: string;
    audiences: string[];
    identitySource: string;
    /**
     * What catches the routes not listed: `default`, the `$default` route with the authorizer
     * (a token, no scope); or, when CORS is configured, `perMethod`: no `$default` route but
     * `<METHOD> /{proxy+}` routes with the authorizer for every method except OPTIONS. Browsers
     * send CORS preflights (OPTIONS) without a token; API Gateway answers them itself only when
     * no route matches them ("Configure CORS for HTTP APIs": it "automatically sends a response
     * to preflight OPTIONS requests, even if there isn't an OPTIONS route"), and a `$default`
     * route with an authorizer would match them and answer 401.
     */
    catchAll: "default" | "perMethod";
    /** Every route besides `$default`, open ones first. */
    routes: PlannedRoute[];
}

/** The methods the `perMethod` catch-all covers (every one a browser sends but OPTIONS). */
export const CATCH_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export const CATCH_ALL_PATH = "/{proxy+}";

/** The resource-name suffix of a route key: `POST /api/notes/{id}` → `route-post-api-notes-id`. */
export function routeName(routeKey: string): string {
    const slug = routeKey
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "");
    return `route-${slug}`;
}

const ROUTE_KEY = new RegExp(
    `^(${ROUTE_METHODS.join("|")}) (/|(/([A-Za-z0-9._~-]+|\\{[A-Za-z_][A-Za-z0-9_]*\\}))*(/\\{[A-Za-z_][A-Za-z0-9_]*\\+\\})?)$`,
);
/** RFC 6749 scope-token: printable ASCII except space, `"` and `\\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** An `https://` URL with a host and no query or fragment (an issuer, an IdP endpoint). */
export function isHttpsUrl(value: unknown): boolean {
    if (typeof value !== "string") return false;
    let u: URL;
    try {
        u = new URL(value);
    } catch {
        return false;
    }
    return u.protocol === "https:" && u.hostname !== "" && u.search === "" && u.hash === "" && !/\s/.test(value);
}

/** Validates `compute.api.auth` and plans the authorizer's routes. */
export function planJwtAuth(
    o: JwtAuthOptions,
    context: { cors: boolean } = { cors: false },
): { plan?: JwtAuthPlan; problems: Problem[] } {
    const problems: Problem[] = [];
    if (!isHttpsUrl(o.issuer))
        problems.push(
            problem(
                "issuer",
                o.issuer,
                "expected the issuer as an https:// URL, exactly as the tokens' iss claim (Cognito: https://cognito-idp.<region>.amazonaws.com/<user pool id>)",
                "set auth.issuer to your identity provider's issuer URL",
            ),
        );
    const audiences: unknown = o.audiences;
    if (!Array.isArray(audiences) || audiences.length === 0) {
        problems.push(
            problem(
                "audiences",
                audiences,
                "expected a non-empty list of audiences (a token's aud or client_id must be one of them)",
                "list your app client ids (Cognito) or API identifiers in auth.audiences",
            ),
        );
    } else {
        audiences.forEach((a, i) => {
            if (typeof a !== "string" || a.trim() === "" || audiences.indexOf(a) !== i)
                problems.push(
                    problem(
                        `audiences[${i}]`,
                        a,
                        "expected a non-empty audience, each listed once",
                        "correct or remove it",
                    ),
                );
        });
    }
    const routes: unknown = o.routes ?? JWT_AUTH_DEFAULTS.routes;
    const planned: PlannedRoute[] = OPEN_ROUTE_KEYS.map((routeKey) => ({
        routeKey,
        name: routeName(routeKey),
        authorization: "NONE" as const,
        scopes: [],
        open: true,
    }));
    if (!Array.isArray(routes)) {
        problems.push(
            problem(
                "routes",
                routes,
                'expected a list such as [{ route: "POST /api/notes", scopes: ["notes/write"] }]',
                "list the routes that need a scope",
            ),
        );
    } else {
        routes.forEach((r: ScopedRoute, i) => {
            const key = typeof r?.route === "string" ? r.route : undefined;
            if (key === undefined || !ROUTE_KEY.test(key)) {
                problems.push(
                    problem(
                        `routes[${i}].route`,
                        r?.route,
                        `expected an HTTP API route key: a method (${ROUTE_METHODS.join(", ")}) and a path such as /api/notes or /api/notes/{id}`,
                        'write it as "POST /api/notes"',
                    ),
                );
            } else if (OPEN_ROUTE_KEYS.includes(key)) {
                problems.push(
                    problem(
                        `routes[${i}].route`,
                        key,
                        `the health paths (${OPEN_ROUTE_KEYS.join(", ")}) stay open so load balancers and monitors can call them`,
                        "remove this route",
                    ),
                );
            } else if (planned.some((p) => p.name === routeName(key))) {
                problems.push(
                    problem(
                        `routes[${i}].route`,
                        key,
                        "is listed twice (or differs from another only in punctuation, which names the same resource)",
                        "list each route once",
                    ),
                );
            }
            const scopes: unknown = r?.scopes;
            const scopesOk =
                Array.isArray(scopes) &&
                scopes.length > 0 &&
                scopes.every((s) => typeof s === "string" && SCOPE_TOKEN.test(s));
            if (!scopesOk)
                problems.push(
                    problem(
                        `routes[${i}].scopes`,
                        scopes,
                        'expected a non-empty list of scopes (no spaces or quotes), such as ["notes/write"]; a route without a scope already needs a valid token',
                        "list the scopes, or remove the route",
                    ),
                );
            if (key !== undefined && scopesOk && ROUTE_KEY.test(key))
                planned.push({
                    routeKey: key,
                    name: routeName(key),
                    authorization: "JWT",
                    scopes: [...(scopes as string[])],
                    open: false,
                });
        });
    }
    if (problems.length > 0) return { problems };
    const catchAll: JwtAuthPlan["catchAll"] = context.cors ? "perMethod" : "default";
    if (catchAll === "perMethod") {
        // A listed route with the same key keeps its scopes.
        for (const method of CATCH_ALL_METHODS) {
            const routeKey = `${method} ${CATCH_ALL_PATH}`;
            if (planned.some((p) => p.routeKey === routeKey)) continue;
            planned.push({ routeKey, name: routeName(routeKey), authorization: "JWT", scopes: [], open: false });
        }
    }
    return {
        problems,
        plan: {
            issuer: o.issuer,
            audiences: [...o.audiences],
            identitySource: JWT_IDENTITY_SOURCE,
            catchAll,
            routes: planned,
        },
    };
}

/**
 * What the HTTP API's VPC-link integration writes for the app (container modes): the validated
 * token's `sub` in the header the server reads. `overwrite:` replaces any value a client sent
 * ("Transform API requests and responses for HTTP APIs": `overwrite:header.<name>` with
 * `$context.authorizer.claims.<claim>`). Only `sub`: every OIDC token carries it; the effect of
 * a claim a token lacks is not documented, so nothing optional is mapped.
 */
export function identityHeaderMapping(headerName: string): Record<string, string> {
    return { [`overwrite:header.${headerName}`]: "$context.authorizer.claims.sub" };
}

/** What the open routes' integration does with the identity header: removes any a client sent. */
export function identityHeaderRemoval(headerName: string): Record<string, string> {
    // A remove mapping takes no value: the empty string, as the AWS CDK's removeHeader writes it.
    return { [`remove:header.${headerName}`]: "" };
}

// ---------------------------------------------------------------------------------------------
// OIDC authentication on the public ALB
// ---------------------------------------------------------------------------------------------
export const UNAUTHENTICATED_ACTIONS = ["authenticate", "deny"] as const;
export type UnauthenticatedAction = (typeof UNAUTHENTICATED_ACTIONS)[number];
/** ELB's limits on the session cookie's lifetime (seconds): 1 s to 7 days. */
export const SESSION_TIMEOUT_RANGE = { min: 1, max: 604_800 } as const;

/** `compute.alb.oidc`: sign-in with an OpenID Connect provider at the public ALB. Unset: no sign-in. */
export interface AlbOidcOptions {
    /**
     * The IdP's issuer (`issuer` of its `/.well-known/openid-configuration`), https.
     * @example "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI"
     */
    issuer: string;
    /**
     * The IdP's authorization endpoint (where browsers are sent to sign in), https.
     * @example "https://auth.example.com/oauth2/authorize"
     */
    authorizationEndpoint: string;
    /**
     * The IdP's token endpoint (the ALB calls it), https.
     * @example "https://auth.example.com/oauth2/token"
     */
    tokenEndpoint: string;
    /**
     * The IdP's user info endpoint (the ALB calls it), https.
     * @example "https://auth.example.com/oauth2/userInfo"
     */
    userInfoEndpoint: string;
    /**
     * The OAuth 2.0 client id of the app registered at the IdP (with the redirect URL
     * `https://<domain>/oauth2/idpresponse`).
     */
    clientId: string;
    /**
     * The client's secret: a secure stack value only
     * (`pulumi config set --secret --path compute.alb.oidc.clientSecret ...`); plain text is refused.
     */
    clientSecret: string;
    /**
     * Scopes the ALB asks for.
     * @default "openid"
     * @example "openid email"
     */
    scope?: string;
    /**
     * Lifetime of the ALB's session cookie, in seconds (1 to 604800).
     * @default 604800
     */
    sessionTimeoutSeconds?: number;
    /**
     * What an unauthenticated request gets: `authenticate` (redirect to the IdP) or `deny` (401,
     * for API clients). `allow` is refused: it would let requests without a session reach the
     * app, where the identity headers could then come from the client.
     * @default "authenticate"
     */
    onUnauthenticatedRequest?: UnauthenticatedAction;
}

export const ALB_OIDC_DEFAULTS = {
    scope: "openid",
    sessionTimeoutSeconds: SESSION_TIMEOUT_RANGE.max,
    onUnauthenticatedRequest: "authenticate" as UnauthenticatedAction,
} as const;

/** The paths the ALB forwards without sign-in: the app's health paths. */
export const ALB_OPEN_PATHS: readonly string[] = [HEALTH_PATHS.readiness, HEALTH_PATHS.liveness];

/** Validates `compute.alb.oidc`. `clientSecretIsSecure`: the stack keeps the value encrypted. */
export function planAlbOidc(o: AlbOidcOptions, context: { clientSecretIsSecure: boolean }): Problem[] {
    const problems: Problem[] = [];
    for (const key of ["issuer", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint"] as const) {
        if (!isHttpsUrl(o[key]))
            problems.push(
                problem(
                    key,
                    o[key],
                    "expected an https:// URL (see the IdP's /.well-known/openid-configuration)",
                    `set oidc.${key} to the IdP's value`,
                ),
            );
    }
    if (typeof o.clientId !== "string" || o.clientId.trim() === "")
        problems.push(problem("clientId", o.clientId, "expected the OAuth 2.0 client id", "set oidc.clientId"));
    if (typeof o.clientSecret !== "string" || o.clientSecret === "")
        problems.push(
            problem(
                "clientSecret",
                undefined,
                "the OIDC client secret is required",
                "pulumi config set --secret --path 'compute.alb.oidc.clientSecret' <secret>",
            ),
        );
    else if (!context.clientSecretIsSecure)
        problems.push(
            problem(
                "clientSecret",
                "[plain text, not shown]",
                "must be a secure (encrypted) stack value, never plain text in the stack file",
                "pulumi config set --secret --path 'compute.alb.oidc.clientSecret' <secret>",
            ),
        );
    if (
        o.scope !== undefined &&
        (typeof o.scope !== "string" ||
            !/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(o.scope) ||
            !o.scope.split(" ").includes("openid"))
    )
        problems.push(
            problem(
                "scope",
                o.scope,
                "expected space-separated scopes including openid (the ALB needs an ID token)",
                'set oidc.scope to "openid" or add more, such as "openid email"',
            ),
        );
    const t = o.sessionTimeoutSeconds;
    if (
        t !== undefined &&
        (typeof t !== "number" ||
            !Number.isInteger(t) ||
            t < SESSION_TIMEOUT_RANGE.min ||
            t > SESSION_TIMEOUT_RANGE.max)
    )
        problems.push(
            problem(
                "sessionTimeoutSeconds",
                t,
                `expected a whole number of seconds from ${SESSION_TIMEOUT_RANGE.min} to ${SESSION_TIMEOUT_RANGE.max} (7 days)`,
                "set oidc.sessionTimeoutSeconds in that range",
            ),
        );
    const u = o.onUnauthenticatedRequest;
    if (u !== undefined && !(UNAUTHENTICATED_ACTIONS as readonly string[]).includes(u))
        problems.push(
            problem(
                "onUnauthenticatedRequest",
                u,
                `expected one of: ${UNAUTHENTICATED_ACTIONS.join(", ")} (allow would let requests without a session reach the app)`,
                "set it to authenticate (browsers) or deny (API clients)",
            ),
        );
    return problems;
}

/** The `authenticateOidc` block of the listener's first action (the secret passed in by the component). */
export function albOidcAction<S>(o: AlbOidcOptions, clientSecret: S) {
    const d = ALB_OIDC_DEFAULTS;
    return {
        issuer: o.issuer,
        authorizationEndpoint: o.authorizationEndpoint,
        tokenEndpoint: o.tokenEndpoint,
        userInfoEndpoint: o.userInfoEndpoint,
        clientId: o.clientId,
        clientSecret,
        scope: o.scope ?? d.scope,
        sessionTimeout: o.sessionTimeoutSeconds ?? d.sessionTimeoutSeconds,
        onUnauthenticatedRequest: o.onUnauthenticatedRequest ?? d.onUnauthenticatedRequest,
    };
}

/** A copy of the ALB options fit for a problem line: the client secret masked. */
export function redactAlbOptions<T>(alb: T): T {
    const o = alb as { oidc?: { clientSecret?: unknown } } | undefined;
    if (o === undefined || o === null || typeof o !== "object" || o.oidc === undefined || o.oidc === null) return alb;
    return { ...o, oidc: { ...o.oidc, clientSecret: "[secret]" } } as T;
}

/**
 * Which sign-in headers the app's server may trust (`CALLER_HEADERS`), from the public entry:
 * only the entry that writes them (and whose load balancer alone reaches the tasks) makes them
 * trustworthy. `none` when nobody signs in.
 */
export function callerSource(entry: {
    ingress: "alb" | "apiGateway";
    apiAuth: boolean;
    albOidc: boolean;
}): CallerSource {
    if (entry.ingress === "apiGateway") return entry.apiAuth ? "apiGatewayJwt" : "none";
    return entry.albOidc ? "albOidc" : "none";
}
