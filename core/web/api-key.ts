/**
 * The API key of a server started with `--api-key`: asked for in a dialog when a route answers
 * 401, kept in sessionStorage (this tab only, gone when it closes), sent as `Authorization: Bearer`.
 */
import { byId } from "./dom.js";

const STORAGE_KEY = "shimmy.apiKey";

/** The key this tab uses, if it was given one. */
export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

// Requests refused at the same time (the page loads the models and the plugins at once) share one dialog.
let asking: Promise<string | null> | undefined;

/**
 * Shows the key dialog with the server's `message`; resolves to the key typed (now stored), or
 * null when the dialog was cancelled.
 */
export function askForKey(message: string): Promise<string | null> {
  asking ??= showDialog(message).finally(() => (asking = undefined));
  return asking;
}

function showDialog(message: string): Promise<string | null> {
  const dialog = byId<HTMLDialogElement>("key-dialog");
  const form = byId<HTMLFormElement>("key-form");
  const input = byId<HTMLInputElement>("key-input");
  byId("key-message").textContent = message;
  input.value = "";
  return new Promise((resolve) => {
    const finish = (key: string | null) => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      if (key !== null) sessionStorage.setItem(STORAGE_KEY, key);
      resolve(key);
    };
    const onSubmit = (event: Event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (key !== "") finish(key);
    };
    const onClose = () => finish(null);
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("close", onClose);
    byId("key-cancel").onclick = () => finish(null);
    dialog.showModal();
    input.focus();
  });
}
