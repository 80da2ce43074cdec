import { Host } from "@extism/as-pdk";
import "./common"; // brings in pluginAbort, the --use abort target

/** Outputs its input unchanged (bytes, so non-ASCII survives). */
export function echo(): i32 {
  Host.output(Host.input());
  return 0;
}

/** Outputs {"items":[input, input, ...]} with the input 64 times: an output bigger than the input. */
export function big(): i32 {
  const input = String.UTF8.decode(Host.input().buffer);
  let out = '{"items":[' + input;
  for (let i = 1; i < 64; i++) out += "," + input;
  out += "]}";
  Host.output(Uint8Array.wrap(String.UTF8.encode(out)));
  return 0;
}
