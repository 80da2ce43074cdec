import { describe, expect, it } from "vitest";
import { compileInDialect, declaredDraft } from "./dialect.js";

describe("declaredDraft", () => {
  it("reads the dialect from $schema, draft-07 for any other URI, null without one", () => {
    expect(declaredDraft({ $schema: "https://json-schema.org/draft/2020-12/schema" })).toBe("2020-12");
    expect(declaredDraft({ $schema: "https://json-schema.org/draft/2019-09/schema" })).toBe("2019-09");
    expect(declaredDraft({ $schema: "http://json-schema.org/draft-04/schema#" })).toBe("draft-07");
    expect(declaredDraft({ type: "string" })).toBeNull();
    expect(declaredDraft(true)).toBeNull();
  });
});

describe("compileInDialect", () => {
  it("compiles each schema in the dialect its $schema names", () => {
    const tuple = compileInDialect({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "array", prefixItems: [{ type: "string" }], items: false });
    expect(tuple(["a"])).toBe(true);
    expect(tuple(["a", 1])).toBe(false);
    const older = compileInDialect({ $schema: "http://json-schema.org/draft-07/schema#", type: "array", items: [{ type: "string" }], additionalItems: false });
    expect(older(["a", 1])).toBe(false);
  });

  it("accepts a $schema URI ajv has no meta-schema for", () => {
    expect(compileInDialect({ $schema: "http://json-schema.org/draft-04/schema#", type: "integer" })(1)).toBe(true);
  });
});
