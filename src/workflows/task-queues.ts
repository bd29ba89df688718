/** ARM writes run on a task queue of their own, whose activity rate the Temporal server limits for all workers together. */
export function armWritesTaskQueue(taskQueue: string): string {
  return `${taskQueue}-arm-writes`;
}
