/**
 * The two Hugging Face hub API calls a pull needs, in the hub's real shapes: the model info
 * (`GET /api/models/ORG/REPO`: `sha`, `gated`, `cardData.license`, `siblings`) and the file tree
 * (`GET /api/models/ORG/REPO/tree/main?recursive=true`: `path`, `size`, `lfs.oid`), with the
 * hub's failures turned into {@link PullError}s that say what to do. Asked with `raw-get.ts`, not
 * `fetch`: the first `fetch` of a process loads undici, about a sixth of a `shimmy pull`'s start.
 */
import { PullError } from "./pull-error.js";
import { rawGet } from "./raw-get.js";

/** The fields of the model info a pull reads. */
export interface HubModelInfo {
  /** The commit `main` points at. */
  sha?: string;
  /** `false`, or how access is granted (`"auto"`, `"manual"`). */
  gated?: boolean | string;
  cardData?: { license?: string | string[] };
  siblings?: Array<{ rfilename: string }>;
}

/** One entry of the tree. */
export interface HubTreeEntry {
  type: "file" | "directory";
  path: string;
  size: number;
  /** Present for files stored with Git LFS (every GGUF): `oid` is the file's sha256. */
  lfs?: { oid: string; size: number };
}

/** Options of {@link HubApi}. */
export interface HubApiOptions {
  /** `https://huggingface.co` or a mirror, without a trailing slash. */
  endpoint: string;
  /** `HF_TOKEN`, sent as `Authorization: Bearer` to the hub. */
  token: string | null;
  /** Limit of each API request, headers and body. @default 30000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Pages of the tree followed through `Link: rel="next"` (the hub gives 1,000 entries a page). */
const MAX_TREE_PAGES = 50;
/** Redirects followed (the hub redirects a renamed repository's API to its new name). */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The page on the hub where a repository's licence is accepted. */
export function modelPage(endpoint: string, repo: string): string {
  return `${endpoint}/${repo}`;
}

/** The error of a refused hub request, by status and the hub's `X-Error-Code` header. */
export function hubFailure(status: number, errorCode: string | null, repo: string, options: HubApiOptions): PullError {
  if (errorCode === "GatedRepo" || ((status === 401 || status === 403) && errorCode !== "RepoNotFound")) {
    const what = options.token ? "HF_TOKEN was refused" : "it needs a Hugging Face token";
    return new PullError("gated", `${repo} is gated and ${what}: accept its licence on ${modelPage(options.endpoint, repo)}, then set HF_TOKEN to an access token of that account`);
  }
  if (status === 404 || errorCode === "RepoNotFound" || errorCode === "EntryNotFound" || errorCode === "RevisionNotFound") {
    const hint = options.token ? "" : " (if it is private, set HF_TOKEN)";
    return new PullError("repo_not_found", `${repo} was not found on ${options.endpoint}${hint}`);
  }
  return new PullError("download_failed", `${options.endpoint} answered ${status} for ${repo}`);
}

/** Turns a fetch failure (timeout, refused connection) into a {@link PullError}. */
export function networkFailure(err: unknown, url: string): PullError {
  if (err instanceof PullError) return err;
  const name = (err as Error)?.name;
  if (name === "TimeoutError") return new PullError("timeout", `${url} did not answer in time`, { cause: err });
  if (name === "AbortError") return new PullError("download_failed", "the pull was cancelled", { cause: err });
  const cause = (err as { cause?: { message?: string } })?.cause?.message;
  return new PullError("download_failed", `cannot reach ${new URL(url).origin}: ${cause ?? (err as Error).message}`, { cause: err });
}

/**
 * Reads the hub's API for one repository.
 *
 * @example
 * const api = new HubApi({ endpoint: "https://huggingface.co", token: null });
 * const files = await api.tree("bartowski/SmolLM2-135M-Instruct-GGUF");
 */
export class HubApi {
  private readonly options: HubApiOptions;

  constructor(options: HubApiOptions) {
    this.options = options;
  }

  /** The model info of `repo`. */
  async modelInfo(repo: string): Promise<HubModelInfo> {
    return (await this.getJson(`${this.options.endpoint}/api/models/${repo}`, repo)).body as HubModelInfo;
  }

  /** Every file of `repo` at `main`, folders included, following the tree's pages. */
  async tree(repo: string): Promise<HubTreeEntry[]> {
    const entries: HubTreeEntry[] = [];
    let url: string | null = `${this.options.endpoint}/api/models/${repo}/tree/main?recursive=true`;
    for (let page = 0; url !== null && page < MAX_TREE_PAGES; page++) {
      const { body, next }: { body: unknown; next: string | null } = await this.getJson(url, repo);
      if (!Array.isArray(body)) throw new PullError("download_failed", `${this.options.endpoint} sent a tree of ${repo} that is not a list`);
      entries.push(...(body as HubTreeEntry[]));
      url = next;
    }
    return entries;
  }

  private async getJson(url: string, repo: string): Promise<{ body: unknown; next: string | null }> {
    const { token, timeoutMs = 30_000, signal } = this.options;
    const timeout = AbortSignal.timeout(timeoutMs);
    const origin = new URL(this.options.endpoint).origin;
    let at = new URL(url);
    try {
      for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        // The token goes to the hub's own origin only, as fetch drops it on a cross-origin redirect.
        const headers: Record<string, string> = { accept: "application/json", "accept-encoding": "identity" };
        if (token && at.origin === origin) headers.authorization = `Bearer ${token}`;
        const res = await rawGet(at, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout, idleTimeoutMs: timeoutMs });
        const chunks: Buffer[] = [];
        await res.readBody((chunk) => chunks.push(chunk));
        const location = res.headers.location;
        if (REDIRECTS.has(res.statusCode) && location) {
          at = new URL(location, at);
          continue;
        }
        if (res.statusCode < 200 || res.statusCode > 299) throw hubFailure(res.statusCode, res.headers["x-error-code"] ?? null, repo, this.options);
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.link ?? "");
        return { body, next: link ? new URL(link[1]!, at).href : null };
      }
    } catch (err) {
      // The deadline aborts the request like a cancel does: tell the two apart here.
      throw networkFailure(timeout.aborted && !signal?.aborted ? timeout.reason : err, url);
    }
    throw new PullError("download_failed", `${url} redirected more than ${MAX_REDIRECTS} times`);
  }
}
