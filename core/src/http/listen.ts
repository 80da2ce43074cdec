/**
 * Binds the HTTP listener before anything heavy starts, as Ollama does: a busy port or a wrong
 * `--host` is reported in one line at once, not after discovery and llama.cpp's start, and the port
 * is held while they run. Requests that arrive meanwhile wait for the app.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { StartupError } from "../startup-error.js";

/** A listener bound by {@link bindListener}. */
export interface BoundListener {
  server: http.Server;
  /** The address actually bound (the chosen port when `port` was 0). */
  address: AddressInfo;
  /** Starts answering with `handler`; requests that came before it are handed to it, in arrival order. */
  serve(handler: http.RequestListener): void;
  /**
   * For a start that fails after binding: closes the listener and every held connection, then
   * rethrows `err`, so the process can exit. Meant for `.catch(listener.abandon)`.
   */
  abandon(err: unknown): Promise<never>;
}

/** Options of {@link bindListener}. */
export interface BindListenerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/**
 * One sentence for a listen failure the user can fix (what is wrong, then what to do), or null
 * for any other failure.
 */
export function describeListenError(err: unknown, { host, port }: BindListenerOptions): string | null {
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case "EADDRINUSE":
      return `port ${port} is in use on ${host}: is another Shimmy running? Use --port to pick another port (--port 0 picks a free one)`;
    case "EACCES":
      return `cannot listen on port ${port} of ${host}: permission denied (ports below 1024 need privileges); use --port with a port above 1023`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${host}: this machine has no such address; use --host with one of its addresses, such as 127.0.0.1`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return `cannot listen on ${host}: no such host name; use --host with an address of this machine, such as 127.0.0.1`;
    default:
      return null;
  }
}

/**
 * Creates the HTTP server and binds it.
 * @throws StartupError for a busy port, a forbidden port or an unknown host ({@link describeListenError}).
 */
export async function bindListener(options: BindListenerOptions): Promise<BoundListener> {
  let handler: http.RequestListener | undefined;
  const held: [http.IncomingMessage, http.ServerResponse][] = [];
  const server = http.createServer({ noDelay: true }, (req, res) => {
    if (handler) handler(req, res);
    else held.push([req, res]);
  });
  // Generations can run for minutes; Node's default request timeout would cut them off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    const message = describeListenError(err, options);
    throw message ? new StartupError(message, { cause: err }) : err;
  });
  return {
    server,
    address: server.address() as AddressInfo,
    serve(next) {
      handler = next;
      for (const [req, res] of held.splice(0)) next(req, res);
    },
    async abandon(err) {
      held.splice(0);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      throw err;
    },
  };
}
