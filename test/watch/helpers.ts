/**
 * Test helpers for the watch loop and the sinks: a clock the test moves by hand, a real HTTP server on 127.0.0.1
 * that answers from a script, and an alert as the rule engine produces it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '../../src/alerts/types.js';
import type { Clock } from '../../src/watch/clock.js';

export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  private current: number;

  constructor(start: string | Date) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(time: string | Date): void {
    this.current = new Date(time).getTime();
  }

  advance(ms: number): void {
    this.current += ms;
  }

  /** Sleeping moves the clock: the loop under test never waits in real time. */
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
  }
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Never answer (for timeouts). */
  readonly hang?: boolean;
}

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver: answers the n-th request with replies[n] (the last reply repeats). */
export interface ScriptedServer {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  setReplies(replies: readonly Reply[]): void;
  close(): Promise<void>;
}

export async function startScriptedServer(replies: readonly Reply[]): Promise<ScriptedServer> {
  let script = [...replies];
  let answered = 0;
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = script[Math.min(answered, script.length - 1)] ?? { status: 200 };
      answered++;
      if (reply.hang) return;
      response.writeHead(reply.status, reply.headers ?? {});
      response.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    requests,
    setReplies(next) {
      script = [...next];
      answered = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sampleAlert(id: string, address = '10.1.2.3'): Alert {
  return {
    alertId: id,
    ruleId: '8717e498-7b5d-4e23-9e7c-fa4913dbfd79',
    ruleName: 'Anomaly in SMB Traffic(ASIM Network Session schema)',
    ruleVersion: '1.0.0',
    parameters: {},
    severity: 'Medium',
    tactics: ['LateralMovement'],
    techniques: ['T1021', 'T1021.002'],
    displayName: 'Anomaly in SMB Traffic(ASIM Network Session schema)',
    description: 'test alert',
    queryStartTime: '2024-04-20T00:00:00.000Z',
    queryEndTime: '2024-05-04T00:00:00.000Z',
    aggregationKind: 'AlertPerResult',
    entities: [{ type: 'ip', address }],
    customDetails: {},
    rows: [{ SrcIpAddr: address, DstPortNumber: 445, Deviation: 61.5, Count: 250 }],
  };
}
