import { withoutSas } from './blob-writer';
import type { VirtualMachineRunCommandScriptSource } from './types';

/**
 * Turns a run command's source into script text the way the Linux handler
 * does: exactly one of `script` or `scriptUri` (commandId has already been
 * expanded by the platform), a URI downloaded (SAS or public) and cleaned of a
 * BOM and CRLF line ends.
 */

export type ScriptResolution =
  | { kind: 'script'; script: string }
  /** Rejected before anything runs; the handler reports it oddly (see agent.ts). */
  | { kind: 'invalidConfiguration'; message: string }
  | { kind: 'downloadFailed'; message: string };

const DOWNLOAD_TIMEOUT_MS = 60_000;

function preprocess(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
}

export async function resolveScript(source: VirtualMachineRunCommandScriptSource): Promise<ScriptResolution> {
  const hasScript = typeof source.script === 'string' && source.script.length > 0;
  const hasUri = typeof source.scriptUri === 'string' && source.scriptUri.length > 0;
  if (hasScript === hasUri) {
    return {
      kind: 'invalidConfiguration',
      message: hasScript
        ? "Execution failed: failed to get configuration: invalid configuration: 'source.script' and 'source.scriptUri' cannot both be specified"
        : "Execution failed: failed to get configuration: invalid configuration: Either 'source.script' or 'source.scriptUri' has to be specified",
    };
  }
  if (hasScript) return { kind: 'script', script: source.script as string };
  const uri = source.scriptUri as string;
  try {
    const response = await fetch(uri, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!response.ok) {
      return { kind: 'downloadFailed', message: `Execution failed: failed to download script from '${withoutSas(uri)}': unexpected status code: ${response.status}` };
    }
    return { kind: 'script', script: preprocess(await response.text()) };
  } catch (error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return { kind: 'downloadFailed', message: `Execution failed: failed to download script from '${withoutSas(uri)}': ${reason}` };
  }
}
