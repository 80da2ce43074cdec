import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { boundaryOf, parseMultipart } from "./multipart-body.js";

const form = async (build: (f: FormData) => void) => {
  const data = new FormData();
  build(data);
  const request = new Request("http://x/", { method: "POST", body: data });
  return { body: Buffer.from(await request.arrayBuffer()), boundary: boundaryOf(request.headers.get("content-type")!)! };
};

describe("parseMultipart", () => {
  it("reads what fetch's FormData sends: text fields and a binary file", async () => {
    const bytes = Uint8Array.from([0, 1, 2, 13, 10, 45, 45, 255]);
    const { body, boundary } = await form((f) => {
      f.append("purpose", "assistants");
      f.append("file", new Blob([bytes], { type: "application/octet-stream" }), 'odd "name".txt');
    });
    const parsed = parseMultipart(body, boundary);
    expect(parsed.fields).toEqual({ purpose: "assistants" });
    expect(parsed.files).toHaveLength(1);
    expect(parsed.files[0]).toMatchObject({ field: "file", contentType: "application/octet-stream" });
    expect(parsed.files[0]!.filename).toContain("name");
    expect([...parsed.files[0]!.bytes]).toEqual([...bytes]);
  });

  it("refuses a body without the boundary", () => {
    expect(() => parseMultipart(Buffer.from("hello"), "b")).toThrow(ShimmyError);
  });

  it("refuses a part that is never closed", () => {
    expect(() => parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue'), "b")).toThrow(/not closed/);
  });
});
