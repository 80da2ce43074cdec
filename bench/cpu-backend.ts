/**
 * Which CPU kernels each side of a benchmark runs, read from llama.cpp's own log lines. Both
 * node-llama-cpp's prebuilt and the reference llama-server (../shared/tools/build-llama-server.sh)
 * are built with `GGML_BACKEND_DL=ON` and one CPU library per micro-architecture, and ggml loads the
 * best one the CPU allows at run time (`load_backend: loaded CPU backend from …libggml-cpu-VARIANT.so`).
 * The weights then go into the buffer types that library offers (`load_tensors: AMX model buffer
 * size = …`: AMX or CPU_REPACK for repacked kernels, CPU_Mapped for the file's own layout). Figures
 * of two sides compare kernels only when both match.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** The CPU library and weight buffers one side loaded. */
export interface CpuBackend {
  /** `sapphirerapids`, `haswell`, …; null when no line named one (a build without per-CPU libraries). */
  variant: string | null;
  /** The library's path, as logged. */
  library: string | null;
  /** Buffer types holding the weights (`AMX`, `CPU_REPACK`, `CPU_Mapped`, `CPU`), in log order. */
  modelBuffers: string[];
}

const BACKEND_LINE = /load_backend: loaded CPU backend from (\S+)/;
const VARIANT = /libggml-cpu-([A-Za-z0-9_]+)\.(?:so|dll|dylib)$/;
const MODEL_BUFFER_LINE = /load_tensors:\s+(\S+) model buffer size/;

/** Gathers a {@link CpuBackend} from log lines fed one at a time. */
export class CpuBackendLog {
  readonly backend: CpuBackend = { variant: null, library: null, modelBuffers: [] };

  /** Reads one log line; lines that say nothing about the CPU backend are ignored. */
  line(text: string): void {
    const loaded = BACKEND_LINE.exec(text);
    if (loaded) {
      this.backend.library = loaded[1]!;
      this.backend.variant = VARIANT.exec(loaded[1]!)?.[1] ?? null;
    }
    const buffer = MODEL_BUFFER_LINE.exec(text);
    if (buffer && !this.backend.modelBuffers.includes(buffer[1]!)) this.backend.modelBuffers.push(buffer[1]!);
  }

  /** Reads the CPU library from a running process's memory map (Linux), for builds that do not log it. */
  mappedLibrary(pid: number): void {
    let maps = "";
    try {
      maps = fs.readFileSync(`/proc/${pid}/maps`, "utf8");
    } catch {
      return;
    }
    const library = maps.split("\n").map((line) => line.trim().split(/\s+/).at(-1) ?? "").find((file) => VARIANT.test(file));
    if (!library) return;
    this.backend.library = library;
    this.backend.variant = VARIANT.exec(library)?.[1] ?? null;
  }
}

/** One line describing a backend: `sapphirerapids (weights in AMX, CPU_Mapped)`. */
export function describeCpuBackend(backend: CpuBackend | undefined): string {
  if (!backend) return "unknown";
  return `${backend.variant ?? "no per-CPU library"} (weights in ${backend.modelBuffers.join(", ") || "?"})`;
}

/**
 * Whether figures of `a` and `b` may be compared: the same CPU library. Differing weight buffers
 * (repacked on one side only) leave the ratio readable but flagged.
 */
export function compareCpuBackends(a: CpuBackend | undefined, b: CpuBackend | undefined): { comparable: boolean; warning?: string } {
  if (!a || !b || !a.variant || !b.variant) return { comparable: false, warning: "the CPU library of one side is unknown" };
  if (a.variant !== b.variant) return { comparable: false, warning: `different CPU libraries: ${a.variant} against ${b.variant}` };
  const buffers = (x: CpuBackend) => [...x.modelBuffers].sort().join(",");
  if (buffers(a) !== buffers(b)) {
    return { comparable: true, warning: `the weights sit in different buffers (${a.modelBuffers.join(", ")} against ${b.modelBuffers.join(", ")}): repacked kernels on one side only` };
  }
  return { comparable: true };
}

/**
 * What node-llama-cpp (and so Shimmy, which runs the same prebuilt) loads for `modelPath` on this
 * machine, CPU only, found in a child process so that the benchmark's own process stays clean.
 */
export function nodeLlamaCppCpuBackend(modelPath: string, threads: number): CpuBackend {
  const root = path.resolve(import.meta.dirname, "..");
  const stdout = execFileSync(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "bench/cpu-backend-child.ts"), modelPath, String(threads)], {
    encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as CpuBackend;
}
