/** The plugin host and its pieces, for the core and for `shimmy-plugin test`. */
export { PluginHost, type PluginHostOptions } from "./host.js";
export { PluginCallError, type PluginCallErrorCode } from "./plugin-call-error.js";
export { checkMemoryLimit, readMemoryLimits } from "@shimmy/plugin-sdk";
