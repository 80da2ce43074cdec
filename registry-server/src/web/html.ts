/**
 * HTML built from template literals that escape every interpolated value: the web pages never
 * concatenate markup from strings, so a package name, description or schema cannot inject any.
 * Only {@link SafeHtml} (made by {@link html} itself, or by {@link trustedHtml} for the sanitized
 * README) passes through unescaped.
 */

/** Markup that is already safe to emit as it is. */
export class SafeHtml {
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  toString(): string {
    return this.value;
  }
}

/** What a template may interpolate: text (escaped), markup, nothing, or a list of these. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `text` with `& < > " '` escaped, safe in element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  // false and nullish render nothing, so `${cond && html`…`}` works.
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/**
 * A tagged template that escapes its values.
 *
 * @example
 * html`<a href="/-/web/package/${name}">${name}</a>` // name = "<x>" gives &lt;x&gt;
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Wraps markup that was sanitized elsewhere (the README); never pass it unsanitized input. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
