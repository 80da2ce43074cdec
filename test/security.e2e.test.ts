/**
 * Local security: the Host check against DNS rebinding, the Origin check and CORS, JSON-only
 * bodies against cross-site forms, and the API key, with the server healthy after each.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { rawRequest } from "./helpers/raw-http.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const KEY = "sk-local-test-key";
const TRUSTED = "http://app.example.com";
const MODEL = "chat-llama";
let shimmy: ShimmyProcess;
let port: string;
const auth = { authorization: `Bearer ${KEY}` };
const chatBody = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 2 });

beforeAll(async () => {
  shimmy = await startShimmy({
    args: ["--model", inject("fixtureModels").chat, "--cors-origins", TRUSTED, "--allowed-hosts", "shimmy.internal"],
    env: { SHIMMY_API_KEY: KEY },
  });
  port = new URL(shimmy.url).port;
});
afterAll(() => shimmy?.stop());

async function expectHealthy() {
  const answer = await rawRequest(`${shimmy.baseURL}/chat/completions`, {
    method: "POST", headers: { ...auth, "content-type": "application/json" }, body: chatBody,
  });
  expect(answer.status).toBe(200);
}

describe("Host check", () => {
  it("refuses a DNS-rebinding Host with 403 before anything runs", async () => {
    for (const host of [`evil.example:${port}`, "attacker.com", `127.0.0.1.nip.io:${port}`]) {
      const response = await rawRequest(`${shimmy.baseURL}/models`, { headers: { host, ...auth } });
      expect(response.status).toBe(403);
      expect(response.json.error?.code).toBe("forbidden_host");
    }
    await expectHealthy();
  });

  it("accepts loopback names on any port and names from --allowed-hosts", async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "localhost", `shimmy.internal:${port}`, "SHIMMY.internal"]) {
      const response = await rawRequest(`${shimmy.baseURL}/models`, { headers: { host, ...auth } });
      expect(response.status, host).toBe(200);
    }
  });
});

describe("Origin check and CORS", () => {
  it("refuses a foreign origin on /v1, for preflights and real requests", async () => {
    const preflight = await rawRequest(`${shimmy.baseURL}/chat/completions`, {
      method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    const real = await rawRequest(`${shimmy.baseURL}/chat/completions`, {
      method: "POST", headers: { origin: "https://evil.example", ...auth, "content-type": "application/json" }, body: chatBody,
    });
    expect(real.status).toBe(403);
    expect(real.json.error?.code).toBe("forbidden_origin");
    const opaque = await rawRequest(`${shimmy.baseURL}/models`, { headers: { origin: "null", ...auth } });
    expect(opaque.status).toBe(403);
    await expectHealthy();
  });

  it("refuses a foreign origin on /api, and localhost pages of other ports too", async () => {
    for (const origin of ["https://evil.example", "http://localhost:5173", "http://127.0.0.1:3000"]) {
      const response = await rawRequest(`${shimmy.url}/api/models`, { headers: { origin, ...auth } });
      expect(response.status, origin).toBe(403);
      expect(response.json.error?.code).toBe("forbidden_origin");
      const preflight = await rawRequest(`${shimmy.url}/api/models`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET" } });
      expect(preflight.status, origin).toBe(403);
    }
  });

  it("serves pages on localhost, 127.0.0.1 and [::1] on /v1 with CORS headers and preflight answers", async () => {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000", "https://localhost"]) {
      const preflight = await rawRequest(`${shimmy.baseURL}/chat/completions`, {
        method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
      });
      expect(preflight.status, origin).toBe(204);
      expect(preflight.headers["access-control-allow-origin"]).toBe(origin);
      expect(preflight.headers["access-control-allow-methods"]).toMatch(/POST/);
      expect(preflight.headers["access-control-allow-headers"]).toMatch(/authorization/i);
      const real = await rawRequest(`${shimmy.baseURL}/chat/completions`, {
        method: "POST", headers: { origin, ...auth, "content-type": "application/json" }, body: chatBody,
      });
      expect(real.status).toBe(200);
      expect(real.headers["access-control-allow-origin"]).toBe(origin);
      expect(real.headers["access-control-expose-headers"]).toMatch(/X-Request-Id/);
      expect(real.headers.vary).toMatch(/Origin/);
    }
  });

  it("serves the server's own origin on /api and --cors-origins on both", async () => {
    const own = await rawRequest(`${shimmy.url}/api/models`, { headers: { origin: shimmy.url, ...auth } });
    expect(own.status).not.toBe(403);
    for (const url of [`${shimmy.url}/api/models`, `${shimmy.baseURL}/models`]) {
      const trusted = await rawRequest(url, { headers: { origin: TRUSTED, ...auth } });
      expect(trusted.status, url).not.toBe(403);
      expect(trusted.headers["access-control-allow-origin"]).toBe(TRUSTED);
    }
  });

  it("lets a browser read a 401 from an allowed origin, so a page can tell the user to set a key", async () => {
    const response = await rawRequest(`${shimmy.baseURL}/models`, { headers: { origin: "http://localhost:5173" } });
    expect(response.status).toBe(401);
    expect(response.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
  });
});

describe("JSON-only bodies", () => {
  it("refuses cross-site form and text/plain posts, even from an allowed origin, before any handler", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=----x"]) {
      for (const origin of [undefined, "http://localhost:5173"]) {
        const response = await rawRequest(`${shimmy.baseURL}/chat/completions`, {
          method: "POST", headers: { "content-type": type, ...auth, ...(origin ? { origin } : {}) }, body: chatBody,
        });
        expect(response.status, `${type} ${origin}`).toBe(415);
        expect(response.json.error?.code).toBe("unsupported_media_type");
      }
    }
    const foreign = await rawRequest(`${shimmy.baseURL}/chat/completions`, {
      method: "POST", headers: { "content-type": "text/plain", origin: "https://evil.example", ...auth }, body: chatBody,
    });
    expect(foreign.status).toBe(403);
    expect(shimmy.logs.filter((l) => l.event === "request" && l.status === 200 && l.route === "/v1/chat/completions" && l.model === undefined)).toEqual([]);
    await expectHealthy();
  });
});

describe("API key", () => {
  const routes: [string, string][] = [
    ["GET", "/v1/models"], ["GET", `/v1/models/${MODEL}`], ["POST", "/v1/chat/completions"], ["POST", "/v1/completions"], ["GET", "/api/models"], ["GET", "/nothing"],
  ];

  it("needs the key on every route but /health, answering 401 in OpenAI's shape", async () => {
    for (const [method, path] of routes) {
      const attempts: Record<string, string>[] = [{}, { authorization: "Bearer wrong-key" }, { authorization: `Basic ${KEY}` }, { authorization: `Bearer ${KEY}x` }];
      for (const headers of attempts) {
        const response = await rawRequest(`${shimmy.url}${path}`, { method, headers: { ...headers, "content-type": "application/json" }, body: method === "POST" ? chatBody : undefined });
        expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.json).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" } });
      }
    }
    expect((await rawRequest(`${shimmy.url}/health`)).status).toBe(200);
  });

  it("lets the right key through, with the openai client too", async () => {
    for (const [method, path] of routes.slice(0, 4)) {
      const response = await rawRequest(`${shimmy.url}${path}`, {
        method, headers: { ...auth, "content-type": "application/json" },
        body: path.endsWith("/completions") && !path.includes("chat") ? JSON.stringify({ model: MODEL, prompt: "a", max_tokens: 2 }) : method === "POST" ? chatBody : undefined,
      });
      expect(response.status, path).toBe(200);
    }
    const OpenAI = (await import("openai")).default;
    const client = new OpenAI({ baseURL: shimmy.baseURL, apiKey: KEY, maxRetries: 0 });
    expect((await client.models.list()).data[0]?.id).toBe(MODEL);
    const wrong = new OpenAI({ baseURL: shimmy.baseURL, apiKey: "nope", maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    await expectHealthy();
  });
});
