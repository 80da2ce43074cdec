/**
 * A fake of Shimmy's admin API on 127.0.0.1 (a real `node:http` server), for testing
 * `shimmy models` and its client without loading models. It answers like the real routes:
 * the model list, discovery, the SSE load stream, unload, the API key check and OpenAI-shaped
 * errors, and it records every request so tests can check what the CLI sent.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiModel } from "./api-client.js";

/** A request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** A running fake; `models` and `hang` may be changed by a test. */
export interface FakeAdminApi {
  url: string;
  requests: RecordedRequest[];
  models: ApiModel[];
  /** Never answer (to test timeouts). */
  hang: boolean;
  close(): Promise<void>;
}

/** Options of {@link startFakeAdminApi}. */
export interface FakeAdminApiOptions {
  /** Require `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** The fractions the load stream reports. */
  progress?: number[];
  /** Delay between two load events, in ms. */
  eventDelayMs?: number;
}

/** The id whose load fails in the middle of the stream (an error event after progress). */
export const FAILING_MODEL = "huge-70b:Q4_K_M";
/** The id `POST /api/models/discover` adds. */
export const DISCOVERED_MODEL = "phi-3-mini:Q4_0";

/** The models the fake starts with: two loaded (one expiring in 252 s, one never), one available, one invalid, one that fails to load. */
export function sampleModels(now = Date.now()): ApiModel[] {
  const base = { path: "/models/x.gguf", capabilities: ["chat", "completion"], parameter_count: null, invalid_reason: undefined };
  return [
    { ...base, id: "qwen2.5-0.5b-instruct:Q4_K_M", source: "huggingface", size_bytes: 397_807_936, architecture: "qwen2", quantization: "Q4_K_M", context_length: 32768, loaded: true, memory_bytes: 512_000_000, expires_at: new Date(now + 252_000).toISOString() },
    { ...base, id: "nomic-embed-text", source: "ollama", size_bytes: 274_290_656, architecture: "nomic-bert", quantization: "F16", context_length: 2048, capabilities: ["embedding"], loaded: true, memory_bytes: 300_000_000, expires_at: null },
    { ...base, id: "llama-3.1-8b:Q8_0", source: "lmstudio", size_bytes: 8_540_000_000, architecture: "llama", quantization: "Q8_0", context_length: 131072, loaded: false, memory_bytes: null, expires_at: null },
    { ...base, id: "broken", source: "models-dir", size_bytes: 1234, architecture: null, quantization: null, context_length: null, capabilities: [], loaded: false, memory_bytes: null, expires_at: null, invalid_reason: "not a GGUF file (bad magic)" },
    { ...base, id: FAILING_MODEL, source: "huggingface", size_bytes: 42_500_000_000, architecture: "llama", quantization: "Q4_K_M", context_length: 131072, loaded: false, memory_bytes: null, expires_at: null },
  ].map(({ invalid_reason, ...model }) => (invalid_reason ? { ...model, invalid_reason } : model));
}

function error(code: string, message: string, type = "invalid_request_error", param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** Starts the fake on 127.0.0.1 with a free port. */
export async function startFakeAdminApi(options: FakeAdminApiOptions = {}): Promise<FakeAdminApi> {
  const progress = options.progress ?? [0, 0.25, 0.5, 0.75, 1];
  const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const fake = { requests: [] as RecordedRequest[], models: sampleModels(), hang: false } as FakeAdminApi;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      fake.requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      if (fake.hang) return; // the socket stays open until close()
      void answer(req, res, body as Record<string, unknown> | undefined);
    });
  });

  const send = (res: http.ServerResponse, status: number, json: unknown) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
  };
  const find = (res: http.ServerResponse, id: unknown) => {
    const model = fake.models.find((m) => m.id === id);
    if (!model) send(res, 404, error("model_not_found", `The model "${String(id)}" does not exist.`, "invalid_request_error", "model"));
    return model;
  };

  async function answer(req: http.IncomingMessage, res: http.ServerResponse, body: Record<string, unknown> | undefined) {
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(res, 401, error("invalid_api_key", "Incorrect API key provided."));
    }
    const route = `${req.method} ${req.url}`;
    if (route === "GET /api/models") return send(res, 200, { models: fake.models });
    if (route === "POST /api/models/discover") {
      if (!fake.models.some((m) => m.id === DISCOVERED_MODEL)) {
        fake.models.push({ id: DISCOVERED_MODEL, path: "/models/phi.gguf", source: "models-dir", parameter_count: null, size_bytes: 2_176_000_000, architecture: "phi3", quantization: "Q4_0", context_length: 4096, capabilities: ["chat"], loaded: false, memory_bytes: null, expires_at: null });
      }
      return send(res, 200, { models: fake.models });
    }
    if (route === "POST /api/models/unload") {
      const model = find(res, body?.model);
      if (!model) return;
      Object.assign(model, { loaded: false, memory_bytes: null, expires_at: null });
      return send(res, 200, { model: model.id, loaded: false });
    }
    if (route !== "POST /api/models/load") return send(res, 404, error("not_found", `No route ${route}.`, "not_found_error"));

    const model = find(res, body?.model);
    if (!model) return;
    if (model.invalid_reason) return send(res, 400, error("model_invalid", `The model "${model.id}" was refused: ${model.invalid_reason}.`));
    const keepAlive = body?.keep_alive;
    const result = {
      model: model.id,
      loaded: true,
      memory_bytes: Math.round(model.size_bytes * 1.1),
      expires_at: keepAlive === -1 ? null : new Date(Date.now() + 300_000).toISOString(),
      load_ms: 1234,
    };
    if (!(req.headers.accept ?? "").includes("text/event-stream")) {
      if (model.id === FAILING_MODEL) return send(res, 500, error("model_load_failed", "not enough memory to load the model", "server_error"));
      Object.assign(model, { loaded: true, memory_bytes: result.memory_bytes, expires_at: result.expires_at });
      return send(res, 200, result);
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(": loading\n\n"); // a comment, as servers send to keep proxies open
    for (const fraction of model.id === FAILING_MODEL ? [0, 0.3] : progress) {
      res.write(`data: ${JSON.stringify({ progress: fraction })}\n\n`);
      await delay(options.eventDelayMs ?? 5);
    }
    if (model.id === FAILING_MODEL) {
      res.write(`data: ${JSON.stringify(error("model_load_failed", "not enough memory to load the model", "server_error"))}\n\n`);
    } else {
      Object.assign(model, { loaded: true, memory_bytes: result.memory_bytes, expires_at: result.expires_at });
      res.write(`data: ${JSON.stringify(result)}\n\n`);
    }
    res.end("data: [DONE]\n\n");
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** A URL on 127.0.0.1 where nothing listens: a port that was free a moment ago. */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
