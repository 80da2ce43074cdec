/**
 * Reads a forced answer, `[{"name": "…", "arguments": {…}}, …]`, as it is generated, and reports each
 * call's name as soon as it is complete and its arguments text piece by piece. The arguments are
 * the exact text the model wrote, so the pieces concatenate to the final `arguments` string.
 */
import type { GeneratedToolCall, ToolCallDelta } from "./types.js";

type Expect = "key" | "value" | "other";

interface CallState {
  index: number;
  id: string;
  name?: string;
  /** The arguments text read so far. */
  arguments: string;
  /** Arguments text not yet reported (it waits for the name). */
  pending: string;
  /** Whitespace outside strings, held until more of the value follows (trailing space is not part of it). */
  held: string;
  nameReported: boolean;
}

/** An incremental reader of one forced answer. */
export class ToolCallStream {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expect: Expect = "other";
  private key = "";
  private stringBuffer = "";
  private readingKey = false;
  /** Depth at which the current `arguments` value started, while inside one. */
  private argumentsDepth: number | null = null;
  private readonly calls: CallState[] = [];

  constructor(
    private readonly newId: () => string,
    private readonly onDelta?: (delta: ToolCallDelta) => void,
  ) {}

  /** Feeds the next piece of generated text. */
  push(text: string): void {
    for (const char of text) this.read(char);
    for (const call of this.calls) this.flush(call);
  }

  /**
   * The calls read so far with their argument texts: the last one partial when the answer was cut
   * off. A call cut before its name was complete is left out, as it was never streamed.
   */
  result(): GeneratedToolCall[] {
    return this.calls.flatMap((call) => (call.name === undefined ? [] : [{ id: call.id, name: call.name, arguments: call.arguments }]));
  }

  private get current(): CallState | undefined {
    return this.calls.at(-1);
  }

  private read(char: string): void {
    if (this.argumentsDepth !== null) {
      this.readArguments(char);
      return;
    }
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (char === "\\") this.escaped = true;
      else if (char === '"') {
        this.inString = false;
        this.endString();
        return;
      }
      this.stringBuffer += char;
      return;
    }
    switch (char) {
      case '"':
        this.inString = true;
        this.stringBuffer = "";
        this.readingKey = this.depth === 2 && this.expect === "key";
        return;
      case "[":
      case "{":
        this.depth++;
        if (char === "{" && this.depth === 2) {
          this.calls.push({ index: this.calls.length, id: this.newId(), arguments: "", pending: "", held: "", nameReported: false });
          this.expect = "key";
        }
        return;
      case "]":
      case "}":
        this.depth--;
        return;
      case ":":
        if (this.depth === 2) {
          this.expect = "value";
          if (this.key === "arguments") this.argumentsDepth = this.depth;
        }
        return;
      case ",":
        if (this.depth === 2) this.expect = "key";
        return;
    }
  }

  private endString(): void {
    if (this.readingKey) {
      this.key = this.stringBuffer;
      this.readingKey = false;
    } else if (this.depth === 2 && this.expect === "value" && this.key === "name" && this.current) {
      this.current.name = JSON.parse(`"${this.stringBuffer}"`) as string;
    }
  }

  /** Inside `arguments`: copy every character until the value ends back at the call's depth. */
  private readArguments(char: string): void {
    const call = this.current!;
    if (!this.inString && /\s/.test(char)) {
      if (call.arguments !== "") call.held += char;
      return;
    }
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (char === "\\") this.escaped = true;
      else if (char === '"') this.inString = false;
    } else if (char === '"') {
      this.inString = true;
    } else if (char === "{" || char === "[") {
      this.depth++;
    } else if (char === "}" || char === "]" || char === ",") {
      if (this.depth === this.argumentsDepth) {
        // The value ended: this character belongs to the call object, not to the arguments.
        this.argumentsDepth = null;
        this.key = "";
        call.held = "";
        this.read(char);
        return;
      }
      if (char !== ",") this.depth--;
    }
    const text = call.held + char;
    call.held = "";
    call.arguments += text;
    call.pending += text;
  }

  private flush(call: CallState): void {
    if (!this.onDelta || call.name === undefined) return;
    if (!call.nameReported) {
      call.nameReported = true;
      this.onDelta({ index: call.index, id: call.id, name: call.name });
    }
    if (call.pending !== "") {
      this.onDelta({ index: call.index, arguments: call.pending });
      call.pending = "";
    }
  }
}
