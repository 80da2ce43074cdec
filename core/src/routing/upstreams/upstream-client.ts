/**
 * The HTTP side of one upstream server: its OpenAI-compatible API at `baseURL`, with its key.
 * Every failure comes back as an {@link UpstreamFailure} naming the upstream; the key is sent,
 * never logged or shown.
 */
import type { UpstreamConfig } from "../../config/upstreams.js";
import type { ModelCapability } from "../../models/types.js";
import { fromUpstreamStatus, unreachable } from "./upstream-errors.js";

/** Fetch failures of a reused connection that the other side closed: worth one more try on a new one. */
const STALE_SOCKET_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET"]);

/** A model as an upstream's `GET /models` lists it. */
export interface UpstreamModelEntry {
  id: string;
  /** Seconds since the epoch, when the upstream says. */
  created?: number;
  /** What it can do, when the upstream is a Shimmy (its `/api/models` says); unknown otherwise. */
  capabilities?: ModelCapability[];
}

/** Calls one upstream. */
export class UpstreamClient {
  constructor(private readonly config: Pick<UpstreamConfig, "name" | "baseURL" | "apiKey">) {}

  get name(): string {
    return this.config.name;
  }

  /**
   * POSTs `body` as JSON to `path` (under the base URL) and returns the answer once its status is a
   * success, its body still unread.
   * @throws UpstreamFailure for a connection that fails or a non-2xx status; the signal's reason when aborted.
   */
  async post(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    return this.send(path, { method: "POST", body: JSON.stringify(body), headers: this.headers(true) }, signal);
  }

  /**
   * The upstream's models (`GET /models`), within `timeoutMs`.
   * @throws UpstreamFailure when it cannot be reached, answers an error or times out.
   */
  async models(timeoutMs: number): Promise<UpstreamModelEntry[]> {
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await this.send("/models", { method: "GET", headers: this.headers(false) }, signal).catch((err: unknown) => {
      throw signal.aborted ? unreachable(this.name, new Error(`no answer to GET /models within ${timeoutMs} ms`)) : err;
    });
    const list = (await response.json().catch(() => null)) as { data?: unknown } | null;
    if (!Array.isArray(list?.data)) throw unreachable(this.name, new Error("GET /models answered no model list"));
    const capabilities = await this.shimmyCapabilities(signal);
    return list.data
      .filter((m): m is { id: string; created?: unknown } => typeof (m as { id?: unknown })?.id === "string")
      .map((m) => ({ id: m.id, ...(typeof m.created === "number" ? { created: m.created } : {}), ...(capabilities.has(m.id) ? { capabilities: capabilities.get(m.id) } : {}) }));
  }

  /**
   * What each model can do, from another Shimmy's `GET /api/models` beside its `/v1` (OpenAI's
   * `/models` does not say); empty for any other server, or when that fails.
   */
  private async shimmyCapabilities(signal: AbortSignal): Promise<Map<string, ModelCapability[]>> {
    const found = new Map<string, ModelCapability[]>();
    if (!this.config.baseURL.endsWith("/v1")) return found;
    try {
      const response = await fetch(`${this.config.baseURL.slice(0, -3)}/api/models`, { headers: this.headers(false), signal });
      const body = response.ok ? ((await response.json()) as { models?: { id?: unknown; capabilities?: unknown }[] }) : {};
      for (const model of Array.isArray(body.models) ? body.models : []) {
        if (typeof model.id === "string" && Array.isArray(model.capabilities)) found.set(model.id, model.capabilities as ModelCapability[]);
      }
    } catch {
      // Not a Shimmy, or not now: its models may do anything.
    }
    return found;
  }

  private headers(json: boolean): Record<string, string> {
    return {
      ...(json ? { "content-type": "application/json", accept: "application/json, text/event-stream" } : { accept: "application/json" }),
      ...(this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {}),
    };
  }

  private async send(path: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.config.baseURL}${path}`, { ...init, signal }).catch((err: unknown) => {
        // A kept-alive connection the upstream had just closed: once more, on a new one.
        if (signal.aborted || !STALE_SOCKET_CODES.has((err as { cause?: { code?: string } }).cause?.code ?? "")) throw err;
        return fetch(`${this.config.baseURL}${path}`, { ...init, signal });
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw unreachable(this.name, err);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    throw fromUpstreamStatus(this.name, response.status, text, response.headers.get("retry-after"));
  }
}
