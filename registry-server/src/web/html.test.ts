import { describe, expect, it } from "vitest";
import { html, trustedHtml } from "./html.js";

describe("html", () => {
  it("escapes every value but markup it made itself or was handed as trusted", () => {
    const name = `<img src=x onerror="alert('1')">&`;
    expect(html`<a title="${name}">${name}</a>`.value).toBe(`<a title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</a>`);
    expect(html`<ul>${["<a>", html`<li>b</li>`]}${false}${null}${0}</ul>`.value).toBe("<ul>&lt;a&gt;<li>b</li>0</ul>");
    expect(html`${trustedHtml("<b>ok</b>")}`.value).toBe("<b>ok</b>");
  });
});
