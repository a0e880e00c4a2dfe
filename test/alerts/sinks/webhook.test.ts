/**
 * The webhook sink and the outbox against a real HTTP server on 127.0.0.1.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverOutbox, deliveries, enqueueAlerts, outboxEntries, requeueParked } from '../../../src/alerts/sinks/outbox.js';
import { DeliveryError } from '../../../src/alerts/sinks/types.js';
import { describeWebhook, retryAfterMs, WebhookSink } from '../../../src/alerts/sinks/webhook.js';
import { openDuckDbStore, type DuckDbStore } from '../../../src/store/duckdb.js';
import { useTempDir } from '../../helpers/tmp.js';
import { sampleAlert, startScriptedServer, type Reply, type ScriptedServer } from '../../watch/helpers.js';

const tempDir = useTempDir();
const servers: ScriptedServer[] = [];
const stores: DuckDbStore[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const store of stores.splice(0)) await store.close();
});

async function server(replies: readonly Reply[]): Promise<ScriptedServer> {
  const started = await startScriptedServer(replies);
  servers.push(started);
  return started;
}

async function store(): Promise<DuckDbStore> {
  const opened = await openDuckDbStore(join(tempDir(), 'outbox.duckdb'));
  stores.push(opened);
  return opened;
}

function webhook(url: string, options: { retries?: number; timeoutMs?: number; sleeps?: number[]; headers?: Record<string, string> } = {}): WebhookSink {
  return new WebhookSink({
    name: 'soc',
    url,
    headers: options.headers ?? {},
    timeoutMs: options.timeoutMs ?? 5_000,
    retries: options.retries ?? 0,
    backoff: { baseMs: 100, maxMs: 1_000 },
    sleep: async (ms) => {
      options.sleeps?.push(ms);
    },
    random: () => 0.5,
  });
}

const HOUR = 3_600_000;
const T0 = new Date('2024-05-04T00:00:05Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

describe('webhook sink', () => {
  it('POSTs the alert JSON with Content-Type application/json and the alert id as Idempotency-Key', async () => {
    const receiver = await server([{ status: 204 }]);
    const alert = sampleAlert('a-1');
    await webhook(receiver.url, { headers: { Authorization: 'Bearer s3cret' } }).deliver(alert);
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['idempotency-key']).toBe('a-1');
    expect(request!.headers.authorization).toBe('Bearer s3cret');
    expect(JSON.parse(request!.body)).toEqual(alert);
  });

  it('retries 500s within one delivery with growing backoff, and succeeds once the receiver recovers', async () => {
    const receiver = await server([{ status: 500 }, { status: 500 }, { status: 200 }]);
    const sleeps: number[] = [];
    await webhook(receiver.url, { retries: 3, sleeps }).deliver(sampleAlert('a-2'));
    expect(receiver.requests).toHaveLength(3);
    // Equal jitter with random 0.5: 3/4 of base·2^(n−1) → 75 ms, then 150 ms.
    expect(sleeps).toEqual([75, 150]);
  });

  it('gives up after its retries with a transient error', async () => {
    const receiver = await server([{ status: 503, body: 'maintenance' }]);
    const error = await webhook(receiver.url, { retries: 2 }).deliver(sampleAlert('a-3')).catch((e: unknown) => e);
    expect(receiver.requests).toHaveLength(3);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).permanent).toBe(false);
    expect((error as DeliveryError).message).toContain('HTTP 503');
    expect((error as DeliveryError).message).toContain('maintenance');
  });

  it('treats 400 as permanent and does not retry it', async () => {
    const receiver = await server([{ status: 400, body: 'bad schema' }]);
    const error = (await webhook(receiver.url, { retries: 5 }).deliver(sampleAlert('a-4')).catch((e: unknown) => e)) as DeliveryError;
    expect(receiver.requests).toHaveLength(1);
    expect(error.permanent).toBe(true);
    expect(error.message).toMatch(/HTTP 400.*bad schema/);
  });

  it('treats 429 as transient and reads Retry-After', async () => {
    const receiver = await server([{ status: 429, headers: { 'retry-after': '7' } }]);
    const error = (await webhook(receiver.url).deliver(sampleAlert('a-5')).catch((e: unknown) => e)) as DeliveryError;
    expect(error.permanent).toBe(false);
    expect(error.retryAfterMs).toBe(7_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
  });

  it('leaves a long Retry-After to the outbox instead of sleeping through it', async () => {
    const receiver = await server([{ status: 503, headers: { 'retry-after': '120' } }]);
    const sleeps: number[] = [];
    const error = (await webhook(receiver.url, { retries: 3, sleeps }).deliver(sampleAlert('a-5b')).catch((e: unknown) => e)) as DeliveryError;
    expect(receiver.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(error.retryAfterMs).toBe(120_000);
  });

  it('does not follow redirects (a POST would become a GET): permanent', async () => {
    const receiver = await server([{ status: 302, headers: { location: '/elsewhere' } }]);
    const error = (await webhook(receiver.url).deliver(sampleAlert('a-6')).catch((e: unknown) => e)) as DeliveryError;
    expect(receiver.requests).toHaveLength(1);
    expect(error.permanent).toBe(true);
    expect(error.message).toContain('redirects are not followed');
  });

  it('times out a receiver that does not answer, as a transient error', async () => {
    const receiver = await server([{ status: 200, hang: true }]);
    const error = (await webhook(receiver.url, { timeoutMs: 200 }).deliver(sampleAlert('a-7')).catch((e: unknown) => e)) as DeliveryError;
    expect(error.permanent).toBe(false);
    expect(error.message).toContain('no response within 200 ms');
  });

  it('treats a refused connection as transient', async () => {
    const receiver = await server([{ status: 200 }]);
    const url = receiver.url;
    await receiver.close();
    servers.splice(0);
    const error = (await webhook(url).deliver(sampleAlert('a-8')).catch((e: unknown) => e)) as DeliveryError;
    expect(error.permanent).toBe(false);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('never shows header values or URL query strings in its description or errors', async () => {
    const receiver = await server([{ status: 500 }]);
    const url = `${receiver.url}?token=qwerty`;
    const sink = webhook(url, { headers: { Authorization: 'Bearer s3cret' } });
    expect(sink.description).not.toContain('s3cret');
    expect(sink.description).not.toContain('qwerty');
    expect(sink.description).toContain('Authorization: ***');
    const error = (await sink.deliver(sampleAlert('a-9')).catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain('qwerty');
    expect(describeWebhook('http://user:pw@127.0.0.1:1/x?k=v', {})).toBe('http://127.0.0.1:1/x?***');
  });
});

describe('outbox with a webhook', () => {
  it('keeps an alert the receiver refuses with 500 twice, and delivers it once when it recovers; the outbox empties', async () => {
    const db = await store();
    const receiver = await server([{ status: 500 }, { status: 500 }, { status: 200 }]);
    const sink = webhook(receiver.url);
    const alert = sampleAlert('b-1');
    await enqueueAlerts(db, [alert], [sink.name], T0);
    const backoff = () => ({ baseMs: HOUR / 2, maxMs: 4 * HOUR });
    const options = (now: Date) => ({ now, backoff, random: () => 1 });

    const first = await deliverOutbox(db, [sink], options(T0));
    expect(first.map((o) => o.kind)).toEqual(['retry']);
    const [pending] = await outboxEntries(db);
    expect(pending).toMatchObject({ sink: 'soc', alertId: 'b-1', state: 'pending', attempts: 1 });
    expect(pending!.lastError).toContain('HTTP 500');
    // Attempt 1 with random 1: the whole nominal base delay.
    expect(pending!.nextAttemptAt).toEqual(at(HOUR / 2));

    // Not due yet: nothing is sent.
    expect(await deliverOutbox(db, [sink], options(at(HOUR / 4)))).toEqual([]);
    expect(receiver.requests).toHaveLength(1);

    expect((await deliverOutbox(db, [sink], options(at(HOUR / 2)))).map((o) => o.kind)).toEqual(['retry']);
    expect((await outboxEntries(db))[0]!.nextAttemptAt).toEqual(at(HOUR / 2 + HOUR));
    expect((await deliverOutbox(db, [sink], options(at(2 * HOUR)))).map((o) => o.kind)).toEqual(['delivered']);
    expect(receiver.requests).toHaveLength(3);
    expect(await outboxEntries(db)).toEqual([]);
    expect(await deliveries(db)).toEqual([{ sink: 'soc', alertId: 'b-1', attempts: 3, deliveredAt: at(2 * HOUR) }]);

    // Acknowledged: later ticks send nothing, and queuing the same alert again is a no-op.
    await enqueueAlerts(db, [alert], [sink.name], at(3 * HOUR));
    expect(await outboxEntries(db)).toEqual([]);
    expect(await deliverOutbox(db, [sink], options(at(10 * HOUR)))).toEqual([]);
    expect(receiver.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it('parks an alert refused with 400: kept with its error, not retried on later ticks, re-queued by hand', async () => {
    const db = await store();
    const receiver = await server([{ status: 400, body: 'unknown field rows' }]);
    const sink = webhook(receiver.url);
    await enqueueAlerts(db, [sampleAlert('c-1'), sampleAlert('c-2', '10.9.9.9')], [sink.name], T0);

    const outcomes = await deliverOutbox(db, [sink], { now: T0 });
    // A permanent failure parks that alert only; the next one is still tried.
    expect(outcomes.map((o) => o.kind)).toEqual(['parked', 'parked']);
    const parked = await outboxEntries(db);
    expect(parked.map((e) => [e.alertId, e.state, e.attempts])).toEqual([
      ['c-1', 'parked', 1],
      ['c-2', 'parked', 1],
    ]);
    expect(parked[0]!.lastError).toContain('HTTP 400');
    expect(parked[0]!.lastError).toContain('unknown field rows');

    for (const hours of [1, 24, 24 * 30]) expect(await deliverOutbox(db, [sink], { now: at(hours * HOUR) })).toEqual([]);
    expect(receiver.requests).toHaveLength(2);

    receiver.setReplies([{ status: 200 }]);
    expect(await requeueParked(db, at(31 * 24 * HOUR))).toBe(2);
    const retried = await deliverOutbox(db, [sink], { now: at(31 * 24 * HOUR) });
    expect(retried.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
    expect(await outboxEntries(db)).toEqual([]);
    expect((await deliveries(db)).map((d) => [d.alertId, d.attempts])).toEqual([
      ['c-1', 2],
      ['c-2', 2],
    ]);
  });

  it('after a transient failure, keeps the rest of that sink queue for the next attempt (order kept)', async () => {
    const db = await store();
    const receiver = await server([{ status: 503 }]);
    const sink = webhook(receiver.url);
    await enqueueAlerts(db, [sampleAlert('d-1'), sampleAlert('d-2', '10.0.0.2')], [sink.name], T0);
    const outcomes = await deliverOutbox(db, [sink], { now: T0 });
    expect(outcomes.map((o) => [o.kind, o.entry.alertId])).toEqual([['retry', 'd-1']]);
    expect(receiver.requests).toHaveLength(1);
    receiver.setReplies([{ status: 200 }]);
    const later = await deliverOutbox(db, [sink], { now: at(2 * HOUR) });
    expect(later.map((o) => [o.kind, o.entry.alertId])).toEqual([
      ['delivered', 'd-1'],
      ['delivered', 'd-2'],
    ]);
    expect(receiver.requests.slice(1).map((r) => JSON.parse(r.body).alertId)).toEqual(['d-1', 'd-2']);
  });

  it('a receiver down for 10 minutes (simulated clock) loses nothing: every alert queued meanwhile is delivered once after', async () => {
    const db = await store();
    const receiver = await server([{ status: 503 }]);
    const sink = webhook(receiver.url);
    const TICK = 15_000;
    const DOWN = 10 * 60_000;
    const queued: string[] = [];
    let now = T0;
    // Two alerts per tick while the receiver answers 503; each tick tries what is due (the queue's head).
    for (let t = 0; t < DOWN; t += TICK) {
      now = at(t);
      const alerts = [sampleAlert(`down-${t}-a`, `10.1.${t / TICK}.1`), sampleAlert(`down-${t}-b`, `10.1.${t / TICK}.2`)];
      queued.push(...alerts.map((alert) => alert.alertId));
      await enqueueAlerts(db, alerts, [sink.name], now);
      const outcomes = await deliverOutbox(db, [sink], { now });
      expect(outcomes.every((outcome) => outcome.kind === 'retry')).toBe(true);
    }
    expect(await outboxEntries(db)).toHaveLength(queued.length);
    expect((await outboxEntries(db)).every((entry) => entry.state === 'pending')).toBe(true);

    // Back up: ticks go on (the clock runs, no alert is sent before its backoff is over) until the outbox drains.
    const triedWhileDown = receiver.requests.length;
    expect(triedWhileDown, 'the backoff spaces the tries: not one per tick').toBeLessThan(DOWN / TICK / 2);
    receiver.setReplies([{ status: 200 }]);
    for (let t = DOWN; (await outboxEntries(db)).length > 0; t += TICK) {
      expect(t, 'the outbox drains within a day of simulated time').toBeLessThan(24 * HOUR);
      await deliverOutbox(db, [sink], { now: at(t) });
    }
    const delivered = receiver.requests.slice(triedWhileDown).map((request) => JSON.parse(request.body).alertId as string);
    expect(delivered).toEqual(queued); // every alert once, in the order queued
    expect((await deliveries(db)).map((d) => d.alertId).sort()).toEqual([...queued].sort());
  });
});
