/**
 * A small bounded `multipart/form-data` reader for the one route that takes it, `POST /v1/files`
 * (OpenAI's upload). The whole body is read into memory up to a limit (the file limit plus a little
 * for the other fields), then split on the boundary; no streaming to disk, as the files are bounded
 * and stored whole anyway.
 */
import type { IncomingMessage } from "node:http";
import { ShimmyError } from "../errors.js";

/** A file part. */
export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string | null;
  bytes: Buffer;
}

/** The parts of a form. */
export interface MultipartForm {
  fields: Record<string, string>;
  files: MultipartFile[];
}

/** Bytes allowed beyond the file for boundaries, headers and the text fields. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** The boundary of a `multipart/form-data` content type; null when there is none. */
export function boundaryOf(contentType: string): string | null {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/**
 * Reads the body, refusing it with `tooLarge()` as soon as it passes `maxBytes`.
 */
export async function readBounded(req: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function disposition(header: string): { name: string | null; filename: string | null } {
  const pick = (key: string) => {
    const match = new RegExp(`(?:^|;)\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(header) ?? new RegExp(`(?:^|;)\\s*${key}=([^;]+)`, "i").exec(header);
    return match ? match[1]!.replace(/\\(.)/g, "$1").trim() : null;
  };
  return { name: pick("name"), filename: pick("filename") };
}

/**
 * Splits a multipart body into text fields and files.
 *
 * @throws ShimmyError `invalid_parameter` when the body is not well-formed multipart.
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartForm {
  const bad = (why: string) => new ShimmyError("invalid_parameter", `The multipart/form-data body is malformed: ${why}.`, { param: null });
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) throw bad("the boundary never appears");
  const form: MultipartForm = { fields: {}, files: [] };
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === "--") return form; // the closing delimiter
    if (body.subarray(at, at + 2).toString() !== "\r\n") throw bad("a boundary is not followed by CRLF");
    const headersEnd = body.indexOf("\r\n\r\n", at + 2);
    if (headersEnd < 0) throw bad("a part has no end of headers");
    const headers = body.subarray(at + 2, headersEnd).toString("utf8").split("\r\n");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headersEnd + 4);
    if (next < 0) throw bad("a part is not closed by the boundary");
    const content = body.subarray(headersEnd + 4, next);
    const header = (name: string) => headers.find((h) => h.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? null;
    const { name, filename } = disposition(header("content-disposition") ?? "");
    if (name === null) throw bad("a part has no name in Content-Disposition");
    if (filename !== null) form.files.push({ field: name, filename, contentType: header("content-type"), bytes: Buffer.from(content) });
    else form.fields[name] = content.toString("utf8");
    at = next + 2;
  }
}
