/**
 * `shimmy-registry`: starts the registry and prints exactly one line on stdout,
 * `{"event":"listening","url":"http://HOST:PORT"}`; logs go to stderr.
 */
import { parseArgs } from "node:util";
import { startRegistry } from "./server.js";

/** `--help`. */
export const USAGE = `Usage: shimmy-registry --data DIR [options]

Shimmy's plugin registry (npm's wire format).

Options:
  --data DIR             where packages, tarballs, accounts and the signing key live (required)
  --port N               port to listen on (default 4873; 0 picks a free port)
  --host HOST            address to bind (default 127.0.0.1)
  --token-file FILE      JSON {"TOKEN": "owner"} or {"TOKEN": {"owner": "shimmy", "firstParty": true}}
  --open-registration    let \`npm adduser\` create accounts (off by default)
  --public-url URL       origin used in tarball URLs behind a proxy (default: the request's)
  -h, --help             show this help
`;

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code once stopped. */
export async function runCli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        "token-file": { type: "string" },
        "open-registration": { type: "boolean" },
        "public-url": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`shimmy-registry: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stderr.write(USAGE);
    return 0;
  }
  if (!values.data) {
    process.stderr.write(`shimmy-registry: --data DIR is required\n\n${USAGE}`);
    return 2;
  }
  const port = values.port === undefined ? 4873 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`shimmy-registry: --port must be a port number 0-65535, not "${values.port}"\n`);
    return 2;
  }
  let running;
  try {
    running = await startRegistry({
      dataDir: values.data,
      port,
      ...(values.host ? { host: values.host } : {}),
      ...(values["token-file"] ? { tokenFile: values["token-file"] } : {}),
      openRegistration: values["open-registration"] ?? false,
      ...(values["public-url"] ? { publicUrl: values["public-url"] } : {}),
    });
  } catch (error) {
    process.stderr.write(`shimmy-registry: cannot start: ${(error as Error).message}\n`);
    return 1;
  }
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void running.close().finally(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  // Only now: a supervisor that reads this line may signal at once, and the handlers must be there
  // (without them SIGTERM kills the process before it gives the data folder's lock back).
  process.stdout.write(JSON.stringify({ event: "listening", url: running.url }) + "\n");
  await stopped;
  return 0;
}
