/**
 * Builds the Files and Vector Stores APIs: the {@link VectorStores} service over the state
 * database and `$SHIMMY_HOME`, its routers, and the recovery run at start (indexes checked
 * against the database, unfinished files queued again).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Router from "@koa/router";
import type { Engine } from "../engine/types.js";
import type { ShimmyState } from "../http/request-context.js";
import type { Logger } from "../logger.js";
import { openStateDb, type StateDb } from "../state/state-db.js";
import { EngineEmbeddingBackend, type EmbeddingBackend } from "../vectors/embedding-backend.js";
import type { PluginEmbedderSource } from "../plugins/embedders.js";
import { VectorStores } from "../vectors/vector-stores.js";
import { filesRouter } from "./files-routes.js";
import { vectorStoresRouter } from "./vector-stores-routes.js";

/** Where and how vector stores keep their data. */
export interface VectorStoresSettings {
  /** `$SHIMMY_HOME`: uploaded files go to `files/`, saved indexes to `vectors/`. */
  home: string;
  /** `--max-file-bytes`. */
  maxFileBytes: number;
  /** `vectorStores.embeddingModel` of config.json. */
  embeddingModel: string | null;
}

/** Options of {@link vectorStoresApi}. */
export interface VectorStoresApiOptions {
  engine: Engine;
  logger: Logger;
  /** @default a private in-memory database */
  state?: StateDb;
  /** @default a temporary home, 64 MiB files, no configured model */
  settings?: VectorStoresSettings;
  /** @default the engine's embeddings */
  backend?: EmbeddingBackend;
  /** The installed plugins' embedders, for stores made with `PLUGIN/EMBEDDER`. @default none */
  embedders?: PluginEmbedderSource;
}

/** The two routers, the service (for `file_search`) and how to stop it. */
export interface VectorStoresApi {
  routers: Router<ShimmyState>[];
  vectors: VectorStores;
  /** Resolves once the start-up recovery has run. */
  ready: Promise<void>;
  dispose(): Promise<void>;
}

/** Builds the service and routes, and starts recovery. */
export function vectorStoresApi(options: VectorStoresApiOptions): VectorStoresApi {
  const state = options.state ?? openStateDb({ file: ":memory:" });
  const settings = options.settings ?? { home: fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vectors-")), maxFileBytes: 64 * 1024 * 1024, embeddingModel: null };
  const backend = options.backend ?? new EngineEmbeddingBackend(options.engine, { defaultModel: settings.embeddingModel, ...(options.embedders ? { embedders: options.embedders } : {}) });
  const vectors = new VectorStores({ db: state.db, home: settings.home, backend, logger: options.logger });
  const started = Date.now();
  const ready = vectors.resume().then(
    ({ stores, requeued, expired }) => {
      if (stores + expired > 0) options.logger.info({ event: "vector_stores_ready", stores, requeued, expired, ms: Date.now() - started });
    },
    (err: Error) => options.logger.error({ event: "vector_stores_recovery_failed", err: err.message }),
  );
  return {
    routers: [filesRouter({ vectors, maxFileBytes: settings.maxFileBytes }), vectorStoresRouter(vectors)],
    vectors,
    ready,
    dispose: async () => {
      await ready;
      await vectors.dispose();
    },
  };
}
