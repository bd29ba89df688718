import { DefaultFailureConverter } from '@temporalio/common';

/**
 * The failure converter fleetcmd's client, worker and workflow bundle load by
 * path (DataConverter.failureConverterPath, bundleWorkflowCode's
 * failureConverterPath): Temporal 1.24 takes failure converters only as a
 * module with a `failureConverter` export, because the workflow sandbox loads
 * its own copy from the bundle.
 *
 * encodeCommonAttributes moves each failure's message and stack trace into a
 * payload, so the payload codec encrypts them: an error message quoting a
 * script's output or a password then stays out of history like any input.
 * Without a codec it is harmless (the attributes are plain JSON payloads and
 * every SDK decodes them back), so one bundle serves both modes.
 *
 * This module is bundled into workflow code: no Node built-ins here.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
