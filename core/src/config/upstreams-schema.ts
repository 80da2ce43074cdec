/**
 * The JSON Schemas of `config.json`'s `upstreams` key and of `secrets.json`'s, apart from
 * upstreams.ts so that config-file.ts can build its schemas without an import cycle.
 */

/** What an upstream or pool name may look like: one path segment of a model id (`NAME/MODEL`). */
export const UPSTREAM_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

/** The JSON Schema of `config.json`'s `upstreams`: OpenAI-compatible servers whose models Shimmy serves by proxy. */
export const upstreamsConfigSchema = {
  description:
    "OpenAI-compatible servers (another Shimmy, llama.cpp's server, vLLM, a hosted API) whose models are served as UPSTREAM/MODEL (and POOL/MODEL for upstreams sharing a `pool`); their API keys go in secrets.json under upstreams.NAME.apiKey, or in an environment variable that `apiKeyEnv` names. See docs/guides/scale-out.md.",
  type: "array",
  items: {
    type: "object",
    required: ["name", "baseURL"],
    additionalProperties: false,
    properties: {
      name: { type: "string", pattern: UPSTREAM_NAME_PATTERN, description: "The upstream's name: the prefix of its model ids (NAME/MODEL) and what errors and logs call it." },
      baseURL: { type: "string", pattern: "^https?://", description: "The API root as OpenAI clients take it, /v1 included: http://10.0.0.5:11435/v1." },
      models: {
        type: "array",
        uniqueItems: true,
        items: { type: "string", minLength: 1 },
        description: "The upstream's model ids to serve; default: those its GET /models lists, read at start and at every health check.",
      },
      apiKeyEnv: {
        type: "string",
        pattern: "^[A-Za-z_][A-Za-z0-9_]*$",
        description: "The environment variable that holds this upstream's API key (instead of secrets.json); unset or empty at start is an error. Read once, at start.",
      },
      maxConcurrency: { type: "integer", minimum: 1, description: "Requests in flight to this upstream at most; more wait in line (default 4)." },
      pool: {
        type: "string",
        pattern: UPSTREAM_NAME_PATTERN,
        description: "A pool name shared by upstreams serving the same models: POOL/MODEL goes to the one of them with the fewest requests in flight.",
      },
      healthCheckSeconds: { type: "integer", minimum: 1, description: "Seconds between health checks (GET /models) of this upstream (default 10)." },
    },
  },
} as const;

/** The JSON Schema of `secrets.json`'s `upstreams`: API keys by upstream name. */
export const upstreamsSecretsSchema = {
  description: "API keys of the upstreams of config.json, by upstream name: {\"cloud\": {\"apiKey\": \"sk-…\"}}; sent as Authorization: Bearer KEY, never logged.",
  type: "object",
  additionalProperties: {
    type: "object",
    additionalProperties: false,
    properties: { apiKey: { type: "string", minLength: 1, writeOnly: true } },
  },
} as const;
