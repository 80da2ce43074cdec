/**
 * The installed plugins (`GET /api/plugins`): each with its status, tools, the permissions it was
 * granted, and a button that enables or disables it (`POST /api/plugins/enable` and `/disable`).
 * Installing, removing and configuring stay in the CLI, which shows the permissions it asks for.
 */
import { json } from "./api.js";
import { byId, h, setStatus } from "./dom.js";
import type { Plugin } from "./wire.js";

/** What the rest of the page asks of the plugins section. */
export interface PluginsView {
  /** Reads the list again. */
  refresh(): Promise<void>;
}

const STATUS_BADGE: Record<Plugin["status"], string> = { ready: "badge ok", disabled: "badge", error: "badge old" };

function list(items: readonly string[], none: string): HTMLElement {
  return items.length === 0 ? h("span", { class: "muted" }, none) : h("ul", {}, ...items.map((item) => h("li", {}, h("code", {}, item))));
}

function toolList(plugin: Plugin): HTMLElement {
  if (plugin.tools.length === 0) return h("span", { class: "muted" }, "none");
  return h("ul", {}, ...plugin.tools.map((tool) => h("li", { "data-tool": tool.name }, h("code", {}, tool.function_name), tool.description ? ` ${tool.description}` : "")));
}

/** Wires the plugins section; `onChange` gets the list each time it is read. */
export function pluginsView(onChange: (plugins: readonly Plugin[]) => void): PluginsView {
  const container = byId("plugins-list");
  const status = byId("plugins-status");

  const toggle = async (plugin: Plugin, button: HTMLButtonElement) => {
    const verb = plugin.enabled ? "disable" : "enable";
    button.disabled = true;
    setStatus(status, `${plugin.enabled ? "Disabling" : "Enabling"} ${plugin.name}…`);
    try {
      const changed = await json<Plugin>(`/api/plugins/${verb}`, { name: plugin.name });
      setStatus(status, `${plugin.name} is ${changed.status}.`, changed.status === "error");
    } catch (error) {
      setStatus(status, `Cannot ${verb} ${plugin.name}: ${(error as Error).message}`, true);
    }
    await view.refresh();
  };

  const card = (plugin: Plugin): HTMLElement => {
    const button = h("button", { type: "button", "aria-label": `${plugin.enabled ? "Disable" : "Enable"} ${plugin.name}` }, plugin.enabled ? "Disable" : "Enable");
    button.addEventListener("click", () => void toggle(plugin, button));
    const { net, fs } = plugin.permissions;
    return h(
      "article",
      { class: "plugin", "data-plugin": plugin.name, "data-status": plugin.status, "aria-labelledby": `plugin-${plugin.name}` },
      h("div", { class: "plugin-head" }, h("h3", { id: `plugin-${plugin.name}` }, plugin.name), h("span", { class: "muted" }, plugin.version), h("span", { class: STATUS_BADGE[plugin.status], "data-field": "status" }, plugin.status), h("span", { class: "spacer" }), button),
      plugin.description ? h("p", {}, plugin.description) : null,
      plugin.error ? h("p", { class: "error" }, plugin.error) : null,
      h(
        "dl",
        {},
        h("dt", {}, "Tools"), h("dd", { "data-field": "tools" }, toolList(plugin)),
        h("dt", {}, "Network"), h("dd", { "data-access": "net" }, list(net, "none")),
        h("dt", {}, "Reads files in"), h("dd", { "data-access": "fs-read" }, list(fs.read, "nothing")),
        h("dt", {}, "Writes files in"), h("dd", { "data-access": "fs-write" }, list(fs.write, "nothing")),
        ...(plugin.missing_config.length > 0 ? [h("dt", {}, "Settings to set"), h("dd", {}, list(plugin.missing_config.map((key) => `npx shimmy plugin config ${plugin.name} ${key}=…`), ""))] : []),
      ),
    );
  };

  const view: PluginsView = {
    async refresh() {
      try {
        const { data } = await json<{ data: Plugin[] }>("/api/plugins");
        container.replaceChildren(...data.map(card));
        if (data.length === 0) container.append(h("p", { class: "muted" }, "No plugin is installed. Try npx shimmy plugin add calculator."));
        onChange(data);
      } catch (error) {
        setStatus(status, `Cannot list the plugins: ${(error as Error).message}`, true);
      }
    },
  };
  byId("plugins-refresh").addEventListener("click", () => void view.refresh());
  return view;
}
