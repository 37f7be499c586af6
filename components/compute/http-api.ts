/**
 * The public entry as an API Gateway HTTP API: one catch-all route to a handler, a `$default`
 * stage with throttling and access logs, CORS from the options. The lambda mode puts it in
 * front of its API function ({@link createLambdaHttpApi}); the `apiGateway` ingress of the
 * container modes puts it in front of a VPC link to an internal ALB ({@link createVpcLinkHttpApi}).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    accessLogFormat,
    corsConfiguration,
    HTTP_API_DEFAULTS,
    HttpApiOptions,
    STAGE_NAME,
} from "../../lib/lambda-plan";

export interface HttpApi {
    api: aws.apigatewayv2.Api;
    stage: aws.apigatewayv2.Stage;
    accessLogGroup: aws.cloudwatch.LogGroup;
    /** The stage's URL; resolves once the route and the invoke permission exist. */
    url: pulumi.Output<string>;
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
              },
        opts,
    );
    const route = new aws.apigatewayv2.Route(
        `${name}-default`,
        { apiId: api.id, routeKey: "$default", target: pulumi.interpolate`integrations/${integration.id}` },
        opts,
    );
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
    if (target.kind === "vpcLink") {
        const url = pulumi.all([stage.invokeUrl, route.id]).apply(([u]) => u);
        return { api, stage, accessLogGroup, url };
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
    const url = pulumi.all([stage.invokeUrl, route.id, permission.id]).apply(([u]) => u);
    return { api, stage, accessLogGroup, url };
}
