import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { formatTable } from './table';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Where one target's time went: its history's events with the milliseconds
 * since the first, activity names and attempts — the gaps between them are
 * the orchestration's own cost.
 */
export async function targetTimeline(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const at = (e: HistoryEvent): number => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  const t0 = events[0] ? at(events[0]) : 0;
  const names = new Map<number, string>();
  const rows = events.map((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(Number(e.eventId), scheduled.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    const completed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    const activity = scheduled?.activityType?.name ?? names.get(Number(started?.scheduledEventId ?? completed?.scheduledEventId ?? -1)) ?? '';
    return [String(at(e) - t0), eventName(e.eventType), activity, started ? `attempt ${started.attempt}` : ''];
  });
  return formatTable(`timeline of ${workflowId}`, ['ms', 'event', 'activity', ''], rows);
}

function eventName(type: temporal.api.enums.v1.EventType | null | undefined): string {
  const name = temporal.api.enums.v1.EventType[type ?? 0] ?? String(type);
  return name.replace(/^EVENT_TYPE_/, '').toLowerCase();
}
