/**
 * The start-up banner of `--log-format text`: what is served where, and the next command to try.
 * It takes the place of the `listening` record, which a person reads better as a few lines.
 */
import { DEFAULT_SERVER_URL } from "../config/index.js";
import type { Paint } from "./ansi.js";
import { pluginList } from "./text-line.js";

/** What the banner shows; {@link bannerInfo} reads it from the `listening` record. */
export interface BannerInfo {
  version: string;
  url: string;
  /** Servable models per discovery source (`huggingface`, `local`…). */
  sources: Readonly<Record<string, number>>;
  /** Models found that cannot be served. */
  unusable: number;
  /** The plugins as the `plugins_loaded` record lists them (`name`, `status`). */
  plugins: unknown;
  /** A model that chats, for `shimmy run MODEL`; none when no model does. */
  chatModel?: string;
  /** llama.cpp's backend and threads (`cpu, 1 thread`), when known. */
  backend?: string;
}

/** How each discovery source is named to a person, in the order they are listed. */
const SOURCE_LABELS: Record<string, string> = {
  path: "--model",
  "models-dir": "--models-dir",
  local: "./models",
  shimmy: "$SHIMMY_HOME/models",
  huggingface: "Hugging Face cache",
  ollama: "Ollama",
  lmstudio: "LM Studio",
  "llama.cpp": "llama.cpp cache",
  demo: "demo model",
};

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/**
 * `3 models (2 Hugging Face cache, 1 ./models)`, most first; `1 model (--model)` from a single source; then
 * `, 1 cannot be served` when discovery refused some (their warnings say why).
 */
export function modelSummary(sources: Readonly<Record<string, number>>, unusable = 0): string {
  const order = Object.keys(SOURCE_LABELS);
  const rank = (source: string) => (order.includes(source) ? order.indexOf(source) : order.length);
  const counted = Object.entries(sources).filter(([, count]) => count > 0).sort(([a, m], [b, n]) => n - m || rank(a) - rank(b));
  const label = (source: string) => SOURCE_LABELS[source] ?? source;
  const total = counted.reduce((sum, [, count]) => sum + count, 0);
  const from = counted.length === 1 ? label(counted[0]![0]) : counted.map(([source, count]) => `${count} ${label(source)}`).join(", ");
  return `${plural(total, "model")}${from ? ` (${from})` : ""}${unusable > 0 ? `, ${unusable} cannot be served` : ""}`;
}

/** The banner's lines, each ending in a newline. */
export function formatBanner(info: BannerInfo, p: Paint): string {
  const total = Object.values(info.sources).reduce((sum, count) => sum + count, 0);
  const lines = [
    `${p.bold(`Shimmy ${info.version}`)} listening on ${p.cyan(info.url)}`,
    total > 0
      ? `  ${modelSummary(info.sources, info.unusable)}`
      : `  ${p.yellow(modelSummary(info.sources, info.unusable))}: put a .gguf file in ./models, pass --model FILE, or run shimmy pull ORG/REPO`,
    `  plugins: ${pluginList(info.plugins)}`,
  ];
  if (info.backend) lines.push(`  llama.cpp: ${info.backend}`);
  if (total > 0) lines.push(`  try: ${p.bold(`curl ${info.url}/v1/models`)}`);
  // `shimmy run` finds the default address by itself; any other needs --url.
  const url = info.url === DEFAULT_SERVER_URL ? "" : ` --url ${info.url}`;
  if (info.chatModel) lines.push(`    or ${p.bold(`npx shimmy run ${info.chatModel}${url}`)}`);
  // The web page (web/web-page.ts): a chat, the models and the plugins.
  if (total > 0) lines.push(`    or open ${p.cyan(`${info.url}/`)} in a browser`);
  return lines.map((line) => `${line}\n`).join("");
}

/** The banner's fields from a `listening` record, with the backend seen earlier. */
export function bannerInfo(record: Record<string, unknown>, backend?: string): BannerInfo {
  const sources = typeof record.sources === "object" && record.sources !== null ? (record.sources as Record<string, number>) : {};
  return {
    version: typeof record.version === "string" ? record.version : "",
    url: typeof record.url === "string" ? record.url : "",
    sources,
    unusable: typeof record.unusable === "number" ? record.unusable : 0,
    plugins: record.plugins,
    ...(typeof record.chatModel === "string" ? { chatModel: record.chatModel } : {}),
    ...(backend ? { backend } : {}),
  };
}
