/**
 * Building the page's elements without HTML strings: every text goes in as a text node, so nothing
 * a server, a model or a plugin sends can become markup. Only markdown.ts makes markup, sanitized.
 */

/** An attribute's value: a string, a number, true (present) or false/null/undefined (left out). */
type AttrValue = string | number | boolean | null | undefined;

/** What an element is built from: attributes, and `on*` event listeners. */
export type Attrs = Record<string, AttrValue | ((event: Event) => void)>;

/** A child: a node, a text, or nothing. */
export type Child = Node | string | null | undefined | false;

/**
 * An element with attributes, listeners and children.
 *
 * @example
 * h("button", { type: "button", class: "primary", onclick: () => send() }, "Send")
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  element.append(...children.filter((child): child is Node | string => child !== null && child !== undefined && child !== false));
  return element;
}

/** The element with `id`, which the page's HTML has; throws if it is missing (a build mistake). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Writes `text` into a status line; `error` marks it as a failure. */
export function setStatus(element: HTMLElement, text: string, error = false): void {
  element.textContent = text;
  element.classList.toggle("error", error);
}
