/**
 * Uploaded files (`/v1/files`): their metadata; the bytes live in the blob folder
 * (vectors/file-blobs.ts), addressed by the sha256 kept here. Plain portable SQL.
 */
import type { Database } from "better-sqlite3";
import { pageClause, toPage, type Page, type PageQuery } from "./page.js";

/** A file row. */
export interface FileRow {
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
  sha256: string;
  /** Seconds since the epoch. */
  createdAt: number;
}

interface Raw { id: string; filename: string; purpose: string; bytes: number; sha256: string; created_at: number }
const toRow = (r: Raw): FileRow => ({ id: r.id, filename: r.filename, purpose: r.purpose, bytes: r.bytes, sha256: r.sha256, createdAt: r.created_at });

/** The `files` table. */
export class SqliteFilesRepo {
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  insert(file: FileRow): void {
    this.db
      .prepare("INSERT INTO files (id, position, filename, purpose, bytes, sha256, created_at) VALUES (?, (SELECT COALESCE(MAX(position), 0) + 1 FROM files), ?, ?, ?, ?, ?)")
      .run(file.id, file.filename, file.purpose, file.bytes, file.sha256, file.createdAt);
  }

  get(id: string): FileRow | null {
    const row = this.db.prepare("SELECT * FROM files WHERE id = ?").get(id) as Raw | undefined;
    return row ? toRow(row) : null;
  }

  /** A page of files, optionally of one purpose; null when `after`/`before` names no file. */
  list(query: PageQuery, purpose?: string): Page<FileRow> | null {
    const position = (id: string | undefined) => (id === undefined ? undefined : ((this.db.prepare("SELECT position FROM files WHERE id = ?").get(id) as { position: number } | undefined)?.position ?? null));
    const after = position(query.after);
    const before = position(query.before);
    if (after === null || before === null) return null;
    const tail = pageClause(query, after, before);
    const where = purpose === undefined ? "1 = 1" : "purpose = ?";
    const rows = this.db.prepare(`SELECT * FROM files WHERE ${where}${tail.sql}`).all(...(purpose === undefined ? [] : [purpose]), ...tail.params) as Raw[];
    return toPage(rows.map(toRow), query.limit);
  }

  /** Deletes the row; false when there was none. */
  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM files WHERE id = ?").run(id).changes > 0;
  }

  /** Whether any file still has these bytes (so the blob must stay). */
  hasSha256(sha256: string): boolean {
    return this.db.prepare("SELECT 1 FROM files WHERE sha256 = ? LIMIT 1").get(sha256) !== undefined;
  }
}
