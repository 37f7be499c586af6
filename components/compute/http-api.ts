/**
 * The public entry as an API Gateway HTTP API: one catch-all route to a handler, a `$default`
 * stage with throttling and access logs, CORS from the options. The lambda mode puts it in
 * front of its API function; the `apiGateway` ingress of the container modes will put it in
 * front of a VPC link.
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
        {
            apiId: api.id,
            integrationType: "AWS_PROXY",
            integrationMethod: "POST",
            integrationUri: fn.invokeArn,
            payloadFormatVersion: "2.0",
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
    const permission = new aws.lambda.Permission(
        `${name}-apigw`,
        {
            function: fn.name,
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
