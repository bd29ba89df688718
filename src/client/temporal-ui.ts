import type { TemporalTarget } from './connection';

/** The dev server serves its Web UI on this port beside the frontend. */
const DEV_SERVER_UI_PORT = 8233;

/**
 * A rollout's page in the Temporal Web UI: FLEETCMD_TEMPORAL_UI when set (a
 * real cluster's UI lives anywhere), otherwise the dev server's UI on the
 * frontend's host.
 */
export function temporalUiUrl(target: TemporalTarget, env: NodeJS.ProcessEnv, workflowId: string): string {
  const configured = env.FLEETCMD_TEMPORAL_UI?.trim().replace(/\/+$/, '');
  const base = configured || `http://${hostOf(target.address)}:${DEV_SERVER_UI_PORT}`;
  return `${base}/namespaces/${encodeURIComponent(target.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** `host:port`, `[v6]:port` or a bare host. */
function hostOf(address: string): string {
  const bracketed = /^(\[[^\]]+\])(?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1];
  const parts = address.split(':');
  if (parts.length === 2) return parts[0] || '127.0.0.1';
  if (parts.length > 2) return `[${address}]`; // a bare IPv6 address
  return address || '127.0.0.1';
}
