/** Routes: model ids that pick a model per request (router plugins, fallback). See docs/guides/routing.md. */
import type { RouterCall } from "./route-choice.js";

export { AUTO_ROUTE, ROUTE_FAILURE_KINDS, routesConfigSchema, routesOf, type RouteConfig, type RouteFailureKind, type RoutesConfig } from "./route-config.js";
export { checkRouterAnswer, chooseModels, type RouteChoice, type RouterCall, type RouterPick } from "./route-choice.js";
export { currentRouteReport, routeReports, servedModel, withRouteReport, type RouteDecision, type RouteReport } from "./route-report.js";
export { engineChat } from "./plugin-chat.js";
export { RoutedEngine, ROUTE_OWNER, type RoutedEngineOptions } from "./routed-engine.js";
export { reloadRoutes, reloadRoutesOnHangup } from "./routes-reload.js";
export type { CandidateTraits, RequestFeatures, RouterInput } from "./router-input.js";

/** What {@link pluginRouterCall} needs: the installed plugins' router calls. */
export interface RouterPlugins {
  callRouter(router: string, input: unknown, options?: { signal?: AbortSignal }): Promise<unknown>;
}

/** The {@link RouterCall} that runs a route's router in the plugin host, under the plugin's deadline. */
export function pluginRouterCall(plugins: RouterPlugins): RouterCall {
  return (router, input, signal) => plugins.callRouter(router, input, { signal });
}
