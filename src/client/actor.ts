import { userInfo } from 'node:os';

/**
 * Who is steering a rollout, when `--by` is not given: the login name. The
 * workflow records it with each approval and cancel, so it must name a
 * person, never be empty.
 */
export function defaultActor(env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = (env.USER ?? env.USERNAME ?? env.LOGNAME)?.trim();
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username.trim() || undefined;
  } catch {
    // No passwd entry for this uid (some containers): the caller asks for --by.
    return undefined;
  }
}
