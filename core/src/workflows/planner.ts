/**
 * The planner: checks a workflow document beyond its schema and orders its steps into a DAG. Pure
 * (no I/O), so a document is checked in full when it is saved, and every fault is a 400 naming its
 * JSON path: a repeated id, `needs` naming no step, an expression that does not parse or reads what
 * is not there (an unknown step, a later step not in `needs`, `item` outside a `foreach`), a cycle
 * (named step by step), an `input` schema that does not compile.
 *
 * A step depends on the steps in its `needs` and on those its expressions reference; it starts once
 * they have finished, and reads only their outputs.
 */
import type { ValidateFunction } from "ajv";
import { ShimmyError } from "../errors.js";
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "../openai/json-depth.js";
import { compileInDialect } from "../schema/dialect.js";
import { describeAjvError, errorSegments } from "../schema/ajv-errors.js";
import { compileValue, TemplateError, type CompiledValue, type LocatedExpression } from "./compiled-value.js";
import type { StepKind, WorkflowDocument, WorkflowStep } from "./types.js";
import { checkWorkflowShape, joinPath } from "./workflow-schema.js";

/** Steps of one run running at once when the document does not say. */
export const DEFAULT_RUN_CONCURRENCY = 8;

/** A retry's first wait when the document gives none, in ms. */
export const DEFAULT_BACKOFF_MS = 1000;

/** One step, checked and compiled. */
export interface PlannedStep {
  id: string;
  uses: StepKind;
  /** Its JSON path in the request (`steps.3`, or `workflow.steps.3` inline). */
  path: string;
  with: CompiledValue;
  if: CompiledValue | null;
  foreach: CompiledValue | null;
  /** Items of its `foreach` at once; null: as many as the run's bound allows. */
  concurrency: number | null;
  /** The steps it waits for and reads, in document order. */
  dependsOn: string[];
  /** The steps that wait for it. */
  dependants: string[];
  retry: { limit: number; backoffMs: number };
  timeoutMs: number | null;
  /** The step as the document wrote it. */
  source: WorkflowStep;
}

/** A document ready to run. */
export interface WorkflowPlan {
  document: WorkflowDocument;
  /** Every step, in an order where each comes after the steps it depends on (document order otherwise). */
  steps: PlannedStep[];
  byId: ReadonlyMap<string, PlannedStep>;
  /** What the run returns; null: every step's output by id. */
  output: CompiledValue | null;
  concurrency: number;
  timeoutMs: number | null;
  /** @throws ShimmyError `invalid_parameter` (param `input…`) when `input` breaks the document's `input` schema. */
  checkInput(input: unknown, path?: string): void;
}

/** Options of {@link planWorkflow}. */
export interface PlanOptions {
  /** Where the document sits in the request body, for the paths of errors. @default "" (it is the body) */
  path?: string;
}

const ROOTS_EVERYWHERE = ["input", "steps"];
const ROOTS_IN_FOREACH = ["item", "index"];

/**
 * Checks `value` as a workflow document and plans it.
 * @throws ShimmyError `workflow_invalid` whose `param` is the JSON path of the first fault.
 * @example
 * const plan = planWorkflow(ctx.state.body);
 * plan.checkInput(input);
 */
export function planWorkflow(value: unknown, options: PlanOptions = {}): WorkflowPlan {
  const base = options.path ?? "";
  // Before anything that recurses through it (the schema check, compiling its values).
  if (exceedsJsonDepth(value)) invalid(`${base || "The workflow"} nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`, base);
  const document = checkWorkflowShape(value, base);
  const at = (path: string) => joinPath(base, path);
  const position = new Map<string, number>();
  document.steps.forEach((step, i) => {
    const earlier = position.get(step.id);
    if (earlier !== undefined) invalid(`steps.${i}.id "${step.id}" is already the id of steps.${earlier}; step ids must be unique`, at(`steps.${i}.id`));
    position.set(step.id, i);
  });

  const steps = document.steps.map((step, i) => planStep(step, i, position, at));
  const byId = new Map(steps.map((step) => [step.id, step]));
  for (const step of steps) for (const id of step.dependsOn) byId.get(id)!.dependants.push(step.id);

  const outputExpressions: LocatedExpression[] = [];
  const output = document.output === undefined ? null : compiled(() => compileValue(document.output, at("output"), outputExpressions));
  for (const { path, expression } of outputExpressions) {
    checkExpression(expression.reads, path, { allowed: ROOTS_EVERYWHERE, known: position, stepPosition: Number.POSITIVE_INFINITY, needs: new Set() });
  }

  const checkInput = inputChecker(document.input, at("input"));
  return {
    document,
    steps: topologicalOrder(steps),
    byId,
    output,
    concurrency: document.concurrency ?? DEFAULT_RUN_CONCURRENCY,
    timeoutMs: document.timeoutMs ?? null,
    checkInput,
  };
}

function planStep(step: WorkflowStep, i: number, position: ReadonlyMap<string, number>, at: (path: string) => string): PlannedStep {
  const path = `steps.${i}`;
  const needs = new Set(step.needs ?? []);
  (step.needs ?? []).forEach((id, k) => {
    if (!position.has(id)) invalid(`${at(`${path}.needs.${k}`)} names "${id}", which is not a step of this workflow`, at(`${path}.needs.${k}`));
    if (id === step.id) invalid(`${at(`${path}.needs.${k}`)}: a step cannot wait for itself`, at(`${path}.needs.${k}`));
  });
  const context = (allowed: string[]) => ({ allowed, known: position, stepPosition: i, needs, self: step.id });
  const referenced = new Set<string>();
  const compile = (value: unknown, field: string, allowed: string[]): CompiledValue => {
    const found: LocatedExpression[] = [];
    const result = compiled(() => compileValue(value, at(`${path}.${field}`), found));
    for (const { path: where, expression } of found) {
      for (const id of checkExpression(expression.reads, where, context(allowed))) referenced.add(id);
    }
    return result;
  };
  const inItems = step.foreach === undefined ? ROOTS_EVERYWHERE : [...ROOTS_EVERYWHERE, ...ROOTS_IN_FOREACH];
  const planned: PlannedStep = {
    id: step.id,
    uses: step.uses,
    path: at(path),
    with: compile(step.with ?? {}, "with", inItems),
    if: step.if === undefined ? null : compile(step.if, "if", ROOTS_EVERYWHERE),
    foreach: step.foreach === undefined ? null : compile(step.foreach, "foreach", ROOTS_EVERYWHERE),
    concurrency: step.concurrency ?? null,
    dependsOn: [],
    dependants: [],
    retry: { limit: step.retry?.limit ?? 0, backoffMs: step.retry?.backoff ?? DEFAULT_BACKOFF_MS },
    timeoutMs: step.timeoutMs ?? null,
    source: step,
  };
  const depends = new Set([...needs, ...referenced]);
  planned.dependsOn = [...depends].sort((a, b) => position.get(a)! - position.get(b)!);
  return planned;
}

interface ExpressionContext {
  /** The root names this expression may read. */
  allowed: string[];
  known: ReadonlyMap<string, number>;
  /** The position of the step it belongs to (infinity for the run's output). */
  stepPosition: number;
  needs: ReadonlySet<string>;
  self?: string;
}

/** Checks what one expression reads; returns the step ids it references. */
function checkExpression(reads: LocatedExpression["expression"]["reads"], path: string, context: ExpressionContext): string[] {
  const [refused] = reads.refused;
  if (refused) invalid(`${path}: workflow expressions may not use ${refused.what} (at character ${refused.position})`, path);
  const referenced: string[] = [];
  for (const read of reads.roots) {
    if (!context.allowed.includes(read.name)) {
      const hint = ROOTS_IN_FOREACH.includes(read.name) ? `${read.name} is only defined in the \`with\` of a step with foreach` : `expressions read ${context.allowed.join(", ")}`;
      invalid(`${path}: the expression reads "${read.name}", which is not defined here (${hint})`, path);
    }
    if (!read.step) continue;
    const { id, field } = read.step;
    const stepAt = context.known.get(id);
    if (stepAt === undefined) invalid(`${path}: the expression reads steps.${id}, but no step has the id "${id}"`, path);
    if (id === context.self) invalid(`${path}: a step cannot read its own output (steps.${id})`, path);
    if (field !== undefined && field !== "output") invalid(`${path}: write steps.${id}.output.${field}: a step's result is under its output`, path);
    if (stepAt > context.stepPosition && !context.needs.has(id)) {
      invalid(`${path}: the expression reads steps.${id}, which comes later in the document; move it earlier or add "${id}" to this step's needs`, path);
    }
    referenced.push(id);
  }
  return referenced;
}

/**
 * The steps ordered so each follows those it depends on; ties keep document order.
 * @throws ShimmyError `workflow_invalid` naming the steps of a cycle.
 */
function topologicalOrder(steps: PlannedStep[]): PlannedStep[] {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const waiting = new Map(steps.map((step) => [step.id, step.dependsOn.length]));
  const order: PlannedStep[] = [];
  const ready = steps.filter((step) => step.dependsOn.length === 0);
  // Document order among the ready: a queue kept sorted by position is enough at these sizes.
  const index = new Map(steps.map((step, i) => [step.id, i]));
  while (ready.length > 0) {
    const step = ready.shift()!;
    order.push(step);
    for (const id of step.dependants) {
      const left = waiting.get(id)! - 1;
      waiting.set(id, left);
      if (left === 0) insertSorted(ready, byId.get(id)!, index);
    }
  }
  if (order.length === steps.length) return order;
  const cycle = findCycle(steps.filter((step) => waiting.get(step.id)! > 0), byId);
  const first = byId.get(cycle[0]!)!;
  invalid(`the steps ${cycle.join(" → ")} wait for each other in a cycle (through needs or references), so none can start`, `${first.path}.id`);
}

function insertSorted(queue: PlannedStep[], step: PlannedStep, index: ReadonlyMap<string, number>): void {
  const at = queue.findIndex((other) => index.get(other.id)! > index.get(step.id)!);
  if (at < 0) queue.push(step);
  else queue.splice(at, 0, step);
}

/** One cycle among `stuck` (steps that never became ready), as ids with the first repeated at the end. */
function findCycle(stuck: PlannedStep[], byId: ReadonlyMap<string, PlannedStep>): string[] {
  const stuckIds = new Set(stuck.map((step) => step.id));
  // Every stuck step waits for some stuck step; walking those edges must come back to a visited one.
  const seen = new Map<string, number>();
  const path: string[] = [];
  let current = stuck[0]!.id;
  while (!seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    current = byId.get(current)!.dependsOn.find((id) => stuckIds.has(id))!;
  }
  return [...path.slice(seen.get(current)!), current];
}

/** The check of a run's input against the document's `input` schema (anything when there is none). */
function inputChecker(schema: WorkflowDocument["input"], path: string): WorkflowPlan["checkInput"] {
  if (schema === undefined) return () => undefined;
  let validate: ValidateFunction;
  try {
    validate = compileInDialect(schema);
  } catch (err) {
    invalid(`${path} is not a JSON Schema ajv can compile: ${(err as Error).message}`, path);
  }
  return (input, where = "input") => {
    if (validate(input)) return;
    const first = validate.errors?.[0];
    if (!first) throw new ShimmyError("invalid_parameter", `${where} does not match the workflow's input schema`, { param: where });
    const param = joinPath(where, errorSegments(first, validate.errors ?? []).join("."));
    throw new ShimmyError("invalid_parameter", describeAjvError(first, param), { param });
  };
}

function compiled(compile: () => CompiledValue): CompiledValue {
  try {
    return compile();
  } catch (err) {
    if (err instanceof TemplateError) invalid(`${err.path}: ${err.message}`, err.path);
    throw err;
  }
}

function invalid(message: string, param: string): never {
  throw new ShimmyError("workflow_invalid", message, { param: param || null });
}
