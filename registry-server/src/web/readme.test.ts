import { describe, expect, it } from "vitest";
import { renderReadme } from "./readme.js";

describe("renderReadme", () => {
  it("renders headings (shifted under the page's h2), lists, code and tables", () => {
    const out = renderReadme("# Title\n\n## Part\n\n- a\n- b\n\n```js\nlet x = \"<b>\";\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    expect(out).toContain("<h3>Title</h3>");
    expect(out).toContain("<h4>Part</h4>");
    expect(out).toContain("<li>a</li>");
    expect(out).toContain('<pre><code class="language-js">let x = "&lt;b&gt;";');
    expect(out).toContain("<td>1</td>");
  });

  it("drops script, event handlers, javascript: and data: URLs, frames, styles and forms", () => {
    const out = renderReadme(
      [
        "<script>alert(1)</script>",
        '<img src="https://example.com/a.png" onerror="alert(1)" alt="a">',
        "[x](javascript:alert(1)) [y](JAVASCRIPT:alert(1)) <a href=\"data:text/html,<script>alert(1)</script>\">z</a>",
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>',
        '<form action="https://evil.example"><input type="text" name="q"><button>go</button></form>',
        '<div onclick="alert(1)" style="position:fixed">d</div> <img src="http://insecure.example/a.png">',
      ].join("\n\n"),
    );
    expect(out).not.toMatch(/<script|onerror|onclick|javascript:|data:|<iframe|<style|<form|style=|<button|type="text"|http:\/\//i);
    expect(out).toContain('<img src="https://example.com/a.png" alt="a" />');
    expect(out).toContain('<a rel="nofollow noopener noreferrer ugc">x</a>');
  });

  it("keeps safe links, marked nofollow, and task-list checkboxes, disabled", () => {
    const out = renderReadme("[docs](https://example.com/docs)\n\n- [x] done\n- [ ] todo\n");
    expect(out).toContain('<a href="https://example.com/docs" rel="nofollow noopener noreferrer ugc">docs</a>');
    expect(out).toContain('<input type="checkbox" disabled checked />');
    expect(out).toContain('<input type="checkbox" disabled />');
  });
});
