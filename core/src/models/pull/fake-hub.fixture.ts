/**
 * A Hugging Face hub on 127.0.0.1 for tests, answering in the hub's real shapes: the model info,
 * the tree (`lfs.oid` = sha256), and `resolve/main/FILE` as a 302 to a CDN path with `ETag`,
 * `X-Linked-Etag`, `X-Repo-Commit` and `X-Linked-Size`; the CDN path honours `Range`. Gated repos
 * answer 401 without the token; a repo can be told to cut the connection mid-body or to publish a
 * wrong sha256.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One repository the fake hub serves. */
export interface FakeRepo {
  /** Path in the repo → content. */
  files: Record<string, Buffer>;
  gated?: boolean;
  license?: string;
  /** Publish this sha256 for every file instead of the real one. */
  wrongSha256?: string;
  /** Cut the connection of the next N downloads after this many body bytes. */
  cutAfterBytes?: number;
  cuts?: number;
  /** Hold the next N downloads after this many body bytes, until {@link FakeHub.release}. */
  stallAfterBytes?: number;
  stalls?: number;
}

/** A running fake hub. */
export interface FakeHub {
  url: string;
  commit: string;
  /** `Range` headers the CDN path received, in order (`null` for none). */
  ranges: Array<string | null>;
  /** `Authorization` headers the CDN path received (the token must stay with the hub). */
  cdnAuthorization: Array<string | null>;
  /** Resolves once `count` downloads in all have been held at `stallAfterBytes` (their bytes handed to the socket). @default 1 */
  stalled(count?: number): Promise<void>;
  /** Sends the rest of every held download. */
  release(): void;
  close(): Promise<void>;
}

// Each file is hashed once, not on every tree and resolve request (a benchmark serves hundreds of MB).
const hashes = new WeakMap<Buffer, string>();
function sha256(data: Buffer): string {
  let hash = hashes.get(data);
  if (hash === undefined) hashes.set(data, (hash = createHash("sha256").update(data).digest("hex")));
  return hash;
}

/** Starts a fake hub serving `repos` (`org/name` → repo); `token` opens gated repos. */
export async function startFakeHub(repos: Record<string, FakeRepo>, token = "hf_test"): Promise<FakeHub> {
  const commit = "0123456789abcdef0123456789abcdef01234567";
  const ranges: Array<string | null> = [];
  const cdnAuthorization: Array<string | null> = [];
  const held: Array<() => void> = [];
  let stallCount = 0;
  const stallWaiters: Array<{ count: number; wake: () => void }> = [];
  const notFound = (res: http.ServerResponse) => {
    res.writeHead(404, { "content-type": "application/json", "x-error-code": "RepoNotFound" });
    res.end(JSON.stringify({ error: "Repository not found" }));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://hub");
    const api = /^\/api\/models\/([^/]+\/[^/]+)(\/tree\/main)?$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    const name = api?.[1] ?? resolve?.[1] ?? cdn?.[1];
    const repo = name ? repos[name] : undefined;
    if (!repo) return notFound(res);
    const publishedSha = (data: Buffer) => repo.wrongSha256 ?? sha256(data);
    if (api && !api[2]) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({
        id: name, modelId: name, sha: commit, private: false, gated: repo.gated ? "manual" : false,
        cardData: repo.license ? { license: repo.license } : {}, tags: ["gguf"],
        siblings: Object.keys(repo.files).map((rfilename) => ({ rfilename })),
      }));
    }
    if (api) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(Object.entries(repo.files).map(([path, data]) => ({
        type: "file", oid: sha256(Buffer.from(path)).slice(0, 40), size: data.length, path,
        lfs: { oid: publishedSha(data), size: data.length, pointerSize: 134 },
      }))));
    }
    const file = decodeURIComponent((resolve ?? cdn)![2]!);
    const data = repo.files[file];
    if (!data) return notFound(res);
    if (resolve) {
      if (repo.gated && req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { "x-error-code": "GatedRepo" });
        return res.end("Access to model is restricted");
      }
      res.writeHead(302, {
        location: `/cdn/${name}/${encodeURIComponent(file)}`, "x-repo-commit": commit,
        etag: `"${sha256(Buffer.from(file)).slice(0, 40)}"`, "x-linked-etag": `"${publishedSha(data)}"`, "x-linked-size": String(data.length),
      });
      return res.end();
    }
    ranges.push(req.headers.range ?? null);
    cdnAuthorization.push(req.headers.authorization ?? null);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    if (start >= data.length && data.length > 0) {
      res.writeHead(416, { "content-range": `bytes */${data.length}` });
      return res.end();
    }
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, {
      "content-length": String(body.length), etag: `"${sha256(data)}"`, "accept-ranges": "bytes",
      ...(range ? { "content-range": `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    if (repo.cutAfterBytes !== undefined && (repo.cuts ?? 0) > 0) {
      repo.cuts! -= 1;
      // Send part of the body, then close the connection: the client sees a body shorter than its
      // length. A FIN after the bytes, not destroy()'s reset, which can make the client's kernel drop
      // bytes it has received but the client has not yet read (a busy machine), leaving none to resume.
      res.write(body.subarray(0, repo.cutAfterBytes), () => res.socket?.end());
      return;
    }
    if (repo.stallAfterBytes !== undefined && (repo.stalls ?? 0) > 0) {
      repo.stalls! -= 1;
      const cut = repo.stallAfterBytes;
      res.write(body.subarray(0, cut), () => {
        stallCount += 1;
        for (const waiter of stallWaiters.splice(0)) if (stallCount >= waiter.count) waiter.wake(); else stallWaiters.push(waiter);
      });
      held.push(() => res.end(body.subarray(cut)));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, commit, ranges, cdnAuthorization,
    stalled: (count = 1) => new Promise((wake) => (stallCount >= count ? wake() : stallWaiters.push({ count, wake }))),
    release: () => {
      for (const send of held.splice(0)) send();
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
