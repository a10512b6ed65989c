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
  const at = new Date(now + backoff * (0.75 + Math.random() * 0.5));
  return withinRetryBudget(at, queuedAt, retryHours) ? at : undefined;
}

/** Whether a try at `at` still falls within `retryHours` of when the message was queued. */
export function withinRetryBudget(at: Date, queuedAt: Date, retryHours: number): boolean {
  return at.getTime() <= queuedAt.getTime() + retryHours * 3_600_000;
}
