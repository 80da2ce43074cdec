/**
 * For upstream tests: a small OpenAI-compatible server on 127.0.0.1 standing in for a remote one
 * (a true system edge). It lists its models, streams chat and completion answers word by word
 * (with a usage chunk when asked), embeds, records every request, and can be told to fail, to
 * hang, or to stop and start again on the same port.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request the upstream got. */
export interface UpstreamRequestRecord {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** Options of {@link startOpenAIUpstream}. */
export interface OpenAIUpstreamOptions {
  /** @default ["m1"] */
  models?: string[];
  /** The answer's text to a chat or completion. @default `NAME says: LAST USER TEXT` */
  answer?: (body: Record<string, unknown>) => string;
  /** A tool call to make instead of text, when the request has tools. */
  toolCall?: { name: string; arguments: string };
  /** ms between streamed words. @default 0 */
  wordDelayMs?: number;
  /** The name it answers as. @default "up" */
  name?: string;
}

/** A running fake upstream. */
export interface OpenAIUpstream {
  /** `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  port: number;
  requests: UpstreamRequestRecord[];
  /** Requests in flight now, and the most at once so far. */
  inFlight: { now: number; max: number };
  /** Requests whose client went away before the answer ended. */
  aborted: number;
  /** Answers every request (health checks included) with this status and an OpenAI error body while set. */
  failWith: { status: number; code?: string; message?: string } | undefined;
  /** Stops listening and cuts open connections. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a fake upstream on a free loopback port. */
export async function startOpenAIUpstream(options: OpenAIUpstreamOptions = {}): Promise<OpenAIUpstream> {
  const models = options.models ?? ["m1"];
  const name = options.name ?? "up";
  let server: http.Server;
  const upstream: OpenAIUpstream = {
    baseURL: "",
    port: 0,
    requests: [],
    inFlight: { now: 0, max: 0 },
    aborted: 0,
    failWith: undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    restart: async () => {
      server = http.createServer(handle);
      await new Promise<void>((resolve) => server.listen(upstream.port, "127.0.0.1", resolve));
    },
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let text = "";
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    const path = (req.url ?? "").replace(/^\/v1/, "");
    upstream.requests.push({ method: req.method ?? "", path, headers: req.headers, body });
    if (upstream.failWith) {
      const { status, code = "upstream_test_error", message = `failing with ${status}` } = upstream.failWith;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ error: { message, type: "invalid_request_error", param: "messages", code } }));
      return;
    }
    if (path === "/models") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: name })) }));
      return;
    }
    if (path === "/embeddings") {
      const inputs = body.input as unknown[];
      const data = inputs.map((input, index) => ({ object: "embedding", index, embedding: [String(input).length, index, 1] }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data, model: body.model, usage: { prompt_tokens: inputs.length * 2, total_tokens: inputs.length * 2 } }));
      return;
    }
    if (path !== "/chat/completions" && path !== "/completions") {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "no such route", code: "not_found" } }));
      return;
    }
    await stream(path === "/chat/completions", body, req, res);
  }

  async function stream(chat: boolean, body: Record<string, unknown>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    upstream.inFlight.now++;
    upstream.inFlight.max = Math.max(upstream.inFlight.max, upstream.inFlight.now);
    let gone = false;
    res.on("close", () => {
      if (!res.writableFinished) {
        gone = true;
        upstream.aborted++;
      }
    });
    try {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      const messages = (body.messages ?? []) as { role: string; content: string }[];
      const lastUser = [...messages].reverse().find((m) => m.role === "user")?.content ?? String(body.prompt ?? "");
      const tools = body.tools as unknown[] | undefined;
      const words = options.toolCall && tools?.length ? [] : (options.answer?.(body) ?? `${name} says: ${lastUser}`).split(/(?<= )/);
      const limit = typeof body.max_tokens === "number" ? body.max_tokens : Infinity;
      let sent = 0;
      for (const word of words) {
        if (sent >= limit || gone) break;
        if (options.wordDelayMs) await sleep(options.wordDelayMs);
        send(chat ? { choices: [{ index: 0, delta: { content: word }, finish_reason: null }] } : { choices: [{ index: 0, text: word, finish_reason: null }] });
        sent++;
      }
      if (options.toolCall && tools?.length) {
        send({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_up_1", type: "function", function: { name: options.toolCall.name, arguments: "" } }] }, finish_reason: null }] });
        send({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: options.toolCall.arguments } }] }, finish_reason: null }] });
        send({ choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] });
      } else {
        send({ choices: [{ index: 0, delta: {}, text: "", finish_reason: sent < words.length ? "length" : "stop" }] });
      }
      if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) send({ choices: [], usage: { prompt_tokens: 7, completion_tokens: sent, total_tokens: 7 + sent, prompt_tokens_details: { cached_tokens: 2 } } });
      res.end("data: [DONE]\n\n");
    } finally {
      upstream.inFlight.now--;
    }
  }

  server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  upstream.port = (server.address() as AddressInfo).port;
  upstream.baseURL = `http://127.0.0.1:${upstream.port}/v1`;
  return upstream;
}
