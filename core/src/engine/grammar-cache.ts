/**
 * Grammars built from JSON Schemas, kept by schema so that a client sending the same schema on
 * every request (as agents do) pays for compiling it once.
 */
import type { Llama, LlamaGrammar } from "node-llama-cpp";

/** Grammars kept at most; the least recently used goes first. */
const CAPACITY = 64;

/** A least-recently-used cache of grammars for one Llama instance. */
export class GrammarCache {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(private readonly llama: Llama) {}

  /** The grammar of a schema already reduced to what node-llama-cpp enforces. */
  forSchema(schema: object): Promise<LlamaGrammar> {
    // createGrammarForJsonSchema's type is generic over literal schemas; ours come from clients.
    return this.get(JSON.stringify(schema), () => this.llama.createGrammarForJsonSchema(schema as never));
  }

  private get(key: string, create: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    const found = this.grammars.get(key);
    if (found) {
      this.grammars.delete(key);
      this.grammars.set(key, found);
      return found;
    }
    const created = create();
    created.catch(() => this.grammars.delete(key));
    this.grammars.set(key, created);
    if (this.grammars.size > CAPACITY) this.grammars.delete(this.grammars.keys().next().value!);
    return created;
  }
}
