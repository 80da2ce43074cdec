/** Model discovery's public API: what the server, the admin API and the CLI import. */
export { checkModelFiles, type CheckModelFilesOptions } from "./check-model-files.js";
export { discoverModels, type DiscoverOptions, type DiscoveryResult, type SkippedFile } from "./discovery.js";
export { HeaderCache, readModelHeader, type HeaderCacheStats, type HeaderReader, type ModelHeader } from "./header.js";
export { modelRoots, type DiscoveryEnv, type ModelRoot, type RootLayout, type RootOptions } from "./roots.js";
export { watchModelRoots, WATCH_DEPTH, type ModelRootsWatcher, type WatchOptions } from "./watch.js";
export { resolveAliases } from "./aliases.js";
export { fileTypeName, quantizationFromName } from "./ggml-types.js";
export type { DiscoveredModel, ModelCapability, ModelSource } from "./types.js";
