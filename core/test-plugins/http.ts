import { relay } from "./common";
import "./common"; // brings in pluginAbort, the --use abort target

@external("extism:host/user", "shimmy_http")
declare function shimmy_http(request: u64): u64;

/** Sends its input as a shimmy_http request and outputs the host's answer. */
export function fetch(): i32 {
  relay(shimmy_http);
  return 0;
}
