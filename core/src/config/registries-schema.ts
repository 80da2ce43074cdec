/**
 * The JSON Schema of `config.json`'s `registries` key, apart from registries.ts so that
 * config-file.ts can build its schema without an import cycle.
 */

/** The registry used when nothing names one: the port `shimmy-registry` listens on by default, as the SDK's. */
export const DEFAULT_REGISTRY = "http://127.0.0.1:4873";

const URL_SCHEMA = { type: "string", pattern: "^https?://" } as const;

/** The JSON Schema of `config.json`'s `registries`. */
export const registriesConfigSchema = {
  description: "Plugin registries: the default one, one per scope, and the signing keys pinned on first use.",
  type: "object",
  additionalProperties: false,
  properties: {
    default: { ...URL_SCHEMA, description: `The registry of names without a scope mapping (default ${DEFAULT_REGISTRY}); SHIMMY_REGISTRY and --registry win over it.` },
    scopes: {
      description: "Registries by scope: {\"@me\": \"https://registry.example\"}. A scoped name goes there unless --registry names another.",
      type: "object",
      propertyNames: { pattern: "^@[a-z0-9~-][a-z0-9._~-]*$" },
      additionalProperties: URL_SCHEMA,
    },
    keys: {
      description: "Signing keys by registry URL, pinned by shimmy plugin add on first use; --accept-new-key replaces them.",
      type: "object",
      additionalProperties: {
        type: "array",
        items: {
          type: "object",
          required: ["keyid", "key"],
          properties: { keyid: { type: "string" }, key: { type: "string" }, keytype: { type: "string" }, scheme: { type: "string" }, expires: { type: ["string", "null"] }, pinnedAt: { type: "string" } },
        },
      },
    },
  },
} as const;
