/**
 * The registry client's one way to make a request: a deadline while waiting for an answer, a
 * deadline between two chunks of the body (a registry that stops sending mid-download is noticed
 * and named, not waited on), a cap on the body, and failures worded for the user.
 */
import { RegistryError } from "./registry-error.js";

/** Options of {@link registryGet}. */
export interface RegistryGetOptions {
  /** Sent as `Authorization: Bearer TOKEN`. */
  token?: string | undefined;
  /** `accept` header. @default "application/json" */
  accept?: string;
  /** Longest wait for the answer's headers, and then between two chunks of its body, in ms. @default 30000 */
  timeoutMs?: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Called with the bytes received so far and the total the answer announced (null when it did not). */
  onProgress?(received: number, total: number | null): void;
  /** Answers 404 with null instead of throwing `not_found`. */
  allowNotFound?: boolean;
  /** The `fetch` to use (tests). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The default of {@link RegistryGetOptions.timeoutMs}. */
export const REGISTRY_TIMEOUT_MS = 30_000;

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * GETs `url` and resolves to its body; null for a 404 with `allowNotFound`.
 *
 * @param what Names the resource in messages (`the packument of web-search`).
 * @throws {RegistryError} `unreachable` (no answer, a timeout, a connection that died midway),
 *   `not_found`, `too_large`, or `bad_response` for any other status.
 */
export async function registryGet(url: string, what: string, options: RegistryGetOptions): Promise<Buffer | null> {
  const timeoutMs = options.timeoutMs ?? REGISTRY_TIMEOUT_MS;
  const origin = new URL(url).origin;
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), timeoutMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), timeoutMs);
  };
  try {
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(url, {
        headers: { accept: options.accept ?? "application/json", ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
        signal: controller.signal,
        redirect: "follow",
      });
    } catch (error) {
      const reason = controller.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : networkReason(error);
      throw new RegistryError("unreachable", `cannot reach the registry at ${origin} for ${what} (${reason}): is it running? Name another with --registry URL or SHIMMY_REGISTRY`, { cause: error });
    }
    if (response.status === 404 && options.allowNotFound) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      const text = (await response.text().catch(() => "")).slice(0, 300);
      let reason = text.split("\n")[0] ?? "";
      try {
        const body = JSON.parse(text) as { error?: unknown; reason?: unknown };
        reason = String(body.error ?? body.reason ?? reason);
      } catch {
        // not JSON: its first line says enough
      }
      if (response.status === 404) throw new RegistryError("not_found", `${what} is not in the registry at ${origin}${reason ? ` (${reason})` : ""}`);
      throw new RegistryError("bad_response", `the registry at ${origin} answered ${response.status} for ${what}${reason ? `: ${reason}` : ""}`);
    }
    const announced = Number(response.headers.get("content-length"));
    const total = Number.isFinite(announced) && announced > 0 ? announced : null;
    if (total !== null && total > options.maxBytes) {
      await response.body?.cancel();
      throw new RegistryError("too_large", `${what} is ${total} bytes; at most ${options.maxBytes} are accepted`);
    }
    const chunks: Buffer[] = [];
    let received = 0;
    options.onProgress?.(0, total);
    try {
      for await (const chunk of response.body ?? []) {
        rearm();
        received += chunk.length;
        if (received > options.maxBytes) {
          controller.abort();
          throw new RegistryError("too_large", `${what} is over ${options.maxBytes} bytes; refusing the rest`);
        }
        chunks.push(Buffer.from(chunk));
        options.onProgress?.(received, total);
      }
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      const reason = controller.signal.aborted ? `it sent nothing for ${timeoutMs / 1000} s` : networkReason(error);
      throw new RegistryError("unreachable", `the registry at ${origin} stopped sending ${what} after ${received}${total ? ` of ${total}` : ""} bytes (${reason}); nothing was installed`, { cause: error });
    }
    if (total !== null && received !== total) {
      throw new RegistryError("unreachable", `the registry at ${origin} closed the connection after ${received} of ${total} bytes of ${what}; nothing was installed`);
    }
    return Buffer.concat(chunks);
  } finally {
    clearTimeout(timer);
  }
}

/** {@link registryGet} of a JSON document. */
export async function registryGetJson(url: string, what: string, options: RegistryGetOptions): Promise<unknown> {
  const body = await registryGet(url, what, options);
  if (body === null) return null;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new RegistryError("bad_response", `the registry at ${new URL(url).origin} sent ${what} that is not JSON`);
  }
}
