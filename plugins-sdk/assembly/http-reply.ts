/**
 * A typed view of a `shimmy_http` reply (`{status, headers, body}` or `{status, headers,
 * body_base64}`, or `{error}`), so a plugin reads the status, a header and the body without
 * picking through the JSON itself.
 */
import { decodeBase64 } from "./base64";
import { hostError, hostErrorCode } from "./host";
import { JsonValue } from "./json";

/** A Content-Type header split into its media type (lowercased) and charset (lowercased, or ""). */
export class ContentType {
  mediaType: string = "";
  charset: string = "";
}

/**
 * Parses a Content-Type header such as `text/html; charset="UTF-8"`; an absent header gives an
 * empty media type and charset.
 */
export function parseContentType(header: string | null): ContentType {
  const result = new ContentType();
  if (header === null) return result;
  const parts = header.split(";");
  result.mediaType = parts[0].trim().toLowerCase();
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i].trim();
    const eq = p.indexOf("=");
    if (eq < 0 || p.substring(0, eq).trim().toLowerCase() != "charset") continue;
    let value = p.substring(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.substring(1, value.length - 1);
    result.charset = value.toLowerCase();
  }
  return result;
}

/**
 * A `shimmy_http` reply, read once.
 *
 * @example
 * const reply = HttpReply.from(http("GET", url));
 * if (reply.error !== null) return fail("could not fetch " + url + ": " + reply.error!);
 * if (!reply.ok) return fail(url + " answered HTTP " + reply.status.toString());
 * const text = reply.body; // null when the body is not UTF-8: see bodyBytes()
 */
export class HttpReply {
  /** The reply as the host sent it. */
  json: JsonValue = JsonValue.makeObject();
  /** The host's refusal or failure message (no answer came); null when the server answered. */
  error: string | null = null;
  /** The refusal's code (`forbidden`, `timeout`, …), or "". */
  errorCode: string = "";
  /** The HTTP status; 0 when `error` is set. */
  status: i32 = 0;
  /** The response headers as the host gives them: an object of strings. */
  headers: JsonValue = JsonValue.makeObject();
  /** The body when it is valid UTF-8; null when it is not (see {@link bodyBytes}) or absent. */
  body: string | null = null;
  /** The body as base64 when it is not valid UTF-8; null otherwise. */
  bodyBase64: string | null = null;

  /** Reads a reply of `http` or `httpRequest`. */
  static from(reply: JsonValue): HttpReply {
    const r = new HttpReply();
    r.json = reply;
    r.error = hostError(reply);
    r.errorCode = hostErrorCode(reply);
    if (r.error !== null) return r;
    r.status = <i32>reply.getIntegerClamped("status", 0, 0, 999);
    const headers = reply.getObject("headers");
    if (headers !== null) r.headers = headers;
    r.body = reply.getString("body");
    r.bodyBase64 = reply.getString("body_base64");
    return r;
  }

  /** Whether the server answered with a 2xx status. */
  get ok(): bool {
    return this.status >= 200 && this.status <= 299;
  }

  /** A response header's value, its name matched case-insensitively; null when absent. */
  header(name: string): string | null {
    const wanted = name.toLowerCase();
    const keys = this.headers.keys;
    for (let i = 0; i < keys.length; i++) {
      const value = this.headers.values[i];
      if (value.isString() && keys[i].toLowerCase() == wanted) return value.str;
    }
    return null;
  }

  /** The Content-Type header, parsed (an empty media type when there is none). */
  contentType(): ContentType {
    return parseContentType(this.header("content-type"));
  }

  /**
   * The body's bytes, whichever way the host sent them (`body` as UTF-8, or `body_base64`
   * decoded); null when the reply has neither, or its base64 is malformed.
   */
  bodyBytes(): Uint8Array | null {
    const body = this.body;
    if (body !== null) return Uint8Array.wrap(String.UTF8.encode(body));
    const base64 = this.bodyBase64;
    return base64 !== null ? decodeBase64(base64) : null;
  }
}
