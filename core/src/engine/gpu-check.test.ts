import { describe, expect, it } from "vitest";
import { gpuSettingProblem, usableGpuSettings } from "./gpu-check.js";

describe("usableGpuSettings", () => {
  it("lists auto, the supported backends and off", () => {
    expect(usableGpuSettings([false])).toEqual(["auto", "off"]);
    expect(usableGpuSettings(["cuda", "vulkan", false])).toEqual(["auto", "cuda", "vulkan", "off"]);
  });
});

describe("gpuSettingProblem", () => {
  it("refuses a backend the machine cannot use, naming the usable values", () => {
    expect(gpuSettingProblem("cuda", [false])).toBe(
      "--gpu cuda: this machine cannot use CUDA (no driver or prebuilt llama.cpp binary for it); use one of: auto, off",
    );
    expect(gpuSettingProblem("metal", ["vulkan", false])).toMatch(/cannot use Metal .*use one of: auto, vulkan, off$/);
  });

  it("accepts auto, off and the supported backends", () => {
    expect(gpuSettingProblem("auto", [false])).toBeNull();
    expect(gpuSettingProblem("off", [false])).toBeNull();
    expect(gpuSettingProblem("cuda", ["cuda", false])).toBeNull();
  });
});
