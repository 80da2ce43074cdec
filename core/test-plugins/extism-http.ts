import { Host, Memory } from "@extism/as-pdk";
import { http_request, length } from "@extism/as-pdk/lib/env";
import "./common"; // brings in pluginAbort, the --use abort target

@external("extism:host/env", "http_status_code")
declare function http_status_code(): i32;

/** Sends its input as an Extism http_request; outputs {"status": N, "bytes": body length}. */
export function extism_fetch(): i32 {
  const request = Memory.allocateBytes(Host.input());
  const body = http_request(request.offset, 0);
  const bytes = body == 0 ? 0 : length(body);
  const out = '{"status":' + http_status_code().toString() + ',"bytes":' + bytes.toString() + "}";
  Host.output(Uint8Array.wrap(String.UTF8.encode(out)));
  return 0;
}
