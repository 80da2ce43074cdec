/** `@shimmy/core`'s programmatic API: the server, the engine and their types. */
export { createApp, type AppOptions } from "./app.js";
export * from "./config/index.js";
export { LlamaEngine, type LlamaEngineOptions } from "./engine/llama-engine.js";
export type * from "./engine/types.js";
export { ERROR_CATALOG, ShimmyError, toErrorResponse, type ErrorCode, type OpenAIErrorBody } from "./errors.js";
export { createLogger, type Logger } from "./logger.js";
export { startServer, type RunningServer, type StartServerOptions } from "./server.js";
export { StartupError } from "./startup-error.js";
