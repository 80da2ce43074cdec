/**
 * `GET /v1/models` bodies from the engine's {@link ModelInfo}.
 */

import type { ModelInfo } from "../engine/types.js";
import type { ModelList, ModelObject } from "./types.js";

/** The `owned_by` of every model: they are local files, owned by no provider. */
export const MODEL_OWNER = "shimmy";

/** One model as OpenAI lists it. */
export function modelObject(info: Pick<ModelInfo, "id" | "created" | "ownedBy">): ModelObject {
  return { id: info.id, object: "model", created: info.created, owned_by: info.ownedBy ?? MODEL_OWNER };
}

/**
 * The model list. Refused models (with `invalidReason`) are left out: a client would pick them
 * and only get `model_invalid` back.
 */
export function modelList(infos: readonly ModelInfo[]): ModelList {
  return {
    object: "list",
    data: infos.filter((info) => info.invalidReason === undefined).map(modelObject),
  };
}
