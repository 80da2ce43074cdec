/**
 * Random-weight fixtures write their end-of-turn token now and then. A strong bias towards one
 * ordinary token outweighs it, so a generation runs to its limit: for tests that need `length`
 * or a slot held for a while. (node-llama-cpp never lets a bias touch end tokens themselves.)
 */
export const NEVER_END = { logit_bias: { "300": 100 } } as const;
