/** The first retry of a temporary failure waits about this long; each next one twice as long. */
const FIRST_RETRY_MS = 30_000;
const LONGEST_WAIT_MS = 60 * 60_000;

/**
 * When to try a temporarily refused message again after its `attempt`-th try: exponential
 * backoff with ±25 % jitter (so a throttled batch does not come back as one burst), within
 * `retryHours` of when it was queued. Undefined once that budget is spent: the delivery fails.
 */
export function retryTime(
  attempt: number,
  queuedAt: Date,
  retryHours: number,
  now = Date.now(),
): Date | undefined {
  const backoff = Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1), LONGEST_WAIT_MS);
  const at = now + backoff * (0.75 + Math.random() * 0.5);
  return at <= queuedAt.getTime() + retryHours * 3_600_000 ? new Date(at) : undefined;
}
