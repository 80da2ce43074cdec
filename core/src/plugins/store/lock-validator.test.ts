import { loadStandalone } from "@shimmy/plugin-sdk";
import { describe, expect, it } from "vitest";
import { LOCK_VALIDATOR } from "./lock-file.js";

describe("the lock file's validator", () => {
  it("is the one the build compiled (npm test builds first), so no command compiles it at start", () => {
    expect(loadStandalone(LOCK_VALIDATOR.file, LOCK_VALIDATOR.schema, LOCK_VALIDATOR.options), "run npm run build --workspace core").not.toBeNull();
  });
});
