/**
 * The chat: a model picker (`GET /v1/models`), the conversation, each answer streamed and rendered
 * as markdown as it comes, a Stop button that aborts the request, the plugin tool calls the server
 * made on the way, and settings (system prompt, plugin tools, max tokens, temperature). The
 * conversation lives in this tab only; every request sends it whole, as OpenAI clients do.
 */
import { isAbort, json } from "./api.js";
import { newAnswer, streamChat, type Answer } from "./chat-stream.js";
import { byId, h, setStatus } from "./dom.js";
import { formatDuration } from "./format.js";
import { renderMarkdown } from "./markdown.js";
import { renderTrace } from "./trace.js";
import type { Plugin } from "./wire.js";

/** A turn of the conversation as the request sends it. */
interface Turn {
  role: "user" | "assistant";
  content: string;
}

/** What the rest of the page tells the chat. */
export interface ChatView {
  /** Lists the served models again in the picker, keeping the choice when it is still there. */
  refreshModels(): Promise<void>;
  /** Offers each ready plugin on its own in the plugin tools setting. */
  setPlugins(plugins: readonly Plugin[]): void;
}

/** Keeps `select`'s choice among new options when it is still one of them. */
function replaceOptions(select: HTMLSelectElement, options: HTMLOptionElement[]): void {
  const chosen = select.value;
  select.replaceChildren(...options);
  if (options.some((o) => o.value === chosen)) select.value = chosen;
}

/** One assistant message being written: its parts, to update as the answer comes. */
function assistantItem(model: string) {
  const content = h("div", { class: "content" });
  const traceSlot = h("div", { class: "trace-slot" });
  const meta = h("div", { class: "meta" });
  const item = h("li", { class: "message assistant", "data-role": "assistant", "aria-busy": "true" }, h("div", { class: "who" }, model), content, traceSlot, meta);
  return { item, content, traceSlot, meta };
}

/** Wires the chat section of the page. */
export function chatView(): ChatView {
  const modelSelect = byId<HTMLSelectElement>("chat-model");
  const pluginSelect = byId<HTMLSelectElement>("chat-plugins");
  const toolRequired = byId<HTMLInputElement>("chat-tool-required");
  const log = byId<HTMLOListElement>("chat-log");
  const form = byId<HTMLFormElement>("chat-form");
  const prompt = byId<HTMLTextAreaElement>("chat-prompt");
  const send = byId<HTMLButtonElement>("chat-send");
  const stop = byId<HTMLButtonElement>("chat-stop");
  const status = byId("chat-status");
  const fixedPluginOptions = [...pluginSelect.options];
  let history: Turn[] = [];
  let running: AbortController | null = null;

  const setRunning = (controller: AbortController | null) => {
    running = controller;
    send.disabled = controller !== null;
    stop.hidden = controller === null;
  };

  /** The request's fields beyond the messages, from the settings. */
  const settings = (): Record<string, unknown> => {
    const fields: Record<string, unknown> = {};
    const maxTokens = byId<HTMLInputElement>("chat-max-tokens").valueAsNumber;
    if (Number.isInteger(maxTokens) && maxTokens > 0) fields.max_tokens = maxTokens;
    const temperature = byId<HTMLInputElement>("chat-temperature").valueAsNumber;
    if (Number.isFinite(temperature)) fields.temperature = temperature;
    const plugins = pluginSelect.value;
    if (plugins === "all") fields.plugins = "all";
    else if (plugins === "none") fields.plugins = [];
    else if (plugins.startsWith("plugin:")) fields.plugins = [plugins.slice("plugin:".length)];
    if (toolRequired.checked && plugins !== "none") fields.tool_choice = "required";
    return fields;
  };

  const messages = () => {
    const system = byId<HTMLTextAreaElement>("chat-system").value.trim();
    return [...(system === "" ? [] : [{ role: "system", content: system }]), ...history];
  };

  const ask = async () => {
    const text = prompt.value;
    const model = modelSelect.value;
    if (running || text.trim() === "") return;
    if (model === "") return setStatus(status, "There is no model to chat with: pull one in Models, or start the server with --model FILE.", true);
    setStatus(status, "");
    prompt.value = "";
    // "New chat" while this answer streams starts another list; this answer stays with its own.
    const turns = history;
    turns.push({ role: "user", content: text });
    log.append(h("li", { class: "message user", "data-role": "user" }, h("div", { class: "who" }, "You"), h("div", { class: "content" }, text)));
    const parts = assistantItem(model);
    log.append(parts.item);
    parts.item.scrollIntoView({ block: "end" });
    const body = { model, messages: messages(), ...settings() };
    const answer = newAnswer();
    const controller = new AbortController();
    setRunning(controller);
    const started = performance.now();
    let outcome: "done" | "stopped" | "failed" = "done";
    let renderedTrace = 0;
    let frame = 0;
    const render = () => {
      frame = 0;
      const follow = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 80;
      parts.content.replaceChildren(renderMarkdown(answer.text));
      const traceLength = answer.trace.length + answer.clientCalls.length;
      if (traceLength !== renderedTrace) {
        renderedTrace = traceLength;
        const open = parts.traceSlot.querySelector("details")?.open ?? false;
        parts.traceSlot.replaceChildren(renderTrace(answer.trace, answer.clientCalls, open) ?? "");
      }
      if (follow) parts.item.scrollIntoView({ block: "end" });
    };
    try {
      await streamChat(body, answer, controller.signal, () => (frame ||= requestAnimationFrame(render)));
    } catch (error) {
      if (isAbort(error)) outcome = "stopped";
      else {
        outcome = "failed";
        parts.item.append(h("p", { class: "error", role: "alert" }, (error as Error).message));
      }
    } finally {
      cancelAnimationFrame(frame);
      render();
      finish(parts, answer, outcome, performance.now() - started, turns);
      setRunning(null);
      prompt.focus();
    }
  };

  const finish = (parts: ReturnType<typeof assistantItem>, answer: Answer, outcome: "done" | "stopped" | "failed", ms: number, turns: Turn[]) => {
    parts.item.setAttribute("aria-busy", "false");
    parts.item.dataset.state = outcome;
    const tokens = answer.usage ? `${answer.usage.completion_tokens} tokens · ` : "";
    const ending = outcome === "stopped" ? " · stopped" : outcome === "failed" ? " · failed" : answer.finishReason === "length" ? " · cut at max tokens" : "";
    parts.meta.textContent = `${tokens}${formatDuration(ms)}${ending}`;
    // What was written, stopped or not, is part of the conversation; a question that got nothing is dropped.
    if (answer.text !== "") turns.push({ role: "assistant", content: answer.text });
    else turns.pop();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void ask();
  });
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  stop.addEventListener("click", () => running?.abort());
  byId("chat-new").addEventListener("click", () => {
    running?.abort();
    history = [];
    log.replaceChildren();
    setStatus(status, "");
    prompt.focus();
  });
  pluginSelect.addEventListener("change", () => (toolRequired.disabled = pluginSelect.value === "none"));

  return {
    async refreshModels() {
      try {
        const { data } = await json<{ data: { id: string }[] }>("/v1/models");
        const options = data.map((m) => h("option", { value: m.id }, m.id));
        replaceOptions(modelSelect, options.length > 0 ? options : [h("option", { value: "" }, "No model yet")]);
      } catch (error) {
        setStatus(status, `Cannot list the models: ${(error as Error).message}`, true);
      }
    },
    setPlugins(plugins) {
      const ready = plugins.filter((p) => p.status === "ready").map((p) => h("option", { value: `plugin:${p.name}` }, `Only ${p.name}`));
      replaceOptions(pluginSelect, [...fixedPluginOptions, ...ready]);
    },
  };
}
