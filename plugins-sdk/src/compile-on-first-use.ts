/**
 * Ajv validators compiled when first needed rather than when their module loads: compiling a
 * large schema costs 50 to 200 ms, and every `shimmy` command would otherwise pay for every schema
 * it imports (the manifest's, the configuration's) whether it reads such a file or not.
 */

/**
 * `compile` run once, on the first call of the function returned; later calls give the same
 * validator.
 *
 * @example
 * const lockValidator = compileOnFirstUse(() => ajv.compile(lockFileSchema));
 * const validate = lockValidator();
 * if (!validate(data)) throw new Error(ajv.errorsText(validate.errors));
 */
export function compileOnFirstUse<V>(compile: () => V): () => V {
  let compiled: { validator: V } | undefined;
  return () => (compiled ??= { validator: compile() }).validator;
}
