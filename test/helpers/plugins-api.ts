/** The running server's plugin routes as the plugin tests use them: `/api/plugins` and `/api/tools/call`. */
import type { PluginSummary } from "../../core/src/plugins/installed-plugins.js";

/** GETs `pathname` of `url`, or POSTs `body` to it as JSON; the status and the parsed answer. */
export async function adminApi(url: string, pathname: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}${pathname}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

/** Polls `/api/plugins` (at most `timeoutMs`) until `ready` says the server has caught up; the list it saw. */
export async function waitForPlugins(url: string, ready: (plugins: PluginSummary[]) => boolean, timeoutMs = 10_000): Promise<PluginSummary[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await adminApi(url, "/api/plugins");
    if (ready(json.data)) return json.data;
    if (Date.now() > deadline) throw new Error(`the server did not pick up the change: ${JSON.stringify(json.data)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
