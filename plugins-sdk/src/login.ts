/**
 * `loginRegistry`: gets a token for a registry (given, or from npm's login request with a user
 * name and password), checks it with `GET /-/whoami`, and only then stores it in
 * `$SHIMMY_HOME/secrets.json`: a token the registry refuses is never stored.
 */
import { storeToken } from "./credentials.js";
import { addUser, whoami } from "./registry-client.js";

/** Options of {@link loginRegistry}: a token, or a user and password (open registration). */
export interface LoginOptions {
  /** The registry, normalized (`http://host:port`, no trailing slash). */
  registry: string;
  /** Shimmy's folder, where `secrets.json` lives. */
  home: string;
  /** The token to store; when absent, `user` and `password` get one. */
  token?: string;
  /** A user to register or log in with `PUT /-/user/org.couchdb.user:NAME`. */
  user?: string;
  password?: string;
}

/** What {@link loginRegistry} stored. */
export interface LoginResult {
  /** The token's owner, as `/-/whoami` names it. */
  owner: string;
  registry: string;
  /** The secrets file written. */
  file: string;
}

/**
 * Logs in to `options.registry` and stores its token.
 * @throws RegistryRequestError when the registry refuses the token or the login;
 * CredentialsError when the secrets file cannot be read or written.
 */
export async function loginRegistry(options: LoginOptions): Promise<LoginResult> {
  const { registry, home } = options;
  let token = options.token;
  if (token === undefined) {
    if (options.user === undefined || options.password === undefined) throw new TypeError("loginRegistry needs a token, or a user and a password");
    token = await addUser({ registry, name: options.user, password: options.password });
  }
  const owner = await whoami({ registry, token });
  const file = await storeToken(home, registry, token);
  return { owner, registry, file };
}
