/**
 * The Ollama request fields Shimmy cannot honour, refused with a 400 that says why and what to do
 * instead, rather than silently answering something else than was asked.
 */
import { ShimmyError } from "../errors.js";
import type { OllamaChatRequest, OllamaGenerateRequest, OllamaGenerationFields } from "./types.js";

function refuse(param: string, message: string): never {
  throw new ShimmyError("invalid_parameter", message, { param });
}

/** Refusals common to chat and generate: `format` spelling, `think`, `logprobs`. */
function checkGenerationFields(request: OllamaGenerationFields): void {
  if (typeof request.format === "string" && request.format !== "json" && request.format !== "") {
    refuse("format", `format is "${request.format}"; send "json" or a JSON Schema object`);
  }
  // `think: false` asks for what every served model does anyway; a request to think is refused as
  // Ollama refuses it for a model without thinking support, since none here separates its reasoning.
  if (request.think !== undefined && request.think !== null && request.think !== false) {
    refuse("think", `"${request.model}" does not support thinking: leave think out or send false`);
  }
  if (request.logprobs === true) refuse("logprobs", "logprobs are not supported: leave logprobs out or send false");
}

function checkImages(images: readonly string[] | null | undefined, param: string): void {
  if (images && images.length > 0) {
    refuse(param, "images are not supported: Shimmy serves text-only models; send the message without images");
  }
}

/**
 * Refuses what an `/api/chat` request asks that Shimmy cannot do.
 * @throws ShimmyError `invalid_parameter` naming the field.
 */
export function refuseUnsupportedChat(request: OllamaChatRequest): void {
  checkGenerationFields(request);
  (request.messages ?? []).forEach((message, i) => checkImages(message.images, `messages.${i}.images`));
}

/**
 * Refuses what an `/api/generate` request asks that Shimmy cannot do. `suffix` is refused by the
 * route, which knows whether the model can fill in the middle.
 * @throws ShimmyError `invalid_parameter` naming the field.
 */
export function refuseUnsupportedGenerate(request: OllamaGenerateRequest): void {
  checkGenerationFields(request);
  checkImages(request.images, "images");
  if (request.template) {
    refuse("template", "template is not supported: Shimmy renders the model's own chat template; send raw: true with a prompt you formatted yourself");
  }
  if (request.context && request.context.length > 0) {
    refuse("context", "context is not supported (Ollama deprecated it): send the conversation to /api/chat as messages");
  }
  if (request.raw === true && request.format) {
    refuse("format", "format needs the model's chat template: leave raw out, or format the prompt yourself and leave format out");
  }
}
