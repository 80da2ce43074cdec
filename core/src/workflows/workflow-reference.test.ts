import { describe, expect, it } from "vitest";
import { planWorkflow } from "./planner.js";
import { STEP_KINDS } from "./types.js";
import { WORKFLOW_EXAMPLE, workflowReferenceMarkdown } from "./workflow-reference.js";
import { WORKFLOW_SCHEMA } from "./workflow-schema.js";

type Node = { properties?: Record<string, Node>; items?: Node; description?: string };

describe("docs/reference/workflow.md", () => {
  const page = workflowReferenceMarkdown();

  it("has an example that plans, and uses every field of the document and of a step", () => {
    const plan = planWorkflow(WORKFLOW_EXAMPLE);
    expect(plan.steps.map((step) => step.id)).toEqual(["sort", "questions", "total", "drafts", "vectors"]);
    expect(plan.byId.get("drafts")!.dependsOn).toEqual(["sort", "questions"]);
    const documentFields = Object.keys(WORKFLOW_SCHEMA.properties).filter((field) => field !== "$schema" && field !== "version");
    expect(documentFields.filter((field) => !(field in WORKFLOW_EXAMPLE))).toEqual([]);
    const stepFields = new Set(WORKFLOW_EXAMPLE.steps.flatMap((step) => Object.keys(step)));
    expect(Object.keys(WORKFLOW_SCHEMA.properties.steps.items.properties).filter((field) => field !== "description" && !stepFields.has(field))).toEqual([]);
    expect(page).toContain(JSON.stringify(WORKFLOW_EXAMPLE, null, 2));
  });

  it("describes every field, and every kind of step with its with", () => {
    const missing: string[] = [];
    const walk = (node: Node, path: string) => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        if (!child.description) missing.push(`${path}${key}`);
        expect(page).toContain(`| \`${path}${key}\` |`);
        const inner = child.items ?? child;
        if (inner.properties && key !== "input") walk(inner, child.items ? `${path}${key}[].` : `${path}${key}.`);
      }
    };
    walk(WORKFLOW_SCHEMA as unknown as Node, "");
    expect(missing).toEqual([]);
    for (const kind of STEP_KINDS) expect(page).toContain(`### \`${kind}\``);
    expect(page).toContain("| `with.response_format` |");
    expect(page).toMatch(/a step runs at least once, not exactly once/);
  });
});
