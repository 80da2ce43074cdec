/**
 * The few requests of npm's registry API the publishing commands send: `PUT /NAME` (publish),
 * `GET /-/whoami` and `PUT /-/user/org.couchdb.user:NAME` (npm login). A refusal becomes a
 * {@link RegistryRequestError} carrying the registry's own message, its status and code, and what
 * to do about it.
 */

/** A request the registry refused, or a registry that could not be reached (`status` 0). */
export class RegistryRequestError extends Error {
  override name = "RegistryRequestError";
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The registry's error code (`version_exists`, …), when it sent one. */
  readonly code: string | undefined;
  /** What the user can do about it, one sentence. */
  readonly hint: string | undefined;

  constructor(message: string, status: number, code?: string, hint?: string) {
    super(hint ? `${message}\n  ${hint}` : message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

/** What to do about a refusal, by the registry's code, else by its status. */
function hintFor(status: number, code: string | undefined, registry: string): string | undefined {
  const login = `run shimmy-plugin login --registry ${registry} (or pass --token, or set SHIMMY_REGISTRY_TOKEN)`;
  switch (code) {
    case "version_exists":
      return `versions are immutable: bump "version" in shimmy-plugin.json and publish again`;
    case "not_owner":
      return "another owner published this name first: choose another name, or publish under your own scope (@OWNER/name)";
    case "forbidden":
      return "a scoped name is only for its owner: publish under your own scope (shimmy-plugin login shows who you are)";
    case "name_reserved":
      return "that name is kept for a first-party plugin: choose another name";
    case "name_too_similar":
      return "the name is too close to one that exists: choose a more distinct name, or publish under your own scope";
    case "registration_closed":
      return `ask the registry's operator for a token, then run shimmy-plugin login --registry ${registry} --token TOKEN`;
    case "user_exists":
      return "that user exists and cannot log in with a password here: use a token from the registry's operator";
    case "integrity_mismatch":
    case "unsafe_package":
    case "name_mismatch":
    case "invalid_manifest":
    case "invalid_module":
      return "the registry checked the package and refused it: fix what it names, run shimmy-plugin test, and publish again";
  }
  if (status === 401) return login;
  if (status === 403) return `this token may not do that: ${login} with a token that may`;
  if (status === 409) return "it exists already on the registry: nothing was changed";
  if (status === 413) return "the package is too large for this registry";
  return undefined;
}

/** Options of every request. */
export interface RegistryRequestOptions {
  /** The registry, normalized (`http://host:port`, no trailing slash). */
  registry: string;
  /** Sent as `Authorization: Bearer TOKEN`. */
  token?: string | undefined;
}

/**
 * Sends one request to the registry and resolves to its JSON answer.
 * @throws RegistryRequestError on a network failure or any status but 2xx.
 */
export async function registryRequest(method: string, urlPath: string, options: RegistryRequestOptions & { body?: unknown }): Promise<Record<string, unknown>> {
  const { registry, token } = options;
  const url = `${registry}${urlPath}`;
  const headers: Record<string, string> = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new RegistryRequestError(
      `cannot reach the registry at ${registry} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
      0,
      undefined,
      "is it running? Name another one with --registry URL or SHIMMY_REGISTRY",
    );
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // An answer that is not JSON (a proxy's page): its status and first line say enough.
  }
  const body = json !== null && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  if (!response.ok) {
    const reason = typeof body?.error === "string" ? body.error : typeof body?.reason === "string" ? body.reason : text.split("\n")[0]?.slice(0, 200) || response.statusText;
    const code = typeof body?.code === "string" ? body.code : undefined;
    throw new RegistryRequestError(`${registry} refused ${method} ${urlPath}: ${response.status}${code ? ` ${code}` : ""}: ${reason}`, response.status, code, hintFor(response.status, code, registry));
  }
  if (body === null) throw new RegistryRequestError(`${registry} answered ${method} ${urlPath} with something that is not a JSON object`, response.status);
  return body;
}

/** A package name as npm puts it in a URL: `@scope%2fname` for scoped names. */
export function packageUrlPath(name: string): string {
  return `/${name.split("/").map(encodeURIComponent).join("%2f").replace(/^%40/, "@")}`;
}

/** `GET /-/whoami`: the owner of the token. */
export async function whoami(options: RegistryRequestOptions): Promise<string> {
  const body = await registryRequest("GET", "/-/whoami", options);
  if (typeof body.username !== "string") throw new RegistryRequestError(`${options.registry} answered /-/whoami without a username`, 200);
  return body.username;
}

/** `PUT /-/user/org.couchdb.user:NAME`, as `npm login` sends it: registers `name` or logs it in; the token. */
export async function addUser(options: RegistryRequestOptions & { name: string; password: string }): Promise<string> {
  const { name, password } = options;
  const body = await registryRequest("PUT", `/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    registry: options.registry,
    body: { _id: `org.couchdb.user:${name}`, name, password, type: "user", roles: [], date: new Date().toISOString() },
  });
  if (typeof body.token !== "string" || body.token.length === 0) throw new RegistryRequestError(`${options.registry} registered ${name} but sent no token`, 201);
  return body.token;
}
