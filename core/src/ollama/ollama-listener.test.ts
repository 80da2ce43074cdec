import net from "node:net";
import { describe, expect, it } from "vitest";
import { StartupError } from "../startup-error.js";
import { bindOllamaListener } from "./ollama-listener.js";

describe("bindOllamaListener", () => {
  it("reports a busy port in one sentence that names Ollama and --ollama-port", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const failure = await bindOllamaListener("127.0.0.1", port).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(StartupError);
      expect((failure as Error).message).toMatch(new RegExp(`port ${port} is in use.*Ollama.*--ollama-port`));
    } finally {
      taken.close();
    }
  });

  it("binds a free port, and holds the process open only once it serves", async () => {
    const listener = await bindOllamaListener("127.0.0.1", 0);
    try {
      expect(listener.address.port).toBeGreaterThan(0);
      expect(listener.server.listening).toBe(true);
      expect((listener.server as unknown as { _handle: { hasRef(): boolean } })._handle.hasRef()).toBe(false);
      listener.serve((_req, res) => res.end("ok"));
      expect((listener.server as unknown as { _handle: { hasRef(): boolean } })._handle.hasRef()).toBe(true);
      expect(await (await fetch(`http://127.0.0.1:${listener.address.port}/`)).text()).toBe("ok");
    } finally {
      await new Promise((resolve) => listener.server.close(resolve));
    }
  });
});
