/**
 * Plain HTTP requests with full control of the headers a browser or an attacker would send
 * (`Host`, `Origin`), which fetch does not let a caller set.
 */
import http from "node:http";

/** A response, with its body as text and as JSON when it parses. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: { error?: { code?: string; message?: string; param?: string | null } } & Record<string, unknown>;
}

/** Sends one request to `url` (a server on 127.0.0.1) and reads the whole response. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json = {} as RawResponse["json"];
        try {
          json = JSON.parse(text) as RawResponse["json"];
        } catch {
          // not JSON: the text is there
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
    });
    request.setTimeout(30_000, () => request.destroy(new Error("request timed out")));
    request.on("error", reject);
    request.end(options.body);
  });
}
