import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * fleetcmd's search attributes: they make rollouts findable in the Temporal UI
 * and `fleetcmd list`. A real cluster needs them registered once
 * (`temporal operator search-attribute create`); the dev stack registers them.
 */
export const FleetcmdRunbook = defineSearchAttributeKey('FleetcmdRunbook', SearchAttributeType.KEYWORD);
export const FleetcmdStatus = defineSearchAttributeKey('FleetcmdStatus', SearchAttributeType.KEYWORD);
export const FleetcmdRolloutId = defineSearchAttributeKey('FleetcmdRolloutId', SearchAttributeType.KEYWORD);

/** `--search-attribute` values for `temporal server start-dev`. */
export const searchAttributeFlags: string[] = [FleetcmdRunbook, FleetcmdStatus, FleetcmdRolloutId].map(
  (key) => `${key.name}=Keyword`,
);
