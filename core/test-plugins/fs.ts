import { relay } from "./common";
import "./common"; // brings in pluginAbort, the --use abort target

@external("extism:host/user", "shimmy_fs_read")
declare function shimmy_fs_read(request: u64): u64;
@external("extism:host/user", "shimmy_fs_list")
declare function shimmy_fs_list(request: u64): u64;
@external("extism:host/user", "shimmy_fs_write")
declare function shimmy_fs_write(request: u64): u64;
@external("extism:host/user", "shimmy_now")
declare function shimmy_now(request: u64): u64;

export function read(): i32 { relay(shimmy_fs_read); return 0; }
export function list(): i32 { relay(shimmy_fs_list); return 0; }
export function write(): i32 { relay(shimmy_fs_write); return 0; }
export function now(): i32 { relay(shimmy_now); return 0; }
