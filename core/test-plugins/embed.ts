import { Host } from "@extism/as-pdk";
import "./common"; // brings in pluginAbort, the --use abort target

/**
 * The raw lengths of the strings of an embedder input `{"input":["…", …]}`, key excluded: enough
 * for these tests, whose texts hold no quotes (no JSON parser in a test plugin).
 */
function textLengths(): i32[] {
  const text = String.UTF8.decode(Host.input().buffer);
  const lengths: i32[] = [];
  let start = -1;
  for (let i = text.indexOf("[") + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x5c) i++; // a backslash: skip what it escapes
    else if (c == 0x22) {
      if (start < 0) start = i + 1;
      else {
        lengths.push(i - start);
        start = -1;
      }
    }
  }
  return lengths;
}

/** `{"data":[{"embedding":[…]}, …]}` from vectors written as JSON number lists. */
function output(vectors: string[], usage: bool): i32 {
  let out = '{"data":[';
  for (let i = 0; i < vectors.length; i++) out += (i > 0 ? "," : "") + '{"object":"embedding","index":' + i.toString() + ',"embedding":[' + vectors[i] + "]}";
  out += "]" + (usage ? ',"usage":{"prompt_tokens":' + (vectors.length * 2).toString() + "}" : "") + "}";
  Host.output(Uint8Array.wrap(String.UTF8.encode(out)));
  return 0;
}

/** One 3-number vector per text: [its length, its place in this call, 0.5]; usage 2 tokens a text. */
export function embed(): i32 {
  const lengths = textLengths();
  const vectors: string[] = [];
  for (let i = 0; i < lengths.length; i++) vectors.push(lengths[i].toString() + "," + i.toString() + ",0.5");
  return output(vectors, true);
}

/** Vectors of 2 numbers where 3 are declared. */
export function wrongdims(): i32 {
  const lengths = textLengths();
  const vectors: string[] = [];
  for (let i = 0; i < lengths.length; i++) vectors.push("1,2");
  return output(vectors, false);
}

/** NaN, which is no JSON. */
export function nan(): i32 {
  return output(["NaN,0,0"], false);
}

/** 1e999: JSON that parses as Infinity. */
export function infinite(): i32 {
  return output(["0,1e999,0"], false);
}

/** One vector fewer than the texts. */
export function fewer(): i32 {
  const lengths = textLengths();
  const vectors: string[] = [];
  for (let i = 1; i < lengths.length; i++) vectors.push("1,2,3");
  return output(vectors, false);
}

/** Traps at once. */
export function trap(): i32 {
  unreachable();
  return 0;
}
