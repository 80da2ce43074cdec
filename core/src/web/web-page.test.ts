/**
 * The page's static files in process: the real app of `createApp` serving what `npm run build`
 * wrote into core/dist/public (the suite builds before it runs), with its policy headers, its
 * caching, 404s in the API's error shape, no way out of the assets folder, and the API key rule:
 * the files load without the key, every route with data still needs it.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { DEFAULT_WEB_DIR, readWebFiles } from "./web-files.js";
import { WEB_CSP } from "./web-page.js";

const KEY = "web-page-test-key";
const engine = new FakeEngine();
let open: TestApp;
let keyed: TestApp;
/** The asset paths index.html names: script, style sheet, icon. */
let assets: string[];

beforeAll(async () => {
  [open, keyed] = await Promise.all([startTestApp({ engine }), startTestApp({ engine, apiKey: KEY })]);
  const html = fs.readFileSync(path.join(DEFAULT_WEB_DIR, "index.html"), "utf8");
  assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
});

afterAll(async () => {
  await Promise.all([open?.close(), keyed?.close()]);
  await engine.dispose();
});

/** A GET whose path goes out exactly as written (fetch would resolve `..` first). */
function rawGet(base: string, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.get({ host: hostname, port, path: pathname, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") }));
    });
    request.on("error", reject);
  });
}

describe("GET / and /assets/", () => {
  it("serves the page with its policy, no caching, and the hashed names of its script, style sheet and icon", async () => {
    const page = await open.request("GET", "/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.text).toContain('<script type="module" src="/assets/app-');
    expect(page.text).not.toMatch(/%(SCRIPT|STYLE|ICON)%/);
    expect(assets).toEqual([expect.stringMatching(/^\/assets\/app-\w+\.css$/), expect.stringMatching(/^\/assets\/favicon-\w+\.svg$/), expect.stringMatching(/^\/assets\/app-\w+\.js$/)]);
    const head = await open.request("HEAD", "/");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
  });

  it("serves each asset with its type, the policy, and caching for good", async () => {
    const types: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml" };
    for (const asset of assets) {
      const file = await open.request("GET", asset);
      expect(file.status, asset).toBe(200);
      expect(file.headers.get("content-type")).toBe(types[path.extname(asset)]);
      expect(file.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(file.headers.get("content-security-policy")).toBe(WEB_CSP);
      expect(file.headers.get("x-content-type-options")).toBe("nosniff");
      expect(file.text).toBe(fs.readFileSync(path.join(DEFAULT_WEB_DIR, asset)).toString("utf8"));
    }
  });

  it("answers an unknown asset with a 404 in the API's error shape", async () => {
    for (const asset of ["/assets/app-OLDHASH.js", "/assets/", "/assets/nested/app.js", "/assets/index.html"]) {
      const answer = await open.request("GET", asset);
      expect(answer.status, asset).toBe(404);
      expect(answer.json()).toEqual({ error: { code: "not_found", type: "not_found_error", param: null, message: expect.stringContaining(`No file ${asset}`) } });
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("never reads outside the built assets, however the path is spelled", async () => {
    const secrets = fs.readFileSync(path.resolve(DEFAULT_WEB_DIR, "../../package.json"), "utf8");
    const attempts = [
      "/assets/../../package.json", "/assets/..%2f..%2fpackage.json", "/assets/%2e%2e/%2e%2e/package.json", "/assets/%2e%2e%2f%2e%2e%2fpackage.json",
      "/assets/..\\..\\package.json", "/assets/....//....//package.json", "/assets/%252e%252e/package.json", "/assets//etc/passwd", "/assets/../index.html",
    ];
    for (const attempt of attempts) {
      const answer = await rawGet(open.base, attempt);
      expect(answer.status, attempt).toBe(404);
      expect(answer.text).not.toContain(secrets.slice(0, 40));
      expect(answer.text).not.toContain("root:");
    }
  });

  it("sits behind the Host and Origin checks like every route", async () => {
    expect((await rawGet(open.base, "/", { host: "evil.example" })).status).toBe(403);
    expect((await open.request("GET", assets[2]!, undefined, { origin: "https://evil.example" })).status).toBe(403);
    expect((await open.request("GET", "/", undefined, { origin: open.base })).status).toBe(200);
  });
});

describe("the API key", () => {
  it("is not needed for the page and its files, which hold no data", async () => {
    expect((await keyed.request("GET", "/")).status).toBe(200);
    for (const asset of assets) expect((await keyed.request("GET", asset)).status, asset).toBe(200);
    expect((await keyed.request("GET", "/assets/app-OLDHASH.js")).status).toBe(404);
  });

  it("is still needed for every route with data, from the page's own origin too", async () => {
    for (const route of ["/v1/models", "/api/models", "/api/plugins", "/nothing"]) {
      const refused = await keyed.request("GET", route, undefined, { origin: keyed.base });
      expect(refused.status, route).toBe(401);
      expect(refused.json().error.code).toBe("invalid_api_key");
    }
    expect((await keyed.request("GET", "/v1/models", undefined, { origin: keyed.base, authorization: `Bearer ${KEY}` })).status).toBe(200);
  });
});

describe("readWebFiles", () => {
  it("finds no page in a folder the build did not write, and keeps only the file types the build makes", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-web-files-"));
    try {
      expect(await readWebFiles(dir)).toBeNull();
      fs.mkdirSync(path.join(dir, "assets"));
      fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html>");
      for (const name of ["app-A.js", "app-A.css", "favicon-A.svg", "app-A.js.map", "notes.html", ".env"]) fs.writeFileSync(path.join(dir, "assets", name), name);
      const files = await readWebFiles(dir);
      expect(files?.index.type).toBe("text/html; charset=utf-8");
      expect([...files!.assets.keys()].sort()).toEqual(["app-A.css", "app-A.js", "favicon-A.svg"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
