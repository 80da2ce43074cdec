/**
 * Binds the Ollama listener, as the main one is bound (`http/listen.ts`): at start-up, before the
 * slow part, so a busy port is one line at once; its messages name `--ollama-port`. It holds the
 * process open only once it serves.
 */
import { bindListener, describeListenError, type BoundListener } from "../http/listen.js";
import { StartupError } from "../startup-error.js";

/**
 * Binds `port` on `host` for the Ollama API.
 * @throws StartupError for a busy or forbidden port, saying to stop Ollama or pick another port.
 */
export async function bindOllamaListener(host: string, port: number): Promise<BoundListener> {
  try {
    const listener = await bindListener({ host, port });
    // Until it serves, it must not keep the process alive: a start that fails later abandons only the
    // main listener, and the process must still exit.
    listener.server.unref();
    return {
      ...listener,
      serve(handler) {
        listener.server.ref();
        listener.serve(handler);
      },
    };
  } catch (err) {
    const cause = err instanceof StartupError ? (err.cause ?? err) : err;
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    if (code === "EADDRINUSE") {
      throw new StartupError(`port ${port} is in use on ${host}, so the Ollama API cannot listen there: is Ollama itself running? Stop it, or pick another port with --ollama-port (0 picks a free one)`, { cause });
    }
    if (code === "EACCES") {
      throw new StartupError(`cannot listen on port ${port} of ${host} for the Ollama API: permission denied; use --ollama-port with a port above 1023`, { cause });
    }
    const message = describeListenError(cause, { host, port });
    throw message ? new StartupError(message, { cause }) : err;
  }
}
