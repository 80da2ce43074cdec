/**
 * Reads a JSON request body with a byte limit. Past the limit the rest of the body is read and
 * dropped (up to {@link DRAIN_FACTOR} times the limit) before the 413 is sent, so that a client
 * still writing its upload reads a clear answer rather than a reset connection.
 */
import type { Context } from "koa";
import { RegistryError } from "./errors.js";

/** How far past the limit a body is drained before the connection is cut. */
const DRAIN_FACTOR = 4;

/** The parsed JSON body of `ctx`, an object; 415 unless JSON, 413 past `limit` bytes, 400 when malformed. */
export async function readJsonBody(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  if (!ctx.is("application/json", "+json")) throw new RegistryError("unsupported_media_type", "the body must be JSON (Content-Type: application/json)");
  const tooLarge = () => new RegistryError("payload_too_large", `the request body is larger than ${limit} bytes, the most this registry accepts`);
  const declared = Number(ctx.get("content-length") || NaN);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit * DRAIN_FACTOR) {
      ctx.req.destroy();
      break;
    }
    if (received <= limit) chunks.push(chunk);
  }
  if (received > limit || declared > limit) throw tooLarge();
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (error) {
    throw new RegistryError("invalid_json", `the body is not a JSON object: ${(error as Error).message}`);
  }
}
