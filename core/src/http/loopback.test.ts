import { describe, expect, it } from "vitest";
import { hostnameOf, isLoopbackAddress } from "./loopback.js";

describe("hostnameOf", () => {
  it("drops the port and lower-cases", () => {
    expect(hostnameOf("LocalHost:11435")).toBe("localhost");
    expect(hostnameOf("127.0.0.1")).toBe("127.0.0.1");
    expect(hostnameOf("[::1]:8080")).toBe("[::1]");
    expect(hostnameOf("example.com.:80")).toBe("example.com");
  });

  it("rejects what is not a host", () => {
    expect(hostnameOf("")).toBeNull();
    expect(hostnameOf("a:b:c")).toBeNull();
    expect(hostnameOf("host:99999999")).toBeNull();
  });
});

describe("isLoopbackAddress", () => {
  it("knows loopback listen addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) expect(isLoopbackAddress(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.2", "example.com"]) expect(isLoopbackAddress(host), host).toBe(false);
  });
});
