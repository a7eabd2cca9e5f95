/**
 * A broadcast over Redis pub/sub that the sender can wait for: every
 * process that listens holds a lease (a key with a 1 s life, renewed every
 * 0.4 s while its subscription is up), and publish() resolves once every
 * lease holder acknowledged the message (each acknowledges after its
 * listener ran) or at the deadline the caller gives.
 *
 * What a listener may conclude: while leaseHeldSince() is a time t (its
 * lease was held without a gap since t, and its subscription is up), every
 * publish() that read the lease holders after t and has resolved without
 * timing out had its message delivered to this process's listener first.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { log } from '../log/logger.js';

export const LEASE_MS = 1000;
export const LEASE_RENEW_MS = 400;

/** Sets this process's lease key and records its id among the holders (one round trip). */
const RENEW_SCRIPT = `redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return 1`;
/** The ids whose lease key still exists (dropping the others from the set). */
const HOLDERS_SCRIPT = `local live = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then live[#live + 1] = id else redis.call('SREM', KEYS[1], id) end
end
return live`;

type LeaseRedis = Redis & {
  ksLeaseRenew(setKey: string, leaseKey: string, id: string, ttlMs: number): Promise<number>;
  ksLeaseHolders(setKey: string, leasePrefix: string): Promise<string[]>;
};

const now = (): number => performance.now();

export class RedisBroadcast {
  readonly id = randomBytes(9).toString('base64url');
  private subscriber: Redis | null = null;
  private subscribedAt: number | null = null;
  private subscribing: Promise<void> | null = null;
  private readonly listeners: (() => void)[] = [];
  private readonly lossListeners: (() => void)[] = [];
  private leaseTimer: NodeJS.Timeout | null = null;
  private leaseUntil = -Infinity;
  private leaseFrom = Infinity;
  private sequence = 0;
  private readonly waiting = new Map<number, { pending: Set<string>; done: () => void }>();
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {
    const c = client as LeaseRedis;
    if (typeof c.ksLeaseRenew !== 'function') {
      client.defineCommand('ksLeaseRenew', { numberOfKeys: 2, lua: RENEW_SCRIPT });
      client.defineCommand('ksLeaseHolders', { numberOfKeys: 1, lua: HOLDERS_SCRIPT });
    }
  }

  private get channel(): string {
    return `${this.prefix}broadcast`;
  }
  private ackChannel(id: string): string {
    return `${this.prefix}broadcast-ack:${id}`;
  }
  private get holdersKey(): string {
    return `${this.prefix}broadcast-holders`;
  }
  private get leasePrefix(): string {
    return `${this.prefix}broadcast-lease:`;
  }

  /** Runs synchronously on every message, before it is acknowledged. */
  onMessage(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Runs when the subscription or the lease is lost (messages may have been missed). */
  onLoss(listener: () => void): void {
    this.lossListeners.push(listener);
  }

  private fireLoss(): void {
    for (const f of this.lossListeners) f();
  }

  private unsubscribed(): void {
    if (this.subscribedAt === null) return;
    this.subscribedAt = null;
    if (this.leaseFrom !== Infinity) {
      this.leaseFrom = Infinity;
      // so that senders need not wait for an acknowledgement that cannot come
      this.client.del(this.leasePrefix + this.id).catch(() => undefined);
    }
    this.fireLoss();
  }

  /** Subscribes (once; again after every reconnection); resolves when the subscription is up. */
  start(): Promise<void> {
    if (this.subscribing) return this.subscribing;
    const sub = this.client.duplicate({ autoResubscribe: false, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = sub;
    sub.on('error', () => undefined);
    sub.on('close', () => {
      this.unsubscribed();
    });
    sub.on('message', (channel: string, message: string) => {
      this.received(channel, message);
    });
    const subscribe = (): Promise<void> =>
      sub.subscribe(this.channel, this.ackChannel(this.id)).then(() => {
        if (!this.closed) this.subscribedAt = now();
      });
    sub.on('ready', () => {
      if (this.subscribedAt === null && !this.closed) subscribe().catch(() => undefined);
    });
    this.subscribing = new Promise<void>((resolve) => {
      const check = () => {
        if (this.subscribedAt !== null || this.closed) resolve();
        else setTimeout(check, 20).unref();
      };
      check();
    });
    return this.subscribing;
  }

  private received(channel: string, message: string): void {
    if (channel === this.channel) {
      for (const f of this.listeners) f();
      const space = message.indexOf(' ');
      const from = message.slice(0, space);
      // acknowledged after the listeners ran; a failed ack only makes the sender wait until its deadline
      this.client.publish(this.ackChannel(from), `${message.slice(space + 1)} ${this.id}`).catch(() => undefined);
      return;
    }
    const [sequence, holder] = message.split(' ');
    const waiter = this.waiting.get(Number(sequence));
    if (!waiter) return;
    waiter.pending.delete(holder);
    if (waiter.pending.size === 0) waiter.done();
  }

  /** Starts holding a lease (and the subscription it stands for). */
  holdLease(): void {
    if (this.leaseTimer || this.closed) return;
    void this.start();
    const renew = () => {
      if (this.subscribedAt === null) return;
      const startedAt = now();
      const subscribedAt = this.subscribedAt;
      (this.client as LeaseRedis).ksLeaseRenew(this.holdersKey, this.leasePrefix + this.id, this.id, LEASE_MS).then(
        () => {
          const end = now();
          if (this.subscribedAt !== subscribedAt || this.closed) return;
          // The key may have been missing between the old lease's end and this renewal's arrival:
          // the lease counts from now on (and listeners hear that messages may have been missed).
          if (end >= this.leaseUntil || this.leaseFrom === Infinity) {
            if (this.leaseFrom !== Infinity) this.fireLoss();
            this.leaseFrom = end;
          }
          this.leaseUntil = startedAt + LEASE_MS;
        },
        () => undefined,
      );
    };
    this.leaseTimer = setInterval(renew, LEASE_RENEW_MS);
    this.leaseTimer.unref();
    void this.start().then(renew);
  }

  /**
   * Since when this process has held its lease without a gap, with its subscription up (so every
   * message whose sender read the holders after that time reaches its listeners before the sender
   * resolves); null when it holds no lease now.
   */
  leaseHeldSince(): number | null {
    if (this.subscribedAt === null || this.leaseFrom === Infinity) return null;
    if (!(now() < this.leaseUntil)) return null;
    return Math.max(this.leaseFrom, this.subscribedAt);
  }

  /**
   * Publishes a message and resolves once every other lease holder acknowledged it (true), or at
   * `deadline` (performance.now() ms) otherwise (false).
   */
  async publish(deadline: number): Promise<boolean> {
    const sequence = ++this.sequence;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.start(), new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - now()))))]);
      clearTimeout(timer);
      if (this.subscribedAt === null) throw new Error('not subscribed');
      const holders = await (this.client as LeaseRedis).ksLeaseHolders(this.holdersKey, this.leasePrefix);
      const pending = new Set(holders.filter((h) => h !== this.id));
      let done!: () => void;
      const acknowledged = new Promise<void>((resolve) => (done = resolve));
      this.waiting.set(sequence, { pending, done });
      await this.client.publish(this.channel, `${this.id} ${String(sequence)}`);
      if (pending.size === 0) return true;
      const acknowledgedInTime = await Promise.race([
        acknowledged.then(() => true),
        new Promise<boolean>((r) => {
          timer = setTimeout(
            () => {
              r(false);
            },
            Math.max(0, deadline - now()),
          );
        }),
      ]);
      clearTimeout(timer);
      if (!acknowledgedInTime) log.debug(`cache: ${String(pending.size)} lease holder(s) did not acknowledge an invalidation in time`);
      return acknowledgedInTime;
    } catch {
      clearTimeout(timer);
      const rest = deadline - now();
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      return false;
    } finally {
      this.waiting.delete(sequence);
    }
  }

  close(): void {
    this.closed = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.leaseTimer = null;
    if (this.leaseFrom !== Infinity) this.client.del(this.leasePrefix + this.id).catch(() => undefined);
    this.subscribedAt = null;
    this.leaseFrom = Infinity;
    this.subscriber?.disconnect();
    this.subscriber = null;
  }
}
