import { describe, expect, it } from "vitest";
import { canonicalAddress, isPrivateAddress, matchGrant, resolveGrants } from "./net-grants.js";

describe("resolveGrants", () => {
  it("parses origins, fills default ports and lowercases hosts", () => {
    const [a, b, c] = resolveGrants(["https://API.Example.com", "http://example.com", "http://example.com:8080"], {});
    expect(a).toMatchObject({ scheme: "https", host: "api.example.com", port: 443, wildcard: false, literal: false });
    expect(b).toMatchObject({ scheme: "http", port: 80 });
    expect(c).toMatchObject({ port: 8080 });
  });

  it("parses wildcards, IPv4 and bracketed IPv6 literals", () => {
    const [w, v4, v6] = resolveGrants(["https://*.example.com", "http://10.0.0.5:9000", "http://[::1]:8080"], {});
    expect(w).toMatchObject({ host: "example.com", wildcard: true, literal: false });
    expect(v4).toMatchObject({ host: "10.0.0.5", literal: true, fromConfig: false });
    expect(v6).toMatchObject({ host: "[::1]", port: 8080, literal: true });
  });

  it("expands templates from config and counts them as literal", () => {
    const grants = resolveGrants(["{config.baseUrl}", "https://{config.sub}.example.com"], {
      baseUrl: "http://localhost:11434/v1",
      sub: "eu",
    });
    expect(grants).toEqual([
      expect.objectContaining({ scheme: "http", host: "localhost", port: 11434, literal: true, fromConfig: true }),
      expect.objectContaining({ host: "eu.example.com", literal: true }),
    ]);
  });

  it("does not count a value that is the config schema's default as literal, unless it is an IP", () => {
    const config = { url: "https://html.duckduckgo.com", local: "http://127.0.0.1:8888", mine: "http://search.lan" };
    const grants = resolveGrants(["{config.url}", "{config.local}", "{config.mine}"], config, new Set(["url", "local"]));
    expect(grants.map((g) => [g.host, g.literal, g.fromConfig])).toEqual([
      ["html.duckduckgo.com", false, true],
      ["127.0.0.1", true, true],
      ["search.lan", true, true],
    ]);
  });

  it("gives one literal grant per entry when a whole-pattern template names a list", () => {
    const grants = resolveGrants(["{config.origins}"], { origins: ["https://a.example", "http://127.0.0.1:8080/path", "", 7] });
    expect(grants.map((g) => [g.scheme, g.host, g.port, g.literal])).toEqual([
      ["https", "a.example", 443, true],
      ["http", "127.0.0.1", 8080, true],
    ]);
    expect(resolveGrants(["{config.origins}"], { origins: [] })).toEqual([]);
  });

  it("drops templates whose key is missing or empty, and patterns that are not origins", () => {
    const grants = resolveGrants(
      ["{config.missing}", "{config.empty}", "{config.obj}", "ftp://example.com", "https://example.com/path", "example.com",
        "https://user:pw@example.com", "https://*.[::1]", "https://*.com", "https://*.10.0.0.1"],
      { empty: "  ", obj: { a: 1 } },
    );
    expect(grants).toEqual([]);
  });
});

describe("matchGrant", () => {
  const grants = resolveGrants(["https://*.example.com", "http://api.test:8080", "https://[::1]"], {});

  it("needs scheme, host and port to match", () => {
    expect(matchGrant(new URL("http://api.test:8080/x"), grants)?.host).toBe("api.test");
    expect(matchGrant(new URL("https://api.test:8080/x"), grants)).toBeNull();
    expect(matchGrant(new URL("http://api.test:8081/x"), grants)).toBeNull();
    expect(matchGrant(new URL("http://api.test/x"), grants)).toBeNull();
    expect(matchGrant(new URL("http://API.TEST:8080/"), grants)?.host).toBe("api.test");
  });

  it("matches wildcard subdomains but not the apex or look-alikes", () => {
    expect(matchGrant(new URL("https://a.example.com/"), grants)?.wildcard).toBe(true);
    expect(matchGrant(new URL("https://a.b.example.com:443/"), grants)?.wildcard).toBe(true);
    expect(matchGrant(new URL("https://example.com/"), grants)).toBeNull();
    expect(matchGrant(new URL("https://badexample.com/"), grants)).toBeNull();
    expect(matchGrant(new URL("https://example.com.evil.net/"), grants)).toBeNull();
    expect(matchGrant(new URL("https://a.example.com:8443/"), grants)).toBeNull();
  });

  it("matches IPv6 literals and prefers an exact grant over a wildcard", () => {
    expect(matchGrant(new URL("https://[0:0::1]/"), grants)?.host).toBe("[::1]");
    const both = resolveGrants(["https://*.example.com", "{config.u}"], { u: "https://api.example.com" });
    expect(matchGrant(new URL("https://api.example.com/"), both)?.fromConfig).toBe(true);
  });
});

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "100.127.255.255", "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",
    "::1", "::", "fe80::1", "fe80::1%eth0", "febf::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:7f00:1", "64:ff9b::a00:1", "2002:c0a8:101::1", "[::1]",
    "not-an-ip", "", "1.2.3",
  ])("%s is private", (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.253.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::1"])(
    "%s is public",
    (ip) => expect(isPrivateAddress(ip)).toBe(false),
  );
});

describe("canonicalAddress", () => {
  it("maps IPv4-mapped IPv6 to IPv4 and expands IPv6", () => {
    expect(canonicalAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(canonicalAddress("::ffff:7f00:1")).toBe("127.0.0.1");
    expect(canonicalAddress("[::1]")).toBe("0:0:0:0:0:0:0:1");
    expect(canonicalAddress("0:0::1")).toBe("0:0:0:0:0:0:0:1");
    expect(canonicalAddress("example.com")).toBeNull();
  });
});
