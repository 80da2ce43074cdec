import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, ApiError, ConnectionError } from "./api-client.js";
import { readSseData } from "./sse.js";
import { DISCOVERED_MODEL, FAILING_MODEL, closedPortUrl, startFakeAdminApi, type FakeAdminApi } from "./fake-admin-api.fixture.js";

let fake: FakeAdminApi;
beforeAll(async () => {
  fake = await startFakeAdminApi({ apiKey: "sekret" });
});
afterAll(() => fake.close());

const client = () => new ApiClient({ url: fake.url + "/", apiKey: "sekret" });

/** A stream that delivers `chunks` one by one, as a network would cut them. */
function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

/** Runs `test` against a one-off server answering with `handler`. */
async function withServer(handler: http.RequestListener, test: (url: string) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await test(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const events: string[] = [];
  for await (const data of readSseData(stream)) events.push(data);
  return events;
}

describe("readSseData", () => {
  it("reassembles events cut anywhere, skips comments and other fields, joins data lines", async () => {
    expect(await collect(streamOf([": hi\n\nda", "ta: {\"a\"", ":1}\r\n\r", "\nevent: x\nid: 3\ndata: one\ndata:two\n\n", "data: [DONE]\n\n"]))).toEqual([
      '{"a":1}',
      "one\ntwo",
      "[DONE]",
    ]);
  });

  it("keeps a last event that lacks its blank line", async () => {
    expect(await collect(streamOf(["data: 1\n\ndata: 2"]))).toEqual(["1", "2"]);
    expect(await collect(streamOf(["data: 1\n"]))).toEqual(["1"]);
  });

  it("decodes UTF-8 split across chunks", async () => {
    const bytes = new TextEncoder().encode("data: héllo\n\n");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 8));
        controller.enqueue(bytes.slice(8));
        controller.close();
      },
    });
    expect(await collect(stream)).toEqual(["héllo"]);
  });
});

describe("ApiClient", () => {
  it("lists models, sending the key as a bearer token", async () => {
    const list = await client().listModels();
    expect(list.models.map((m) => m.id)).toContain("nomic-embed-text");
    const request = fake.requests.at(-1)!;
    expect(request).toMatchObject({ method: "GET", path: "/api/models" });
    expect(request.headers.authorization).toBe("Bearer sekret");
  });

  it("discovers with a POST of {}", async () => {
    const list = await client().discoverModels();
    expect(list.models.map((m) => m.id)).toContain(DISCOVERED_MODEL);
    expect(fake.requests.at(-1)).toMatchObject({ method: "POST", path: "/api/models/discover", body: {} });
  });

  it("loads with the SSE stream, reporting each progress event", async () => {
    const progress: number[] = [];
    const result = await client().loadModel("llama-3.1-8b:Q8_0", { keepAlive: "10m", onProgress: (f) => progress.push(f) });
    expect(progress).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(result).toMatchObject({ model: "llama-3.1-8b:Q8_0", loaded: true, load_ms: 1234 });
    const request = fake.requests.at(-1)!;
    expect(request.headers.accept).toBe("text/event-stream");
    expect(request.body).toEqual({ model: "llama-3.1-8b:Q8_0", keep_alive: "10m" });
  });

  it("accepts a plain JSON answer to a load (a server that does not stream)", async () => {
    await withServer(
      (req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ model: "m", loaded: true, memory_bytes: 1, expires_at: null, load_ms: 5 })),
      async (url) => {
        const progress: number[] = [];
        expect(await new ApiClient({ url }).loadModel("m", { onProgress: (f) => progress.push(f) })).toMatchObject({ model: "m", loaded: true });
        expect(progress).toEqual([]);
      },
    );
  });

  it("fails a stream that ends before the result", async () => {
    await withServer(
      (req, res) => res.writeHead(200, { "content-type": "text/event-stream" }).end('data: {"progress":0.5}\n\ndata: [DONE]\n\n'),
      async (url) => {
        await expect(new ApiClient({ url }).loadModel("m")).rejects.toMatchObject({ code: "invalid_response", message: "the server ended the load stream before the model was loaded" });
      },
    );
  });

  it("turns an error event in the stream into an ApiError with the code's status", async () => {
    const progress: number[] = [];
    const error = await client().loadModel(FAILING_MODEL, { onProgress: (f) => progress.push(f) }).catch((e: unknown) => e);
    expect(progress).toEqual([0, 0.3]);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 500, code: "model_load_failed", message: "not enough memory to load the model" });
  });

  it("turns a 404 into an ApiError naming the parameter", async () => {
    const error = await client().loadModel("missing").catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, code: "model_not_found", param: "model", type: "invalid_request_error" });
    await expect(client().unloadModel("missing")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("turns a 401 into an ApiError", async () => {
    const error = await new ApiClient({ url: fake.url }).listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: "invalid_api_key", message: "Incorrect API key provided." });
  });

  it("unloads", async () => {
    expect(await client().unloadModel("nomic-embed-text")).toEqual({ model: "nomic-embed-text", loaded: false });
    expect(fake.requests.at(-1)?.body).toEqual({ model: "nomic-embed-text" });
  });

  it("says nothing is running on a closed port", async () => {
    const url = await closedPortUrl();
    const error = await new ApiClient({ url }).listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ reason: "refused", url });
    expect((error as Error).message).toContain(`no Shimmy server is running at ${url}`);
    expect((error as Error).message).toContain("npx shimmy serve");
  });

  it("times out on a server that does not answer", async () => {
    fake.hang = true;
    try {
      const error = await new ApiClient({ url: fake.url, apiKey: "sekret", timeoutMs: 200 }).listModels().catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: "timeout" });
      expect((error as Error).message).toBe(`the server at ${fake.url} did not answer within 0.2 s`);
    } finally {
      fake.hang = false;
    }
  });

  it("reports answers that are not Shimmy's", async () => {
    await withServer(
      (req, res) => {
        if (req.url === "/api/models") res.writeHead(200, { "content-type": "text/html" }).end("<html>hello</html>");
        else res.writeHead(502, { "content-type": "text/plain" }).end("Bad gateway");
      },
      async (url) => {
        await expect(new ApiClient({ url }).listModels()).rejects.toMatchObject({ code: "invalid_response", message: expect.stringContaining("<html>hello</html>") });
        await expect(new ApiClient({ url }).unloadModel("m")).rejects.toMatchObject({ status: 502, code: null, message: "HTTP 502 Bad Gateway" });
      },
    );
  });
});
