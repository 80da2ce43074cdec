/**
 * The page's entry: three sections (chat, models, plugins) behind tabs that follow the URL's hash,
 * each reading and changing the server through its own routes. Bundled with style.css by
 * core/scripts/build-web.mjs.
 */
import "./style.css";
import { chatView } from "./chat.js";
import { modelsView } from "./models.js";
import { pluginsView } from "./plugins.js";
import { pullView } from "./pull.js";

// For the browser test, which renders a hostile answer through the chat's own renderer.
export { renderMarkdown } from "./markdown.js";

const SECTIONS = ["chat", "models", "plugins"] as const;

/** Shows the section the hash names and marks its tab; another hash (`#main`) leaves the section as it is. */
function showSection(fallback: (typeof SECTIONS)[number] | null): void {
  const name = SECTIONS.find((s) => `#${s}` === location.hash) ?? fallback;
  if (name === null) return;
  for (const section of document.querySelectorAll<HTMLElement>("[data-section]")) section.hidden = section.dataset.section !== name;
  for (const tab of document.querySelectorAll<HTMLAnchorElement>("[data-tab]")) {
    if (tab.dataset.tab === name) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
}

const chat = chatView();
const models = modelsView(() => void chat.refreshModels());
const plugins = pluginsView((list) => chat.setPlugins(list));
pullView(() => {
  void models.refresh();
  void chat.refreshModels();
});

window.addEventListener("hashchange", () => {
  showSection(null);
  // A tab shows the server as it is now, not as it was when the page loaded.
  if (location.hash === "#models") void models.refresh();
  if (location.hash === "#plugins") void plugins.refresh();
});
showSection("chat");
// One request first: on a server with an API key it asks for the key once, before the others go.
await chat.refreshModels();
await Promise.all([models.refresh(), plugins.refresh()]);
document.body.dataset.ready = "true";
