/** `@shimmy/plugin-sdk`: the plugin manifest's JSON Schema, types and validator. */
export {
  LIMIT_DEFAULTS,
  MANIFEST_SCHEMA,
  secretConfigKeys,
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
  type PluginManifestFile,
  type PluginPermissions,
  type RouterCapability,
  type StepCapability,
  type ToolAnnotations,
  type ToolCapability,
  type ToolExample,
} from "./manifest.js";
export { pluginManifestReferenceMarkdown } from "./manifest-reference.js";
export { HOST_LIMITS, instanceMemory, type InstanceMemory } from "./host-limits.js";
