/** The reading side of Server-Sent Events: the model load progress stream, and streamed chat answers. */

/**
 * Reads a `text/event-stream` body and yields each event's `data` (lines joined with `\n`).
 * Comments and other fields are skipped. `onChunk` runs for each chunk received (to reset a timer).
 */
export async function* readSseData(body: ReadableStream<Uint8Array>, onChunk?: () => void): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let finished = false;
  // Returns the event to dispatch when `line` ends one.
  const takeLine = (line: string): string | undefined => {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") {
      const event = data.length > 0 ? data.join("\n") : undefined;
      data = [];
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    return undefined;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk?.();
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const event = takeLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if (event !== undefined) yield event;
      }
    }
    finished = true;
    buffer += decoder.decode();
    // The spec drops an event the stream ends in the middle of; a final result that only lacks its
    // blank line is still the result, so dispatch it.
    const last = buffer === "" ? undefined : takeLine(buffer);
    if (last !== undefined) yield last;
    else if (data.length > 0) yield data.join("\n");
  } finally {
    // Stopping early (after [DONE], or on an error event) must close the connection.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
