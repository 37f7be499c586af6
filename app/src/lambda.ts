/**
 * AWS Lambda entry point for an API Gateway HTTP API (payload format 2.0).
 *
 * The {@link App} (and with it the connection pool) is created on the first invocation and
 * kept for the life of the container, so warm invocations reuse open connections.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { type App, createApp } from "./app";
import { callerFromAuthorizer, type JwtAuthorizerContext } from "./caller";
import type { ApiRequest, ApiResponse } from "./routes";

/** Translates a v2 event into the router's request (base64 bodies decoded, stage prefix removed). */
export function requestFromEvent(event: APIGatewayProxyEventV2): ApiRequest {
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    let path = event.rawPath || "/";
    // A named stage (not `$default`) prefixes rawPath with "/<stage>".
    const stage = event.requestContext?.stage;
    if (stage !== undefined && stage !== "$default" && (path === `/${stage}` || path.startsWith(`/${stage}/`))) {
        path = path.slice(stage.length + 1) || "/";
    }
    const body =
        event.body === undefined || event.body === null
            ? undefined
            : event.isBase64Encoded
              ? Buffer.from(event.body, "base64")
              : Buffer.from(event.body, "utf8");
    return {
        method: (event.requestContext?.http?.method ?? "GET").toUpperCase(),
        path,
        query: new URLSearchParams(event.rawQueryString ?? ""),
        headers,
        body,
        requestId: event.requestContext?.requestId,
        // Set by API Gateway's JWT authorizer on routes that need a token; absent on open routes.
        caller: callerFromAuthorizer(
            (event.requestContext as { authorizer?: JwtAuthorizerContext } | undefined)?.authorizer,
        ),
    };
}

export function resultFromResponse(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
    return {
        statusCode: response.statusCode,
        headers: { ...response.headers },
        body: response.body,
        isBase64Encoded: false,
    };
}

export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** A handler bound to an app, or to one created lazily by `getApp` on first use. */
export function createLambdaHandler(getApp: () => App): ApiHandler {
    return async (event) => resultFromResponse(await getApp().handle(requestFromEvent(event)));
}

let app: App | undefined;

/** The Lambda handler (`index.handler` in the bundle). */
export const handler: ApiHandler = createLambdaHandler(() => (app ??= createApp(process.env)));
