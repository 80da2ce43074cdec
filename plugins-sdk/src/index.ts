/**
 * `@shimmy/plugin-sdk`: the plugin manifest's JSON Schema, types and validator, and the checks the
 * core and the registry share: the package reader, the wasm module check and the pid lock.
 */
export {
  LIMIT_DEFAULTS,
  MANIFEST_SCHEMA,
  secretConfigKeys,
  exampleKind,
  supportsCoreVersion,
  validateManifest,
  type Capability,
  type CapabilityKind,
  type ConfigSchema,
  type EmbedderCapability,
  type JsonSchema,
  type ManifestError,
  type ManifestValidation,
  type PluginLimits,
  type PluginManifest,
  type PluginExample,
  type PluginManifestFile,
  type PluginPermissions,
  type RouterCapability,
  type StepCapability,
  type ToolAnnotations,
  type ToolCapability,
  type ToolExample,
} from "./manifest.js";
export {
  EMBEDDER_MAX_BATCH_DEFAULT,
  isEmbedderInput,
  sizeTemplateKey,
  type EmbedderInput,
  type EmbedderOutput,
} from "./embedder-contract.js";
export { pluginManifestReferenceMarkdown } from "./manifest-reference.js";
export { HOST_LIMITS, instanceMemory, type InstanceMemory } from "./host-limits.js";
export {
  checkModule,
  EXTISM_ENV,
  EXTISM_USER,
  ModuleCheckError,
  SHIMMY_FUNCTIONS,
  type CompiledModule,
  type ModuleCheckCode,
  type ShimmyFunctionName,
} from "./module-check.js";
export { checkModuleStarts, type StartCheckOptions } from "./start-check.js";
export { checkMemoryLimit, readMemoryLimits, readImportSignatures, type ImportSignature, type MemoryLimits, type WasmValueType } from "./wasm-sections.js";
export {
  keptFile,
  PACKAGE_CAPS,
  PackageError,
  readPackage,
  unsafeEntryPath,
  type PackageCaps,
  type PackageErrorCode,
  type ReadPackageOptions,
} from "./package-reader.js";
export { acquirePidLock, alive, PidLockHeldError, type PidLock } from "./pid-lock.js";
export { CodedError } from "./coded-error.js";
export { compileOnFirstUse } from "./compile-on-first-use.js";
export { loadStandalone, standaloneKey, standaloneSource } from "./standalone-validator.js";
export { writeNewFile } from "./write-new-file.js";
