import type { z } from 'zod';

/**
 * Reads settings from FLEETCMD_* environment variables: `names` maps each
 * field of `schema` to the variable that holds it. Empty values count as
 * unset, so the schema's defaults apply. A bad value throws an Error naming
 * `what` ("worker configuration") and, for each problem, its variable.
 */
export function settingsFromEnv<S extends z.ZodObject>(
  what: string,
  schema: S,
  names: { readonly [K in keyof z.input<S>]-?: string },
  env: NodeJS.ProcessEnv,
): z.output<S> {
  const variables: Record<string, string> = names;
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(variables).map(([field, name]) => [field, env[name] || undefined])));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${variables[String(i.path[0])] ?? i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid ${what}: ${problems.join('; ')}`);
  }
  return parsed.data;
}
