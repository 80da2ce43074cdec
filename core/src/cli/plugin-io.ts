/** Where `shimmy plugin` reads and writes, and how it asks the user a yes/no question. */
import { createInterface } from "node:readline";

/** Where the command reads and writes; `process`'s by default. */
export interface PluginCliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/**
 * Asks a yes/no question on the terminal or a piped stdin; no answer (end of input) is no.
 *
 * @example
 * if (!(await ask(io, "Install calculator 1.0.0? [y/N] "))) return;
 */
export async function ask(io: PluginCliIO, question: string): Promise<boolean> {
  io.stdout.write(question);
  const lines = createInterface({ input: io.stdin, terminal: false });
  try {
    for await (const line of lines) {
      const answer = line.trim().toLowerCase();
      io.stdout.write(io.stdin.isTTY ? "" : `${line}\n`);
      return answer === "y" || answer === "yes";
    }
    io.stdout.write("\n(no answer: pass --yes to approve without being asked)\n");
    return false;
  } finally {
    lines.close();
  }
}
