import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Counts the ARM requests the in-process emulator answered, by status, and
 * those it answered with a connection reset — which its own counters do not
 * see, since a reset request gets no status. It listens on Node's
 * `http.server.request.start` channel, so the emulator is observed, not
 * changed. Each request is filed under the fault phase in force when it
 * arrived.
 */
export type FaultPhase = 'before' | 'after';

export interface ArmTraffic {
  requests: number;
  byStatus: Record<string, number>;
  resets: Record<FaultPhase, number>;
  /** 5xx answers by the phase they were injected in. */
  serverErrors: Record<FaultPhase, Record<string, number>>;
}

export class ArmTrafficCounter {
  private readonly traffic: ArmTraffic = { requests: 0, byStatus: {}, resets: { before: 0, after: 0 }, serverErrors: { before: {}, after: {} } };
  private readonly listener = (message: unknown): void => this.onRequest(message as { request: IncomingMessage; response: ServerResponse });
  phase: FaultPhase = 'before';

  constructor(private readonly port: number) {
    subscribe('http.server.request.start', this.listener);
  }

  stop(): void {
    unsubscribe('http.server.request.start', this.listener);
  }

  snapshot(): ArmTraffic {
    return structuredClone(this.traffic);
  }

  private onRequest({ request, response }: { request: IncomingMessage; response: ServerResponse }): void {
    if (request.socket.localPort !== this.port || (request.url ?? '').startsWith('/admin')) return;
    const phase = this.phase;
    this.traffic.requests += 1;
    response.once('close', () => {
      if (!response.writableFinished) {
        this.traffic.resets[phase] += 1;
        return;
      }
      const status = String(response.statusCode);
      this.traffic.byStatus[status] = (this.traffic.byStatus[status] ?? 0) + 1;
      if (response.statusCode >= 500) this.traffic.serverErrors[phase][status] = (this.traffic.serverErrors[phase][status] ?? 0) + 1;
    });
  }
}
