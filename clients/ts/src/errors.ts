// Every refusal of the API is a BallastError carrying the HTTP status and the
// error code the route documents (src/api/openapi.json).

/** The codes the API answers with; a newer server may add others. */
export type ErrorCode =
  // any route
  | "not_found"
  | "method_not_allowed"
  | "bad_request"
  | "too_large"
  | "rate_limited"
  | "too_many_connections"
  | "overloaded"
  | "journal_failed"
  | "shutting_down"
  | "internal_error"
  // requests
  | "invalid_input"
  | "unauthorized"
  | "forbidden"
  | "bad_signature"
  | "wrong_signer"
  | "request_expired"
  | "expiry_too_far"
  | "nonce_reused"
  | "nonce_too_old"
  | "idempotency_conflict"
  // the exchange's rules
  | "unknown_pair"
  | "order_not_found"
  | "not_your_order"
  | "no_oracle_price"
  | "nothing_to_do"
  | "insufficient_margin"
  | "insufficient_available_margin"
  | "vault_insolvent"
  | "too_few_shares"
  | "insufficient_shares"
  | "vault_insufficient_balance"
  | "market_paused"
  | "market_reduce_only"
  | "stale_oracle"
  | "price_out_of_band"
  | "order_too_small"
  | "overflow"
  | (string & {});

export class BallastError extends Error {
  override readonly name = "BallastError";

  constructor(
    /** The HTTP status: 400, 401, 403, 404, 409, 413, 422, 429, 500 or 503. */
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** The journal sequence number when the exchange refused a journaled command (its nonce is spent). */
    readonly seq: number | undefined,
    /** The reply body as received. */
    readonly body: string,
    /** "METHOD /path" of the request. */
    readonly route: string,
  ) {
    super(`${route}: ${status} ${code}: ${message}`);
  }

  /** Worth retrying the same request later (after Retry-After: 1 s). */
  get retryable(): boolean {
    return this.status === 429 || this.status === 503;
  }
}
