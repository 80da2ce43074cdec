/**
 * Pulling a model from Hugging Face: `POST /api/models/pull` with `ORG/REPO[:QUANT]`, its progress
 * events shown in a progress bar. Cancel closes the request, which stops the pull; the partial file
 * stays for the next pull to resume.
 */
import { readSseData } from "../src/cli/sse.js";
import { ApiError, isAbort, request } from "./api.js";
import { byId, setStatus } from "./dom.js";
import { formatBytes, formatDuration, plural } from "./format.js";
import type { WireError } from "./wire.js";

/** One progress event of a pull (core/src/admin/pull-route.ts). */
type PullEvent =
  | { type: "plan"; repo: string; quant: string | null; files: { path: string }[]; total_bytes: number; present_bytes: number; license: string | null }
  | { type: "progress"; bytes: number; total_bytes: number; rate: number; eta: number | null }
  | { type: "verified"; file: string }
  | { type: "done"; models: string[]; already_present: boolean; license: string | null };

/** Wires the pull form; `onPulled` runs when a pull added a model. */
export function pullView(onPulled: () => void): void {
  const form = byId<HTMLFormElement>("pull-form");
  const input = byId<HTMLInputElement>("pull-model");
  const start = byId<HTMLButtonElement>("pull-start");
  const cancel = byId<HTMLButtonElement>("pull-cancel");
  const bar = byId<HTMLProgressElement>("pull-progress");
  const status = byId("pull-status");
  let running: AbortController | null = null;

  const show = (event: PullEvent) => {
    switch (event.type) {
      case "plan":
        bar.max = Math.max(1, event.total_bytes);
        bar.value = event.present_bytes;
        setStatus(status, `${event.repo}${event.quant ? `:${event.quant}` : ""}: ${plural(event.files.length, "file")}, ${formatBytes(event.total_bytes)}${event.license ? `, licence ${event.license}` : ""}`);
        break;
      case "progress": {
        bar.max = Math.max(1, event.total_bytes);
        bar.value = event.bytes;
        const eta = event.eta === null ? "" : `, ${formatDuration(event.eta * 1000)} left`;
        setStatus(status, `${formatBytes(event.bytes)} of ${formatBytes(event.total_bytes)} at ${formatBytes(event.rate)}/s${eta}`);
        break;
      }
      case "verified":
        setStatus(status, `Checked ${event.file} (sha256).`);
        break;
      case "done":
        bar.value = bar.max;
        setStatus(status, `${event.already_present ? "Already here" : "Pulled"}: ${event.models.join(", ") || "no servable model"}.`);
        break;
    }
  };

  const pull = async (model: string) => {
    running = new AbortController();
    start.disabled = true;
    cancel.hidden = false;
    bar.hidden = false;
    bar.value = 0;
    setStatus(status, `Asking the hub about ${model}…`);
    try {
      const response = await request("POST", "/api/models/pull", { body: { model }, signal: running.signal, accept: "text/event-stream" });
      for await (const data of readSseData(response.body!)) {
        if (data === "[DONE]") break;
        const event = JSON.parse(data) as PullEvent | { error: WireError };
        if ("error" in event) throw new ApiError(0, event.error);
        show(event);
        if (event.type === "done") onPulled();
      }
    } catch (error) {
      setStatus(status, isAbort(error) ? "Cancelled; the next pull of this model resumes where this one stopped." : (error as Error).message, !isAbort(error));
    } finally {
      running = null;
      start.disabled = false;
      cancel.hidden = true;
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const model = input.value.trim();
    if (model !== "" && !running) void pull(model);
  });
  cancel.addEventListener("click", () => running?.abort());
}
