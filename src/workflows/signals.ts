import { defineSignal } from '@temporalio/workflow';
import type { TargetDone } from '../runbook/rollout';

/** A target's report to its rollout: sent by workflow id, so it reaches the rollout's latest run after continue-as-new. */
export const targetDoneSignal = defineSignal<[TargetDone]>('targetDone');
