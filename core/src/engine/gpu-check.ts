/**
 * Checks `--gpu` against what this machine can run before the server starts, so a backend it
 * cannot use is one line naming the ones it can, not node-llama-cpp's `NoBinaryFoundError` stack
 * after discovery. node-llama-cpp's own list (`getLlamaGpuTypes("supported")`) takes milliseconds:
 * it looks for the drivers and libraries of each backend that has a prebuilt binary here.
 */
import { getLlamaGpuTypes, type LlamaGpuType } from "node-llama-cpp";
import type { GpuSetting } from "../config/index.js";
import { StartupError } from "../startup-error.js";
import { llamaBinaryCheck } from "./runner/binary-probe.js";

const BACKEND_NAMES: Record<string, string> = { cuda: "CUDA", vulkan: "Vulkan", metal: "Metal" };

/**
 * The `--gpu` values a machine can use: `auto`, each backend it supports, and `off` (the CPU alone).
 * @param supported what `getLlamaGpuTypes("supported")` answers (`false` is the CPU).
 */
export function usableGpuSettings(supported: readonly LlamaGpuType[]): GpuSetting[] {
  const backends = supported.filter((type): type is Exclude<LlamaGpuType, false> => type !== false);
  return ["auto", ...backends.filter((type) => type in BACKEND_NAMES), "off"] as GpuSetting[];
}

/**
 * Why this machine cannot use `setting`, with the values it can use, or null when it can.
 * `auto` and `off` always can: `auto` falls back to the CPU.
 */
export function gpuSettingProblem(setting: GpuSetting, supported: readonly LlamaGpuType[]): string | null {
  const usable = usableGpuSettings(supported);
  if (usable.includes(setting)) return null;
  const name = BACKEND_NAMES[setting] ?? setting;
  return `--gpu ${setting}: this machine cannot use ${name} (no driver or prebuilt llama.cpp binary for it); use one of: ${usable.join(", ")}`;
}

/**
 * Checks `setting` against this machine.
 * @throws StartupError naming the usable values when it cannot be used.
 */
export async function checkGpuSetting(setting: GpuSetting): Promise<void> {
  // The slower check, that the binary starts, runs in a child meanwhile; LlamaEngine.create awaits it.
  void llamaBinaryCheck(setting);
  if (setting === "auto" || setting === "off") return;
  const problem = gpuSettingProblem(setting, await getLlamaGpuTypes("supported"));
  if (problem) throw new StartupError(problem);
}

/**
 * The message for node-llama-cpp's `NoBinaryFoundError` when it comes anyway (the drivers are there,
 * but the prebuilt binary does not start with them): what failed, and what to do instead.
 */
export async function noBinaryMessage(setting: GpuSetting): Promise<string> {
  if (setting === "auto" || setting === "off") {
    return `no prebuilt llama.cpp binary works on this machine (--gpu ${setting}); reinstall Shimmy (npm install) to fetch the binaries`;
  }
  const supported = await getLlamaGpuTypes("supported").catch((): LlamaGpuType[] => [false]);
  const others = usableGpuSettings(supported).filter((value) => value !== setting);
  return `--gpu ${setting}: the prebuilt llama.cpp binary for ${BACKEND_NAMES[setting] ?? setting} does not work on this machine; use one of: ${others.join(", ")}`;
}
