/** The closed set of failures the services report to callers, each with its HTTP status. */
export const ERROR_STATUS = {
  invalid_input: 400,
  invalid_json: 400,
  invalid_token: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';

  readonly code: ErrorCode;
  readonly issues: ErrorIssue[] | undefined;
  /** For `rate_limited`: seconds until the client may try again (the Retry-After header). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    issues?: ErrorIssue[],
    options?: { retryAfterSeconds?: number },
  ) {
    super(message);
    this.code = code;
    this.issues = issues;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}
