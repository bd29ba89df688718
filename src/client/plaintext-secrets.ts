import { CodecConfigError, KEY_FILE_SETTING, KEYS_SETTING, loadKeyring } from '../codec';
import { hasSasSignature } from '../runbook/plan';
import type { Runbook, Step } from '../runbook/runbook';
import { CliError, type CliIo } from './context';

/**
 * A runbook's secrets travel in the workflows' inputs, so without payload
 * encryption they sit in Temporal's history in clear text, readable by anyone
 * who can read the namespace. The verbs that start work (start, run,
 * retry-failed, schedule create) refuse such a runbook unless the user says,
 * with this flag, that it is acceptable — and then they say what is exposed.
 */
export const ALLOW_PLAINTEXT_SECRETS_FLAG = '--allow-plaintext-secrets';
export const ALLOW_PLAINTEXT_SECRETS_HELP = `start even though the runbook's secrets (protectedParameters, runAsPassword, SAS signatures) would be stored in Temporal's history in clear text, when ${KEYS_SETTING} and ${KEY_FILE_SETTING} are unset`;

/** Where a runbook carries secrets, by path: `steps[1].protectedParameters (TOKEN)`, `onFailure[0].runAsPassword`. */
export function secretFields(runbook: Pick<Runbook, 'steps' | 'onFailure'>): string[] {
  const of = (steps: Step[], list: string): string[] =>
    steps.flatMap((step, i) => [
      ...(step.protectedParameters.length ? [`${list}[${i}].protectedParameters (${step.protectedParameters.map((p) => p.name).join(', ')})`] : []),
      ...(step.runAsPassword !== undefined ? [`${list}[${i}].runAsPassword`] : []),
      ...('scriptUri' in step.source && hasSasSignature(step.source.scriptUri) ? [`${list}[${i}].scriptUri (its SAS signature)`] : []),
    ]);
  return [...of(runbook.steps, 'steps'), ...of(runbook.onFailure, 'onFailure')];
}

/**
 * Refuses (exit 2, before anything starts) a runbook with secrets when
 * payloads are not encrypted, naming the fields; with the flag, warns on
 * stderr instead. Names only: never a secret's value.
 */
export function guardPlaintextSecrets(io: CliIo, runbook: Pick<Runbook, 'steps' | 'onFailure'>, allowed: boolean | undefined): void {
  let encrypted: boolean;
  try {
    encrypted = loadKeyring(io.env) !== undefined;
  } catch (err) {
    if (err instanceof CodecConfigError) throw new CliError(err.message);
    throw err;
  }
  if (encrypted) return;
  const fields = secretFields(runbook);
  if (fields.length === 0) return;
  const exposed = `${fields.join(', ')} would be stored in Temporal's history in clear text: payload encryption is off (${KEYS_SETTING} and ${KEY_FILE_SETTING} are unset)`;
  if (!allowed) {
    throw new CliError(`${exposed}. Set ${KEYS_SETTING} for this CLI and the workers, or pass ${ALLOW_PLAINTEXT_SECRETS_FLAG} to accept it; nothing was started`);
  }
  io.err(`fleetcmd: warning: ${exposed} (${ALLOW_PLAINTEXT_SECRETS_FLAG})\n`);
}
