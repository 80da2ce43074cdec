/** Every flag, environment variable and config-file key of Shimmy, with defaults. */
export { ConfigError } from "./config-error.js";
export { configFileSchema, readConfigFile, readSecretsFile, secretsFileSchema, shimmyHome } from "./config-file.js";
export { configReferenceMarkdown, serveHelp } from "./help.js";
export { loadServeConfig, type LoadConfigOptions, type LoadedConfig } from "./load-config.js";
export {
  DEFAULT_CONTEXT_SIZE, GPU_SETTINGS, LOG_LEVELS, SERVE_OPTIONS, defaultServeConfig, defaultThreads,
  type GpuSetting, type LogLevel, type OptionSpec, type ServeConfig,
} from "./options.js";
