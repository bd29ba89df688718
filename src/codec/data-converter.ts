import type { DataConverter } from '@temporalio/common';
import type { Keyring } from './keys';
import { EncryptionCodec } from './payload-codec';

/**
 * Module path of fleetcmd's failure converter (encodeCommonAttributes: true).
 * Pass it to `bundleWorkflowCode({ workflowsPath, failureConverterPath })`
 * too: a worker given a prebuilt `workflowBundle` ignores
 * `dataConverter.failureConverterPath` for workflow code, and only the
 * bundle's copy converts the errors workflows throw.
 */
export const failureConverterPath: string = require.resolve('./failure-converter');

/**
 * The DataConverter for both `new Client({ dataConverter })` and
 * `Worker.create({ dataConverter })`. The codec runs in the worker's main
 * thread (never in the workflow sandbox, which has no node:crypto), so the
 * same object serves both.
 *
 * Without a keyring fleetcmd runs unencrypted: no codec, SDK defaults.
 */
export function dataConverterFor(keyring: Keyring | undefined): DataConverter {
  if (!keyring) return {};
  return {
    payloadCodecs: [new EncryptionCodec({ keyring })],
    // 1.24 accepts a failure converter only by module path (see failure-converter.ts).
    failureConverterPath,
  };
}
