import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { StartupError } from "../startup-error.js";
import { bindListener, describeListenError, type BoundListener } from "./listen.js";

let bound: BoundListener | undefined;
let blocker: net.Server | undefined;
afterEach(async () => {
  if (bound) await bound.abandon(null).catch(() => undefined);
  if (blocker) await new Promise((resolve) => blocker!.close(resolve));
  bound = blocker = undefined;
});

describe("bindListener", () => {
  it("binds a free port with port 0 and holds early requests until serve()", async () => {
    bound = await bindListener({ host: "127.0.0.1", port: 0 });
    expect(bound.address.port).toBeGreaterThan(0);
    const answer = fetch(`http://127.0.0.1:${bound.address.port}/early`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    bound.serve((req, res) => res.end(`served ${req.url}`));
    expect(await answer).toBe("served /early");
  });

  it("says a busy port is in use and what to do, as a StartupError", async () => {
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const failure = bindListener({ host: "127.0.0.1", port });
    await expect(failure).rejects.toBeInstanceOf(StartupError);
    await expect(failure).rejects.toThrow(`port ${port} is in use on 127.0.0.1: is another Shimmy running? Use --port`);
  });

  it("frees the port when a start is abandoned, and rethrows", async () => {
    const listener = await bindListener({ host: "127.0.0.1", port: 0 });
    const { port } = listener.address;
    await expect(listener.abandon(new Error("engine failed"))).rejects.toThrow("engine failed");
    bound = await bindListener({ host: "127.0.0.1", port });
    expect(bound.address.port).toBe(port);
  });
});

describe("describeListenError", () => {
  const where = { host: "10.9.9.9", port: 80 };
  const fail = (code: string) => Object.assign(new Error(code), { code });

  it("words the failures a user can fix and leaves the others alone", () => {
    expect(describeListenError(fail("EACCES"), where)).toMatch(/permission denied.*use --port with a port above 1023/);
    expect(describeListenError(fail("EADDRNOTAVAIL"), where)).toMatch(/^cannot listen on 10\.9\.9\.9: .*use --host/);
    expect(describeListenError(fail("ENOTFOUND"), where)).toMatch(/no such host name; use --host/);
    expect(describeListenError(fail("EMFILE"), where)).toBeNull();
    expect(describeListenError(new Error("no code"), where)).toBeNull();
  });
});
