/**
 * Picks the chat format of a model: node-llama-cpp's wrapper for the GGUF's own template (a
 * specialised one when the Jinja template is a known format, the Jinja renderer otherwise), with
 * one correction. Some specialised wrappers (ChatML among them) always start with BOS, even for
 * models whose GGUF says not to add one (`tokenizer.ggml.add_bos_token` false, as Qwen's): the
 * model would then see a token its own template never writes. The leading BOS is dropped there.
 */
import {
  GeneralChatWrapper, LlamaText, SpecialToken, resolveChatWrapper,
  type ChatWrapper, type ChatWrapperGenerateContextStateOptions, type LlamaModel,
} from "node-llama-cpp";

/** The text without a leading BOS special token. */
export function withoutLeadingBos(text: LlamaText): LlamaText {
  const [first, ...rest] = text.values;
  return first instanceof SpecialToken && first.value === "BOS" ? LlamaText(rest) : text;
}

/** The chat wrapper to render this model's prompts with. */
export function resolveModelChatWrapper(model: LlamaModel): ChatWrapper {
  const wrapper = resolveChatWrapper(model) ?? new GeneralChatWrapper();
  if (model.tokens.shouldPrependBosToken) return wrapper;
  return new Proxy(wrapper, {
    get(target, property) {
      if (property === "generateContextState") {
        return (options: ChatWrapperGenerateContextStateOptions) => {
          const state = target.generateContextState(options);
          return { ...state, contextText: withoutLeadingBos(state.contextText) };
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
