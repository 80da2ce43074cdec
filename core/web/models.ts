/**
 * The models: what discovery found (`GET /api/models`) and which are loaded, with buttons to load
 * (progress from `POST /api/models/load`'s events) and unload them, and to scan the folders again.
 */
import { readSseData } from "../src/cli/sse.js";
import { ApiError, json, request } from "./api.js";
import { byId, h, setStatus } from "./dom.js";
import { formatBytes } from "./format.js";
import type { AdminModel, WireError } from "./wire.js";

/** What the rest of the page asks of the models section. */
export interface ModelsView {
  /** Reads the list again. */
  refresh(): Promise<void>;
}

function stateCell(model: AdminModel): HTMLTableCellElement {
  if (model.invalid_reason) return h("td", { "data-field": "state" }, h("span", { class: "badge old" }, "cannot be served"), " ", h("span", { class: "muted" }, model.invalid_reason));
  if (!model.loaded) return h("td", { "data-field": "state" }, h("span", { class: "badge" }, "not loaded"));
  return h("td", { "data-field": "state" }, h("span", { class: "badge ok" }, "loaded"), model.memory_bytes === null ? "" : ` ${formatBytes(model.memory_bytes)}`);
}

/** Loads `id`, showing its progress in `progress`; resolves when it is loaded. */
async function loadModel(id: string, progress: HTMLProgressElement): Promise<void> {
  const response = await request("POST", "/api/models/load", { body: { model: id }, accept: "text/event-stream" });
  if (!response.headers.get("content-type")?.startsWith("text/event-stream") || !response.body) return;
  for await (const data of readSseData(response.body)) {
    if (data === "[DONE]") break;
    const event = JSON.parse(data) as { progress?: number; error?: WireError };
    if (event.error) throw new ApiError(0, event.error);
    if (event.progress !== undefined) progress.value = event.progress;
  }
}

/** Wires the models section; `onChange` runs when the served models may have changed. */
export function modelsView(onChange: () => void): ModelsView {
  const rows = byId<HTMLTableSectionElement>("models-rows");
  const status = byId("models-status");

  const act = async (label: string, work: () => Promise<unknown>) => {
    setStatus(status, `${label}…`);
    try {
      await work();
      setStatus(status, `${label}: done.`);
    } catch (error) {
      setStatus(status, `${label}: ${(error as Error).message}`, true);
    }
    await view.refresh();
    onChange();
  };

  const row = (model: AdminModel): HTMLTableRowElement => {
    const state = stateCell(model);
    const button = model.invalid_reason
      ? null
      : model.loaded
        ? h("button", { type: "button", "aria-label": `Unload ${model.id}`, onclick: () => act(`Unloading ${model.id}`, () => json("/api/models/unload", { model: model.id })) }, "Unload")
        : h("button", {
            type: "button",
            "aria-label": `Load ${model.id}`,
            onclick: (event) => {
              (event.currentTarget as HTMLButtonElement).disabled = true;
              const progress = h("progress", { max: 1, value: 0, "aria-label": `Loading ${model.id}` });
              state.replaceChildren(progress);
              void act(`Loading ${model.id}`, () => loadModel(model.id, progress));
            },
          }, "Load");
    return h(
      "tr",
      { "data-model": model.id, "data-loaded": String(model.loaded) },
      h("td", { class: "id" }, model.id),
      h("td", {}, formatBytes(model.size_bytes)),
      h("td", {}, model.quantization ?? ""),
      h("td", {}, model.context_length === null ? "" : model.context_length.toLocaleString("en")),
      h("td", {}, model.source),
      state,
      h("td", { class: "actions" }, button),
    );
  };

  const view: ModelsView = {
    async refresh() {
      try {
        const { models } = await json<{ models: AdminModel[] }>("/api/models");
        rows.replaceChildren(...models.map(row));
        if (models.length === 0) rows.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No model yet: pull one below, or put a .gguf file in ./models.")));
      } catch (error) {
        setStatus(status, `Cannot list the models: ${(error as Error).message}`, true);
      }
    },
  };
  byId("models-refresh").addEventListener("click", () => void view.refresh());
  byId("models-discover").addEventListener("click", () => void act("Scanning the model folders", () => json("/api/models/discover", {})));
  return view;
}
