/** `docs/reference/errors.md`, made from the error catalog so the two never disagree. */
import { ERROR_CATALOG } from "./errors.js";

/** The Markdown of the error reference page. */
export function errorsReferenceMarkdown(): string {
  const rows = Object.entries(ERROR_CATALOG).map(
    ([code, entry]) => `| \`${code}\` | ${entry.status} | \`${entry.type}\` | ${entry.description} |`,
  );
  return [
    "# Error reference",
    "",
    "<!-- Generated from core/src/errors.ts by `npm run docs`; a test checks it is current. -->",
    "",
    "Every error reaches the client in OpenAI's shape, with the HTTP status below:",
    "",
    "```json",
    '{"error": {"message": "temperature must be at most 2", "type": "invalid_request_error", "param": "temperature", "code": "invalid_parameter"}}',
    "```",
    "",
    "`param` names the request field at fault (a dotted path such as `messages.0.role`) or is null.",
    "Messages of 4xx errors say what to fix; 5xx messages are generic and the details go to the server's",
    "log (stderr), found by the `x-request-id` header every response carries.",
    "",
    "| code | status | type | when |",
    "|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
