import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { serveHelp } from "./help.js";
import { loadServeConfig } from "./load-config.js";
import { SERVE_OPTIONS, defaultThreads } from "./options.js";

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-config-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function load(argv: string[], env: Record<string, string> = {}) {
  const loaded = loadServeConfig({ argv, env: { SHIMMY_HOME: home, ...env } });
  if (loaded.help) throw new Error("unexpected help");
  return loaded.config;
}

describe("loadServeConfig", () => {
  it("uses the documented defaults", () => {
    const config = load([]);
    expect(config).toMatchObject({ host: "127.0.0.1", port: 11435, parallel: 4, ctxSize: 0, queueSize: 64, maxBody: 16 * 1024 * 1024, model: [] });
    expect(config.threads).toBe(defaultThreads());
  });

  it("prefers flags over variables over the config file", () => {
    fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ port: 1111, threads: 3, parallel: 2 }));
    const config = load(["--port", "3333"], { SHIMMY_PORT: "2222", SHIMMY_THREADS: "5" });
    expect(config.port).toBe(3333);
    expect(config.threads).toBe(5);
    expect(config.parallel).toBe(2);
  });

  it("takes --model repeatedly and SHIMMY_MODEL as a path list", () => {
    expect(load(["--model", "a.gguf", "--model", "b.gguf"]).model).toEqual(["a.gguf", "b.gguf"]);
    expect(load([], { SHIMMY_MODEL: ["x.gguf", "y.gguf"].join(path.delimiter) }).model).toEqual(["x.gguf", "y.gguf"]);
  });

  it("splits list settings on commas, from flags and variables", () => {
    expect(load(["--cors-origins", "http://a.test, http://b.test", "--cors-origins", "http://c.test"]).corsOrigins).toEqual([
      "http://a.test", "http://b.test", "http://c.test",
    ]);
    expect(load([], { SHIMMY_ALLOWED_HOSTS: "proxy.lan,box.lan" }).allowedHosts).toEqual(["proxy.lan", "box.lan"]);
  });

  it("reads the API key from its variable or secrets.json, never from config.json", () => {
    expect(load([], { SHIMMY_API_KEY: "k1" }).apiKey).toBe("k1");
    fs.writeFileSync(path.join(home, "secrets.json"), JSON.stringify({ apiKey: "k2" }), { mode: 0o600 });
    expect(load([]).apiKey).toBe("k2");
    expect(load(["--api-key", "k3"]).apiKey).toBe("k3");
    fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ apiKey: "k4" }));
    expect(() => load([])).toThrow(/"apiKey" is a secret: put it in secrets.json/);
  });

  it("reports an unknown key in config.json instead of ignoring it", () => {
    fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ prot: 1 }));
    expect(() => load([])).toThrow(/unknown key "prot"/);
  });

  it("names the flag of a bad value", () => {
    expect(() => load(["--threads", "two"])).toThrow(ConfigError);
    expect(() => load(["--threads", "two"])).toThrow(/--threads must be a whole number/);
    expect(() => load(["--parallel", "0"])).toThrow(/--parallel must be at least 1/);
    expect(() => load(["--log-level", "loud"])).toThrow(/--log-level must be one of/);
    expect(() => load([], { SHIMMY_PORT: "-1" })).toThrow(/SHIMMY_PORT/);
  });

  it("refuses a port out of range from the flag, the variable and the file", () => {
    expect(() => load(["--port", "99999"])).toThrow(ConfigError);
    expect(() => load(["--port", "99999"])).toThrow("--port must be at most 65535, got 99999");
    expect(() => load([], { SHIMMY_PORT: "65536" })).toThrow("SHIMMY_PORT must be at most 65535, got 65536");
    expect(load(["--port", "65535"]).port).toBe(65535);
    expect(load(["--port", "0"]).port).toBe(0);
    fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ port: 70000 }));
    expect(() => load([])).toThrow(/port must be <= 65535/);
  });

  it("refuses unknown flags", () => {
    expect(() => load(["--prot", "1"])).toThrow(/--prot/);
  });

  it("reports a config file that is not JSON", () => {
    fs.writeFileSync(path.join(home, "config.json"), "{ port: ");
    expect(() => load([])).toThrow(/not valid JSON/);
  });

  it("takes llama.cpp's short flags: -m, -c, -np, -t, -p", () => {
    const config = load(["-m", "a.gguf", "-c", "8192", "-np", "4", "-t", "3", "-p", "8081", "-m", "b.gguf"]);
    expect(config).toMatchObject({ model: ["a.gguf", "b.gguf"], ctxSize: 8192, parallel: 4, threads: 3, port: 8081 });
    expect(load(["-np", "2"]).parallel).toBe(2);
    // Short and long flags mix, and a short flag wins over the variable as its long flag does.
    expect(load(["-p", "0", "--host", "127.0.0.1"], { SHIMMY_PORT: "2222" }).port).toBe(0);
  });

  it("names the short flag whose value is missing, and the setting of a bad value", () => {
    for (const flag of ["-m", "-c", "-np", "-t", "-p"]) {
      expect(() => load([flag])).toThrow(ConfigError);
      expect(() => load([flag])).toThrow(new RegExp(`^${flag} \\(--[a-z-]+\\) needs a value: ${flag} [A-Z]+; see shimmy serve --help$`));
    }
    expect(() => load(["-np", "-m", "a.gguf"])).toThrow("-np (--parallel) needs a value: -np N; see shimmy serve --help");
    expect(() => load(["-c", "-1"])).toThrow("--ctx-size must be a whole number, got \"-1\"");
    expect(() => load(["-np", "0"])).toThrow("--parallel must be at least 1, got 0");
    // parseArgs reads only one-letter short flags; -n alone is no flag of Shimmy's.
    expect(() => load(["-n", "4"])).toThrow(/Unknown option '-n'/);
  });

  it("asks for help with --help", () => {
    expect(loadServeConfig({ argv: ["--help"], env: { SHIMMY_HOME: home } })).toEqual({ help: true });
  });
});

describe("defaultThreads", () => {
  it("leaves one core to JavaScript and counts physical cores", () => {
    expect(defaultThreads(2, 2)).toBe(1);
    expect(defaultThreads(1, 1)).toBe(1);
    expect(defaultThreads(8, 8)).toBe(7);
    expect(defaultThreads(16, 8)).toBe(8);
    expect(defaultThreads(4, null)).toBe(3);
  });
});

describe("serveHelp", () => {
  it("lists every flag and says ctx-size is per slot, unlike llama-server's -c", () => {
    const help = serveHelp();
    for (const flag of ["--host", "--port", "--model", "--threads", "--parallel", "--ctx-size", "--queue-size", "--max-body", "--log-level"]) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/llama-server's -c, which is the total over all slots/);
  });

  it("shows each short flag beside its long one, and the allowed values of every setting that has a fixed set", () => {
    const lines = serveHelp().split("\n");
    const entry = (flag: string) => {
      const at = lines.findIndex((line) => line.trimStart().startsWith(flag));
      expect(at, flag).toBeGreaterThanOrEqual(0);
      return `${lines[at]}\n${lines[at + 1]}`;
    };
    for (const flag of ["-m, --model FILE", "-c, --ctx-size N", "-np, --parallel N", "-t, --threads N", "-p, --port PORT"]) entry(flag);
    expect(entry("--gpu BACKEND")).toContain("One of: auto, cuda, vulkan, metal, off. Default: auto.");
    expect(entry("--log-level LEVEL")).toContain("One of: trace, debug, info, warn, error, fatal, silent. Default: info.");
    expect(entry("--db-synchronous MODE")).toContain("One of: normal, full. Default: normal.");
    for (const spec of SERVE_OPTIONS.filter((s) => s.choices)) expect(entry(`--${spec.flag} `)).toContain(`One of: ${spec.choices!.join(", ")}.`);
  });

  it("gives each short flag to one setting, and none the -h of --help", () => {
    const shorts = SERVE_OPTIONS.flatMap((spec) => (spec.short ? [spec.short] : []));
    expect(new Set(shorts).size).toBe(shorts.length);
    expect(shorts).not.toContain("h");
  });

  it("lists the variables without a flag, SHIMMY_MODEL_PATHS among them", () => {
    const help = serveHelp();
    for (const variable of ["SHIMMY_HOME", "SHIMMY_MODEL_PATHS", "SHIMMY_URL"]) expect(help).toContain(variable);
  });
});
