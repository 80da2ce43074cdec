/** Every flag, environment variable and config-file key of Shimmy, with defaults. */
export { ConfigError } from "./config-error.js";
export { configFileSchema, readConfigFile, readSecretsFile, secretsFileSchema } from "./config-file.js";
export {
  DEFAULT_SERVER_URL, ENVIRONMENT_VARIABLES, HF_DEFAULT_ENDPOINT, colorFromEnv, homeFromEnv, hubCache, hubCacheFromEnv, hubSettingsFromEnv, modelPathsFromEnv, serverTarget, shimmyHome, shimmyHomeFromEnv, testPauseStep, testPluginStartMs,
  type EnvironmentVariable, type HubSettings, type ServerTarget, type ShimmyEnv,
} from "./environment.js";
export { configReferenceMarkdown, serveHelp } from "./help.js";
export { defaultPluginsConfigSchema, defaultPluginsOf, type DefaultPlugins } from "./default-plugins.js";
export {
  DEFAULT_REGISTRY, normalizeRegistryUrl, pinRegistryKeys, registriesConfigSchema, registryFor, registrySettings, registryToken,
  type PinnedKey, type RegistriesConfig, type RegistrySettings,
} from "./registries.js";
export { loadServeConfig, type LoadConfigOptions, type LoadedConfig } from "./load-config.js";
export { DEFAULT_HEALTH_CHECK_SECONDS, DEFAULT_UPSTREAM_CONCURRENCY, normalizeUpstreams, readUpstreams, type UpstreamConfig } from "./upstreams.js";
export {
  DEFAULT_CONTEXT_SIZE, GPU_SETTINGS, LOG_FORMATS, LOG_LEVELS, SERVE_OPTIONS, defaultServeConfig, defaultThreads,
  type GpuSetting, type LogFormat, type LogLevel, type OptionSpec, type ServeConfig,
} from "./options.js";
