import { describe, expect, it } from "vitest";
import { paint } from "./ansi.js";
import { bannerInfo, formatBanner, modelSummary } from "./banner.js";
import { TextLogStream } from "./text-stream.js";

const listening = {
  level: 30,
  time: "2026-12-03T06:00:00.000Z",
  event: "listening",
  url: "http://127.0.0.1:11435",
  version: "0.1.0",
  models: ["a", "b", "c"],
  chatModel: "b",
  sources: { local: 1, huggingface: 2 },
  unusable: 0,
  plugins: [
    { name: "calculator", version: "0.1.0", status: "ready" },
    { name: "time", version: "0.1.0", status: "ready" },
  ],
  msg: "listening on http://127.0.0.1:11435",
};

describe("modelSummary", () => {
  it("counts the models per source, most first, then in discovery's order", () => {
    expect(modelSummary({ local: 1, huggingface: 2 })).toBe("3 models (2 Hugging Face cache, 1 ./models)");
    expect(modelSummary({ path: 1 })).toBe("1 model (--model)");
    expect(modelSummary({ ollama: 2, path: 0 }, 1)).toBe("2 models (Ollama), 1 cannot be served");
    expect(modelSummary({ huggingface: 1, local: 1 })).toBe("2 models (1 ./models, 1 Hugging Face cache)");
    expect(modelSummary({})).toBe("0 models");
  });
});

describe("formatBanner", () => {
  it("says the version, the URL, the models, the plugins, the backend and a command to try", () => {
    expect(formatBanner(bannerInfo(listening, "cpu, 1 thread"), paint(false))).toBe(
      [
        "Shimmy 0.1.0 listening on http://127.0.0.1:11435",
        "  3 models (2 Hugging Face cache, 1 ./models)",
        "  plugins: calculator, time",
        "  llama.cpp: cpu, 1 thread",
        "  try: curl http://127.0.0.1:11435/v1/models",
        "    or npx shimmy run b",
        "    or open http://127.0.0.1:11435/ in a browser",
        "",
      ].join("\n"),
    );
  });

  it("says what to do when there is no model to serve", () => {
    expect(formatBanner(bannerInfo({ ...listening, models: [], chatModel: undefined, sources: {}, plugins: [] }), paint(false))).toBe(
      [
        "Shimmy 0.1.0 listening on http://127.0.0.1:11435",
        "  0 models: put a .gguf file in ./models, pass --model FILE, or run shimmy pull ORG/REPO",
        "  plugins: none",
        "",
      ].join("\n"),
    );
  });

  it("colours the title, the URL and the commands on a terminal, and names a URL shimmy run would not find", () => {
    expect(formatBanner(bannerInfo({ ...listening, url: "http://127.0.0.1:8080", plugins: [] }), paint(true))).toBe(
      [
        "\u001b[1mShimmy 0.1.0\u001b[22m listening on \u001b[36mhttp://127.0.0.1:8080\u001b[39m",
        "  3 models (2 Hugging Face cache, 1 ./models)",
        "  plugins: none",
        "  try: \u001b[1mcurl http://127.0.0.1:8080/v1/models\u001b[22m",
        "    or \u001b[1mnpx shimmy run b --url http://127.0.0.1:8080\u001b[22m",
        "    or open \u001b[36mhttp://127.0.0.1:8080/\u001b[39m in a browser",
        "",
      ].join("\n"),
    );
  });
});

describe("TextLogStream", () => {
  it("holds back the start-up records the banner sums up, then writes one line per record", () => {
    const out: string[] = [];
    const stream = new TextLogStream({ out: { write: (text) => out.push(text) } });
    const write = (record: Record<string, unknown>) => stream.write(`${JSON.stringify({ level: 30, time: "t", ...record })}\n`);
    write({ event: "discovered", models: 3, ms: 4, msg: "models discovered" });
    write({ level: 40, event: "no_models", msg: "No model to serve." });
    write({ event: "engine_ready", gpu: "cpu", threads: 2, msg: "llama.cpp ready" });
    write({ event: "plugins_loaded", plugins: listening.plugins, msg: "plugins loaded" });
    write(listening);
    write({ event: "plugins_loaded", plugins: [listening.plugins[0]], msg: "plugins loaded" });
    write({ event: "request", method: "GET", route: "/v1/models", status: 200, durationMs: 2 });
    stream.write("not json\n");
    expect(out.join("")).toBe(
      [
        "warn No model to serve.",
        "Shimmy 0.1.0 listening on http://127.0.0.1:11435",
        "  3 models (2 Hugging Face cache, 1 ./models)",
        "  plugins: calculator, time",
        "  llama.cpp: cpu, 2 threads",
        "  try: curl http://127.0.0.1:11435/v1/models",
        "    or npx shimmy run b",
        "    or open http://127.0.0.1:11435/ in a browser",
        "plugins: calculator",
        "200 GET /v1/models 2ms",
        "not json",
        "",
      ].join("\n"),
    );
  });
});
