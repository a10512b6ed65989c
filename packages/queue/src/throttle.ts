import type { RedisConnection } from './queues.ts';

export interface ThrottleLimits {
  /** Messages per second across every worker; unlimited when undefined. */
  sendRate?: number;
  /** Messages per second per recipient domain, across every worker. */
  domainRates: Record<string, number>;
}

/**
 * Reserves the next slot of a rate shared by every process (GCRA: the key holds the time the next
 * message may go) and returns how long this caller waits for it. Redis's clock is the only clock.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local interval = tonumber(ARGV[1])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
if next < now then next = now end
redis.call('SET', KEYS[1], next + interval, 'PX', math.ceil(next + interval - now) + 1000)
return next - now
`;

/** A throttled domain waits 1 min, then twice as long each time it throttles again within the hour. */
const FIRST_BACKOFF_MS = 60_000;
const LONGEST_BACKOFF_MS = 30 * 60_000;

/**
 * Throughput control shared by all workers through Redis: SEND_RATE and DOMAIN_RATES, and the
 * automatic back-off of a domain that answers with throttling. Transactional mail does not pass
 * through here. Keys live under the queue prefix, so a hash-tagged prefix keeps them on one slot.
 */
export class SendThrottle {
  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly limits: ThrottleLimits;

  constructor(redis: RedisConnection, prefix: string, limits: ThrottleLimits) {
    this.redis = redis;
    this.prefix = prefix;
    this.limits = limits;
  }

  /** Waits until one more message to `domain` fits under every configured rate. */
  async acquire(domain: string): Promise<void> {
    const waits: Promise<number>[] = [];
    if (this.limits.sendRate) waits.push(this.reserve('rate:all', this.limits.sendRate));
    const domainRate = this.limits.domainRates[domain];
    if (domainRate) waits.push(this.reserve(`rate:domain:${domain}`, domainRate));
    if (waits.length === 0) return;
    const wait = Math.max(...(await Promise.all(waits)));
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** The domains among `domains` that are backing off, with when they may be tried again. */
  async blockedDomains(domains: Iterable<string>): Promise<Map<string, Date>> {
    const list = [...new Set(domains)];
    const blocked = new Map<string, Date>();
    if (list.length === 0) return blocked;
    const until = await this.redis.mget(list.map((domain) => this.key(`backoff:${domain}`)));
    list.forEach((domain, index) => {
      const at = Number(until[index]);
      if (at > Date.now()) blocked.set(domain, new Date(at));
    });
    return blocked;
  }

  /**
   * `domain` answered with throttling: every worker leaves it alone for a while; returns until
   * when. Many sends refused at once count as one strike: a back-off already running is kept.
   */
  async backOff(domain: string): Promise<Date> {
    const running = Number(await this.redis.get(this.key(`backoff:${domain}`)));
    if (running > Date.now()) return new Date(running);
    const strikes = this.key(`backoff-strikes:${domain}`);
    const count = await this.redis.incr(strikes);
    await this.redis.pexpire(strikes, 3_600_000);
    const ms = Math.min(FIRST_BACKOFF_MS * 2 ** (count - 1), LONGEST_BACKOFF_MS);
    const until = Date.now() + ms;
    await this.redis.set(this.key(`backoff:${domain}`), String(until), 'PX', ms);
    return new Date(until);
  }

  private async reserve(name: string, perSecond: number): Promise<number> {
    const wait = await this.redis.eval(RESERVE, 1, this.key(name), String(1000 / perSecond));
    return Number(wait);
  }

  private key(name: string): string {
    return `${this.prefix}:throttle:${name}`;
  }
}
