import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { planWorkflow } from "./planner.js";

const tool = (id: string, extra: Record<string, unknown> = {}) => ({ id, uses: "tool", with: { name: "calculate", arguments: { expression: "1+1" } }, ...extra });
const doc = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ name: "w", steps, ...extra });

/** The workflow_invalid error planning `value` throws (the test fails when it plans). */
function fault(value: unknown, path?: string): ShimmyError {
  try {
    planWorkflow(value, path === undefined ? {} : { path });
  } catch (err) {
    expect(err).toBeInstanceOf(ShimmyError);
    expect((err as ShimmyError).code).toBe("workflow_invalid");
    expect((err as ShimmyError).status).toBe(400);
    return err as ShimmyError;
  }
  throw new Error("the document planned");
}

describe("planWorkflow: what it refuses, each with the JSON path", () => {
  it("a document that is not an object, or misses name or steps", () => {
    expect(fault([]).message).toMatch(/must be a JSON object/);
    expect(fault({ steps: [tool("a")] }).param).toBe("name");
    expect(fault({ name: "w" }).param).toBe("steps");
    expect(fault(doc([])).param).toBe("steps");
    expect(fault({ name: "bad name!", steps: [tool("a")] }).param).toBe("name");
  });

  it("an unknown field, on the document or a step", () => {
    expect(fault(doc([tool("a")], { stepz: [] })).param).toBe("stepz");
    expect(fault(doc([tool("a", { when: true })])).param).toBe("steps.0.when");
  });

  it("an unknown uses, naming the kinds there are", () => {
    const error = fault(doc([tool("a"), { id: "b", uses: "shell", with: {} }]));
    expect(error.param).toBe("steps.1.uses");
    expect(error.message).toBe('steps.1.uses must be one of llm, tool, step, embed, workflow; "shell" is not a kind of step');
  });

  it("a step without the with its kind requires", () => {
    expect(fault(doc([{ id: "a", uses: "llm", with: { model: "m" } }])).param).toBe("steps.0.with.messages");
    expect(fault(doc([{ id: "a", uses: "tool" }])).param).toBe("steps.0.with");
    expect(fault(doc([{ id: "a", uses: "workflow", with: {} }])).param).toBe("steps.0.with.name");
  });

  it("an id that is not a plain name, or is repeated", () => {
    expect(fault(doc([tool("my-step")])).param).toBe("steps.0.id");
    const repeated = fault(doc([tool("a"), tool("a")]));
    expect(repeated.param).toBe("steps.1.id");
    expect(repeated.message).toMatch(/already the id of steps\.0/);
  });

  it("needs naming no step, or the step itself", () => {
    expect(fault(doc([tool("a", { needs: ["nope"] })])).param).toBe("steps.0.needs.0");
    expect(fault(doc([tool("a", { needs: ["a"] })])).message).toMatch(/cannot wait for itself/);
  });

  it("a reference to a step that does not exist", () => {
    const error = fault(doc([tool("a"), tool("b", { with: { name: "x", arguments: { v: "${{ steps.nope.output }}" } } })]));
    expect(error.param).toBe("steps.1.with.arguments.v");
    expect(error.message).toMatch(/no step has the id "nope"/);
  });

  it("a reference to a later step without needs, but not with it", () => {
    const steps = [tool("a", { with: { name: "x", arguments: { v: "${{ steps.b.output }}" } } }), tool("b")];
    const error = fault(doc(steps));
    expect(error.param).toBe("steps.0.with.arguments.v");
    expect(error.message).toMatch(/comes later in the document.*add "b" to this step's needs/);
    const plan = planWorkflow(doc([{ ...steps[0], needs: ["b"] }, steps[1]]));
    expect(plan.steps.map((s) => s.id)).toEqual(["b", "a"]);
  });

  it("a cycle, naming its steps in order", () => {
    const error = fault(
      doc([tool("a", { needs: ["c"] }), tool("b", { with: { name: "x", arguments: { v: "${{ steps.a.output }}" } } }), tool("c", { needs: ["b"] }), tool("free")]),
    );
    expect(error.message).toMatch(/the steps a → c → b → a wait for each other in a cycle/);
    expect(error.param).toBe("steps.0.id");
  });

  it("a step reading its own output", () => {
    expect(fault(doc([tool("a", { with: { name: "x", arguments: { v: "${{ steps.a.output }}" } } })])).message).toMatch(/cannot read its own output/);
  });

  it("an expression that does not parse, or a template never closed", () => {
    const error = fault(doc([tool("a", { if: "${{ input.x = }}" })]));
    expect(error.param).toBe("steps.0.if");
    expect(error.message).toMatch(/the expression "input.x =" does not parse: .* \(at character \d+\)/);
    expect(fault(doc([tool("a", { with: { name: "Hi ${{ input.name" } })])).message).toMatch(/never closed/);
    expect(fault(doc([tool("a", { with: { name: "${{  }}" } })])).message).toMatch(/is empty/);
  });

  it("a regular expression or $eval, which could stall the server", () => {
    expect(fault(doc([tool("a", { with: { name: "${{ $match(input.s, /(a+)+$/) }}" } })])).message).toMatch(/regular expression/);
    expect(fault(doc([tool("a", { with: { name: "${{ $eval(input.code) }}" } })])).message).toMatch(/\$eval/);
  });

  it("item outside a foreach, a root name that does not exist, and a step's field other than output", () => {
    expect(fault(doc([tool("a", { with: { name: "${{ item }}" } })])).message).toMatch(/item is only defined in the `with` of a step with foreach/);
    expect(fault(doc([tool("a", { foreach: "${{ [item] }}", with: { name: "x" } })])).param).toBe("steps.0.foreach");
    expect(fault(doc([tool("a", { with: { name: "${{ inputs.x }}" } })])).message).toMatch(/reads "inputs", which is not defined here/);
    expect(fault(doc([tool("a"), tool("b", { with: { name: "${{ steps.a.text }}" } })])).message).toMatch(/write steps\.a\.output\.text/);
  });

  it("an output reading an unknown step, and an input schema that does not compile", () => {
    expect(fault(doc([tool("a")], { output: { x: "${{ steps.zz.output }}" } })).param).toBe("output.x");
    expect(fault(doc([tool("a")], { input: { type: "nonsense" } })).param).toBe("input");
  });

  it("a document nested too deeply to walk safely", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 5000; i++) deep = [deep];
    expect(fault(doc([tool("a", { with: { name: "n", arguments: { deep } } })]), "workflow").message).toMatch(/^workflow nests objects and arrays more than 100 levels deep$/);
  });

  it("prefixes every path for an inline document", () => {
    expect(fault(doc([tool("a", { uses: "nope" })]), "workflow").param).toBe("workflow.steps.0.uses");
    expect(fault(doc([tool("a", { with: { name: "${{ steps.b.output }}" } })]), "workflow").param).toBe("workflow.steps.0.with.name");
  });
});

describe("planWorkflow: the DAG", () => {
  it("depends on needs and references, and orders dependants after them (document order among the ready)", () => {
    const plan = planWorkflow(
      doc([
        tool("fetch"),
        tool("count", { with: { name: "x", arguments: { n: "${{ $count(steps.fetch.output.items) }}" } } }),
        tool("log", { needs: ["fetch"] }),
        tool("alone"),
        tool("sum", { with: { name: "x", arguments: { text: "${{ steps.count.output }} and ${{ $.steps.log.output }}" } } }),
      ]),
    );
    expect(plan.steps.map((s) => s.id)).toEqual(["fetch", "count", "log", "alone", "sum"]);
    expect(plan.byId.get("sum")!.dependsOn).toEqual(["count", "log"]);
    expect(plan.byId.get("fetch")!.dependants).toEqual(["count", "log"]);
    expect(plan.byId.get("alone")!.dependsOn).toEqual([]);
  });

  it("does not take a field named item inside a filter for the foreach item", () => {
    const plan = planWorkflow(doc([tool("a", { with: { name: "x", arguments: { v: "${{ input.list[item > 3] }}" } } })]));
    expect(plan.steps).toHaveLength(1);
  });

  it("checks a run's input against the input schema, naming the field", () => {
    const plan = planWorkflow(doc([tool("a")], { input: { type: "object", required: ["text"], properties: { text: { type: "string" } } } }));
    expect(() => plan.checkInput({ text: "hi" })).not.toThrow();
    expect(() => plan.checkInput({ text: 3 })).toThrow(expect.objectContaining({ code: "invalid_parameter", param: "input.text" }));
    expect(() => plan.checkInput({})).toThrow(expect.objectContaining({ param: "input.text" }));
  });

  it("keeps retry, timeout, foreach and concurrency with their defaults", () => {
    const plan = planWorkflow(doc([tool("a", { retry: { limit: 2 }, timeoutMs: 50, foreach: [1, 2], concurrency: 2, with: { name: "${{ item }}" } })], { concurrency: 3 }));
    const step = plan.byId.get("a")!;
    expect(step.retry).toEqual({ limit: 2, backoffMs: 1000 });
    expect(step.timeoutMs).toBe(50);
    expect(step.concurrency).toBe(2);
    expect(plan.concurrency).toBe(3);
  });
});
