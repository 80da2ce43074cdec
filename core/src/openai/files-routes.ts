/**
 * `/v1/files`: OpenAI's Files API, for the files vector stores search. The upload is the one route
 * that takes `multipart/form-data` (http/json-body.ts lets it through, after the Host, Origin and
 * API-key checks), read here bounded by `--max-file-bytes`.
 */
import Router from "@koa/router";
import { ShimmyError } from "../errors.js";
import { boundaryOf, MULTIPART_OVERHEAD_BYTES, parseMultipart, readBounded } from "../http/multipart-body.js";
import type { ShimmyState } from "../http/request-context.js";
import { parsePageQuery } from "../responses/list-query.js";
import { fileObject, listObject } from "../vectors/objects.js";
import type { VectorStores } from "../vectors/vector-stores.js";

/** The purposes a file may be uploaded for: those of file search. */
export const FILE_PURPOSES = ["assistants", "user_data"] as const;

/** Options of {@link filesRouter}. */
export interface FilesRouterOptions {
  vectors: VectorStores;
  /** Largest file accepted, in bytes (`--max-file-bytes`). */
  maxFileBytes: number;
}

/** A list query whose `limit` may go up to OpenAI's 10,000 for files: pages hold at most 100, `has_more` tells the rest. */
function filesPageQuery(query: Record<string, string | string[] | undefined>) {
  const limit = typeof query.limit === "string" && /^\d+$/.test(query.limit) && Number(query.limit) > 100 && Number(query.limit) <= 10000 ? "100" : query.limit;
  return parsePageQuery({ ...query, limit });
}

/** The Files API under `/v1/files`. */
export function filesRouter(options: FilesRouterOptions): Router<ShimmyState> {
  const { vectors, maxFileBytes } = options;
  const router = new Router<ShimmyState>({ prefix: "/v1/files" });
  const tooLarge = () =>
    new ShimmyError("file_too_large", `The file is larger than the server's limit of ${maxFileBytes} bytes (--max-file-bytes).`, { param: "file", headers: { Connection: "close" } });

  router.post("/", async (ctx) => {
    const boundary = ctx.is("multipart/form-data") ? boundaryOf(ctx.get("content-type")) : null;
    if (boundary === null) {
      throw new ShimmyError("unsupported_media_type", `POST /v1/files takes multipart/form-data with a "file" and a "purpose" field (got "${ctx.get("content-type") || "none"}").`);
    }
    const form = parseMultipart(await readBounded(ctx.req, maxFileBytes + MULTIPART_OVERHEAD_BYTES, tooLarge), boundary);
    const purpose = form.fields.purpose;
    if (purpose === undefined) throw new ShimmyError("invalid_parameter", "purpose is required: assistants or user_data.", { param: "purpose" });
    if (!(FILE_PURPOSES as readonly string[]).includes(purpose)) {
      throw new ShimmyError("invalid_parameter", `purpose must be one of ${FILE_PURPOSES.join(", ")} (got "${purpose}"): Shimmy keeps files for file search only.`, { param: "purpose" });
    }
    const file = form.files.find((f) => f.field === "file");
    if (!file) throw new ShimmyError("invalid_parameter", 'The form has no "file" part.', { param: "file" });
    if (file.bytes.byteLength > maxFileBytes) throw tooLarge();
    if (file.bytes.byteLength === 0) throw new ShimmyError("unsupported_file", `The file ${file.filename} is empty.`, { param: "file" });
    const filename = file.filename.split(/[\\/]/).pop() || "upload";
    ctx.body = fileObject(vectors.uploadFile(filename, purpose, file.bytes));
  });

  router.get("/", (ctx) => {
    const purpose = typeof ctx.query.purpose === "string" && ctx.query.purpose !== "" ? ctx.query.purpose : undefined;
    const page = vectors.listFiles(filesPageQuery(ctx.query), purpose);
    ctx.body = listObject(page.data.map(fileObject), page.hasMore);
  });

  router.get("/:id", (ctx) => {
    ctx.body = fileObject(vectors.getFile(ctx.params.id!));
  });

  router.delete("/:id", async (ctx) => {
    await vectors.deleteFile(ctx.params.id!);
    ctx.body = { id: ctx.params.id, object: "file", deleted: true };
  });

  router.get("/:id/content", (ctx) => {
    const { file, bytes } = vectors.fileContent(ctx.params.id!);
    ctx.type = "application/octet-stream";
    ctx.set("Content-Disposition", `attachment; filename="${file.filename.replace(/["\\\r\n]/g, "_")}"`);
    ctx.body = bytes;
  });

  return router;
}
