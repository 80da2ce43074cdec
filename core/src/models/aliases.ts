/** Aliases from `$SHIMMY_HOME/config.json` (`{"aliases": {"fast": "llama3.2:1b"}}`), checked against the models found. */
import type { DiscoveredModel } from "./types.js";

/**
 * The aliases that may be used: each must point at the id of a model that was found and can be
 * loaded, and must not be a model's id itself (an alias never hides a real model). Every alias
 * left out gets a line in `problems`. Aliases do not chain: the target must be a model id.
 */
export function resolveAliases(
  aliases: Readonly<Record<string, string>>,
  models: readonly DiscoveredModel[],
): { aliases: Record<string, string>; problems: string[] } {
  const byId = new Map(models.map((m) => [m.id, m]));
  const valid: Record<string, string> = {};
  const problems: string[] = [];
  for (const [alias, target] of Object.entries(aliases)) {
    const model = typeof target === "string" ? byId.get(target) : undefined;
    if (alias.trim() === "") problems.push(`alias ${JSON.stringify(alias)} is empty; ignored`);
    else if (byId.has(alias)) problems.push(`alias ${JSON.stringify(alias)} is also a model id; the model keeps it and the alias is ignored`);
    else if (!model) problems.push(`alias ${JSON.stringify(alias)} points to ${JSON.stringify(target)}, which is not the id of a discovered model`);
    else if (model.invalidReason) problems.push(`alias ${JSON.stringify(alias)} points to ${JSON.stringify(target)}, which cannot be loaded: ${model.invalidReason}`);
    else valid[alias] = model.id;
  }
  return { aliases: valid, problems };
}
