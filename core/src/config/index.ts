/** Every flag, environment variable and config-file key of Shimmy, with defaults. */
export { ConfigError } from "./config-error.js";
export { configFileSchema, readConfigFile, readSecretsFile, secretsFileSchema } from "./config-file.js";
export {
  DEFAULT_SERVER_URL, ENVIRONMENT_VARIABLES, homeFromEnv, modelPathsFromEnv, serverTarget, shimmyHome, shimmyHomeFromEnv, testPauseStep,
  type EnvironmentVariable, type ServerTarget, type ShimmyEnv,
} from "./environment.js";
export { configReferenceMarkdown, serveHelp } from "./help.js";
export { loadServeConfig, type LoadConfigOptions, type LoadedConfig } from "./load-config.js";
export {
  DEFAULT_CONTEXT_SIZE, GPU_SETTINGS, LOG_LEVELS, SERVE_OPTIONS, defaultServeConfig, defaultThreads,
  type GpuSetting, type LogLevel, type OptionSpec, type ServeConfig,
} from "./options.js";
