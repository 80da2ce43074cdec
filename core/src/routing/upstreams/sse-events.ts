/**
 * Reads a server-sent event stream (an upstream's streamed answer) as the JSON of its `data`
 * fields, event by event, until `[DONE]` or the end of the body.
 */

/**
 * The parsed `data` of each event of `body`; comments, `event:` and `id:` fields are skipped.
 * @throws SyntaxError for a `data` field that is not JSON.
 */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let pending = "";
  let data: string[] = [];
  for await (const bytes of body) {
    pending += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, "");
      pending = pending.slice(newline + 1);
      if (line === "") {
        if (data.length === 0) continue;
        const text = data.join("\n");
        data = [];
        if (text === "[DONE]") return;
        yield JSON.parse(text);
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line[5] === " " ? 6 : 5));
      }
    }
  }
  // A body that ends without the blank line after its last event still delivers it.
  const rest = [...data, ...(pending.startsWith("data:") ? [pending.slice(pending[5] === " " ? 6 : 5)] : [])].join("\n");
  if (rest !== "" && rest !== "[DONE]") yield JSON.parse(rest);
}
