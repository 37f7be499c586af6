/**
 * The public entry as an API Gateway HTTP API: one catch-all route to a handler, a `$default`
 * stage with throttling and access logs, CORS from the options. The lambda mode puts it in
 * front of its API function ({@link createLambdaHttpApi}); the `apiGateway` ingress of the
 * container modes puts it in front of a VPC link to an internal ALB ({@link createVpcLinkHttpApi}).
 *
 * With `auth` (sign-in, lib/auth-plan.ts) it adds a JWT authorizer `<name>-jwt`, puts it on the
 * `$default` route (a valid token, no scope), adds the scoped routes `<name>-route-...` and
 * open routes for the health paths (`authorizationType: NONE`); with CORS too, per-method
 * `/{proxy+}` routes with the authorizer replace `$default` (see `JwtAuthPlan.catchAll`).
 * Without `auth` nothing of that exists and the `$default` route's inputs are as before.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CALLER_HEADER_NAMES } from "../../app/contract";
import { identityHeaderMapping, identityHeaderRemoval, type JwtAuthPlan, planJwtAuth } from "../../lib/auth-plan";
import { orThrow } from "../../lib/problems";
import {
    accessLogFormat,
    corsConfiguration,
    HTTP_API_DEFAULTS,
    authContext,
    HttpApiOptions,
    STAGE_NAME,
} from "../../lib/lambda-plan";

export interface HttpApi {
    api: aws.apigatewayv2.Api;
    stage: aws.apigatewayv2.Stage;
    accessLogGroup: aws.cloudwatch.LogGroup;
    /** The stage's URL; resolves once the routes and the invoke permission exist. */
    url: pulumi.Output<string>;
    /** The JWT authorizer, when `auth` is set. */
    authorizer?: aws.apigatewayv2.Authorizer;
}

/** What the `$default` route sends requests to. */
type Target =
    | { kind: "lambda"; fn: aws.lambda.Function }
    | { kind: "vpcLink"; vpcLinkId: pulumi.Input<string>; listenerArn: pulumi.Input<string> };

/**
 * Declares, under `parent`: the API `<name>`, its access log group `<name>-access`, the Lambda
 * proxy integration `<name>-api`, the route and stage `<name>-default`, and the permission
 * `<name>-apigw` for this API (any stage and route, no other API) to invoke the function.
 */
export function createLambdaHttpApi(
    parent: pulumi.Resource,
    name: string,
    fn: aws.lambda.Function,
    o: HttpApiOptions,
): HttpApi {
    return createHttpApi(parent, name, { kind: "lambda", fn }, o);
}

/**
 * Declares, under `parent`: the API `<name>`, its access log group `<name>-access`, an
 * HTTP_PROXY integration `<name>-api` through the VPC link `vpcLinkId` to the internal ALB's
 * listener `listenerArn`, and the route and stage `<name>-default`. "Working with private
 * integrations for HTTP APIs" (API Gateway developer guide): the integration URI of an ALB is
 * its listener's ARN, the connection is the VPC link (V2); the API, link and load balancer
 * must be in one account. With the `$default` stage no stage prefix reaches the app's paths.
 */
export function createVpcLinkHttpApi(
    parent: pulumi.Resource,
    name: string,
    target: { vpcLinkId: pulumi.Input<string>; listenerArn: pulumi.Input<string> },
    o: HttpApiOptions,
): HttpApi {
    return createHttpApi(parent, name, { kind: "vpcLink", ...target }, o);
}

function createHttpApi(parent: pulumi.Resource, name: string, target: Target, o: HttpApiOptions): HttpApi {
    const d = HTTP_API_DEFAULTS;
    const auth = o.auth === undefined ? undefined : orThrow("HttpApi", name, planJwtAuth(o.auth, authContext(o)));
    const opts = { parent };
    const accessLogGroup = new aws.cloudwatch.LogGroup(
        `${name}-access`,
        { retentionInDays: o.accessLogRetentionDays ?? d.accessLogRetentionDays },
        opts,
    );
    const cors = corsConfiguration(o.corsAllowOrigins ?? d.corsAllowOrigins);
    const api = new aws.apigatewayv2.Api(
        name,
        {
            protocolType: "HTTP",
            description: "Public entry of the app",
            disableExecuteApiEndpoint: false,
            ...(cors ? { corsConfiguration: cors } : {}),
        },
        opts,
    );
    const integration = new aws.apigatewayv2.Integration(
        `${name}-api`,
        target.kind === "lambda"
            ? {
                  apiId: api.id,
                  integrationType: "AWS_PROXY",
                  integrationMethod: "POST",
                  integrationUri: target.fn.invokeArn,
                  payloadFormatVersion: "2.0",
              }
            : {
                  apiId: api.id,
                  integrationType: "HTTP_PROXY",
                  integrationMethod: "ANY",
                  integrationUri: target.listenerArn,
                  connectionType: "VPC_LINK",
                  connectionId: target.vpcLinkId,
                  // HTTP APIs support only 1.0 for HTTP_PROXY integrations.
                  payloadFormatVersion: "1.0",
                  // With sign-in, the app learns who called from a header API Gateway writes.
                  ...(auth ? { requestParameters: identityHeaderMapping(CALLER_HEADER_NAMES.jwtSubject) } : {}),
              },
        opts,
    );
    const authorizer = auth ? jwtAuthorizer(parent, name, api, auth) : undefined;
    const routes: aws.apigatewayv2.Route[] = [];
    // Without sign-in, or with it and no CORS: the `$default` catch-all (with sign-in it needs a
    // valid token, no scope). With sign-in and CORS the per-method catch-alls of the plan
    // replace it, so that browsers' preflights reach API Gateway's own CORS answer.
    if (auth?.catchAll !== "perMethod")
        routes.push(
            new aws.apigatewayv2.Route(
                `${name}-default`,
                {
                    apiId: api.id,
                    routeKey: "$default",
                    target: pulumi.interpolate`integrations/${integration.id}`,
                    ...(authorizer ? { authorizationType: "JWT", authorizerId: authorizer.id } : {}),
                },
                opts,
            ),
        );
    if (auth && authorizer) routes.push(...authRoutes(parent, name, api, target, integration, authorizer, auth));
    const stage = new aws.apigatewayv2.Stage(
        `${name}-default`,
        {
            apiId: api.id,
            name: STAGE_NAME,
            autoDeploy: true,
            accessLogSettings: { destinationArn: accessLogGroup.arn, format: accessLogFormat() },
            defaultRouteSettings: {
                throttlingRateLimit: o.throttlingRateLimit ?? d.throttlingRateLimit,
                throttlingBurstLimit: o.throttlingBurstLimit ?? d.throttlingBurstLimit,
                detailedMetricsEnabled: true,
            },
        },
        opts,
    );
    const routeIds = routes.map((r) => r.id);
    if (target.kind === "vpcLink") {
        const url = pulumi.all([stage.invokeUrl, ...routeIds]).apply(([u]) => u);
        return { api, stage, accessLogGroup, url, authorizer };
    }
    const permission = new aws.lambda.Permission(
        `${name}-apigw`,
        {
            function: target.fn.name,
            action: "lambda:InvokeFunction",
            principal: "apigateway.amazonaws.com",
            // Any stage and route of this API only: not any API of the account.
            sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
        },
        opts,
    );
    const url = pulumi.all([stage.invokeUrl, permission.id, ...routeIds]).apply(([u]) => u);
    return { api, stage, accessLogGroup, url, authorizer };
}

/**
 * The JWT authorizer `<name>-jwt` ("Control access to HTTP APIs with JWT authorizers", API
 * Gateway developer guide): the token from `Authorization`, checked against the issuer's keys
 * (API Gateway fetches `<issuer>/.well-known/openid-configuration` and its `jwks_uri`, so a
 * first `pulumi up` needs the issuer reachable over HTTPS from the internet), `iss`, `aud` or
 * `client_id`, `exp` and `nbf`.
 */
function jwtAuthorizer(
    parent: pulumi.Resource,
    name: string,
    api: aws.apigatewayv2.Api,
    auth: JwtAuthPlan,
): aws.apigatewayv2.Authorizer {
    return new aws.apigatewayv2.Authorizer(
        `${name}-jwt`,
        {
            apiId: api.id,
            authorizerType: "JWT",
            identitySources: [auth.identitySource],
            jwtConfiguration: { issuer: auth.issuer, audiences: auth.audiences },
            name: `${name}-jwt`,
        },
        { parent },
    );
}

/**
 * The routes besides `$default`: the open health routes (`NONE`) and the scoped ones (`JWT` with
 * `authorizationScopes`). Behind a VPC link the open routes use their own integration
 * `<name>-open`, which removes the identity header a client may have sent, so no route lets a
 * client name itself to the app; the Lambda integration carries the claims in the event, which
 * no client can write, so every route shares it.
 */
function authRoutes(
    parent: pulumi.Resource,
    name: string,
    api: aws.apigatewayv2.Api,
    target: Target,
    integration: aws.apigatewayv2.Integration,
    authorizer: aws.apigatewayv2.Authorizer,
    auth: JwtAuthPlan,
): aws.apigatewayv2.Route[] {
    const opts = { parent };
    const open =
        target.kind === "vpcLink"
            ? new aws.apigatewayv2.Integration(
                  `${name}-open`,
                  {
                      apiId: api.id,
                      integrationType: "HTTP_PROXY",
                      integrationMethod: "ANY",
                      integrationUri: target.listenerArn,
                      connectionType: "VPC_LINK",
                      connectionId: target.vpcLinkId,
                      payloadFormatVersion: "1.0",
                      requestParameters: identityHeaderRemoval(CALLER_HEADER_NAMES.jwtSubject),
                  },
                  opts,
              )
            : integration;
    return auth.routes.map(
        (r) =>
            new aws.apigatewayv2.Route(
                `${name}-${r.name}`,
                {
                    apiId: api.id,
                    routeKey: r.routeKey,
                    target: pulumi.interpolate`integrations/${(r.open ? open : integration).id}`,
                    authorizationType: r.authorization,
                    ...(r.authorization === "JWT"
                        ? { authorizerId: authorizer.id, authorizationScopes: r.scopes }
                        : {}),
                },
                opts,
            ),
    );
}
