import { randomUUID } from 'node:crypto';
import type { InstanceViewStatus } from './agent';
import { operationTime } from './time-format';
import type { ArmErrorBody, OperationStatus } from './types';

/**
 * ARM's async operations (`.../locations/{l}/operations/{id}`): what the
 * Azure-AsyncOperation and Location headers point at. Completed ones are kept
 * (a worker may poll again after a restart) up to a cap, oldest first out.
 */

export type OperationKind = 'runCommand' | 'delete' | 'action';

export interface Operation {
  id: string;
  /** The opaque `p` query parameter Compute adds to operation URLs. */
  p: string;
  kind: OperationKind;
  subscriptionId: string;
  location: string;
  /** The VM the operation is about: its GetOperation bucket. */
  vmKey: string;
  startTime: string;
  endTime?: string;
  status: OperationStatus;
  error?: ArmErrorBody;
  /** The action Run Command's RunCommandResult.value. */
  result?: InstanceViewStatus[];
}

const MAX_OPERATIONS = 100_000;

export class OperationRegistry {
  private readonly operations = new Map<string, Operation>();

  constructor(private readonly onChange: () => void = () => undefined) {}

  create(kind: OperationKind, subscriptionId: string, location: string, vmKey: string): Operation {
    const op: Operation = {
      id: randomUUID(),
      p: randomUUID(),
      kind,
      subscriptionId,
      location,
      vmKey,
      startTime: operationTime(Date.now()),
      status: 'InProgress',
    };
    this.operations.set(op.id, op);
    if (this.operations.size > MAX_OPERATIONS) this.evict();
    this.onChange();
    return op;
  }

  get(id: string): Operation | undefined {
    return this.operations.get(id.toLowerCase());
  }

  complete(id: string, status: Exclude<OperationStatus, 'InProgress'>, extra: { error?: ArmErrorBody; result?: InstanceViewStatus[] } = {}): void {
    const op = this.operations.get(id);
    if (!op || op.status !== 'InProgress') return;
    op.status = status;
    op.endTime = operationTime(Date.now());
    if (extra.error) op.error = extra.error;
    if (extra.result) op.result = extra.result;
    this.onChange();
  }

  private evict(): void {
    for (const [id, op] of this.operations) {
      if (this.operations.size <= MAX_OPERATIONS * 0.9) break;
      if (op.status !== 'InProgress') this.operations.delete(id);
    }
  }

  /** The operation-status resource, in the recordings' key order. */
  static statusBody(op: Operation): Record<string, unknown> {
    const body: Record<string, unknown> = { startTime: op.startTime };
    if (op.endTime) body.endTime = op.endTime;
    body.status = op.status;
    if (op.result && op.status === 'Succeeded') body.properties = { output: { value: op.result } };
    if (op.error) body.error = op.error;
    body.name = op.id;
    return body;
  }

  snapshot(): Operation[] {
    return [...this.operations.values()];
  }

  restore(operations: Operation[]): void {
    this.operations.clear();
    for (const op of operations) this.operations.set(op.id, op);
  }

  inProgress(): Operation[] {
    return [...this.operations.values()].filter((op) => op.status === 'InProgress');
  }

  clear(): void {
    this.operations.clear();
  }
}
