/**
 * Turns an uploaded file into the text a vector store chunks: plain text, Markdown, code, CSV and
 * the like as they are; HTML without its markup; JSON pretty-printed (so the chunker finds spaces
 * between values); PDF through `unpdf` (Mozilla's pdf.js, maintained by the UnJS project), its
 * text layer only (a scanned PDF without one has no text). The type comes from the file name's
 * extension, as OpenAI's file search decides it.
 */
import path from "node:path";
import { extractText as extractPdfText, getDocumentProxy } from "unpdf";
import { ShimmyError } from "../errors.js";

/** Extensions read as text as they are. */
const TEXT_EXTENSIONS = new Set([
  "txt", "text", "md", "markdown", "mdx", "rst", "adoc", "csv", "tsv", "log", "tex",
  "c", "h", "cc", "cpp", "cxx", "hpp", "cs", "go", "rs", "java", "kt", "kts", "scala", "swift", "m", "mm",
  "js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx", "py", "rb", "php", "pl", "lua", "r", "jl", "dart",
  "sh", "bash", "zsh", "ps1", "sql", "css", "scss", "less", "vue", "svelte", "xml", "yaml", "yml", "toml", "ini", "cfg", "conf",
]);

/** Whether a file of this name can go into a vector store. */
export function isSupportedFile(filename: string): boolean {
  const ext = extensionOf(filename);
  return TEXT_EXTENSIONS.has(ext) || ext === "html" || ext === "htm" || ext === "json" || ext === "jsonl" || ext === "pdf";
}

function extensionOf(filename: string): string {
  return path.extname(filename).slice(1).toLowerCase();
}

function unsupported(message: string): ShimmyError {
  return new ShimmyError("unsupported_file", message, { param: "file_id" });
}

/** Entities common in HTML text; numeric ones are decoded generally. */
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** The visible text of an HTML document, block elements on their own lines. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<(script|style|noscript|template|head)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<\/?(p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|pre|blockquote)\b[^>]*>/gi, "\n")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/[ \t\f\v\r]+/g, " ")
    .replace(/ *\n[\n ]*/g, "\n")
    .trim();
}

/**
 * The text of a file, by its name's extension.
 *
 * @throws ShimmyError `unsupported_file` for an unknown extension, bytes that are not UTF-8 text,
 * invalid JSON, or a file with no text at all.
 */
export async function extractText(filename: string, bytes: Uint8Array): Promise<string> {
  const ext = extensionOf(filename);
  if (!isSupportedFile(filename)) {
    throw unsupported(`Files of type ".${ext || "(none)"}" cannot be searched (${filename}): upload text, Markdown, HTML, JSON, code or PDF.`);
  }
  let text: string;
  if (ext === "pdf") {
    try {
      const pdf = await getDocumentProxy(new Uint8Array(bytes));
      text = (await extractPdfText(pdf, { mergePages: true })).text;
    } catch (err) {
      throw unsupported(`${filename} is not a readable PDF: ${(err as Error).message}`);
    }
  } else {
    const decoded = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
    if (decoded.includes("\u0000")) throw unsupported(`${filename} is not a text file (it holds NUL bytes).`);
    if (ext === "html" || ext === "htm") text = htmlToText(decoded);
    else if (ext === "json") {
      try {
        text = JSON.stringify(JSON.parse(decoded), null, 1);
      } catch (err) {
        throw unsupported(`${filename} is not valid JSON: ${(err as Error).message}`);
      }
    } else text = decoded;
  }
  if (text.trim() === "") throw unsupported(`${filename} has no text to search.`);
  return text;
}
