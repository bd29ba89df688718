// The workflow bundle's entry: every workflow type fleetcmd registers.
export { target } from './target';
export { rollout } from './rollout';
