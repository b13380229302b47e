// The replies of the REST API, as src/api/openapi.json documents them.
// Amounts are strings of base units, decimals are strings, ids are strings;
// seq, times (ms since the epoch) and the figures of GET /v1/info are numbers.
// A figure the exchange cannot compute in range is null.
import type { Address } from "viem/accounts";
import type { Eip712Domain, PrimaryType } from "./eip712.js";

/** A decimal as a string, e.g. "100.5". */
export type Decimal = string;
/** A whole number of base units of the settlement asset, as a string. */
export type BaseUnits = string;
/** A signed whole number of base units, as a string. */
export type SignedBaseUnits = string;
/** An order, vault request or withdrawal id: a string of digits. */
export type Id = string;
/** Milliseconds since the Unix epoch. */
export type TimeMs = number;

export type MarketStatus = "active" | "reduce_only" | "paused";

// ---- Events ------------------------------------------------------------------

export interface FillEvent {
  type: "fill";
  user: string;
  pair: string;
  /** null for the fills of a liquidation or auto-deleveraging. */
  order_id: Id | null;
  size: Decimal;
  price: Decimal;
  realized_pnl: SignedBaseUnits;
  fee: BaseUnits;
  funding: SignedBaseUnits;
}
export interface FundingSettledEvent {
  type: "funding_settled";
  user: string;
  pair: string;
  amount: SignedBaseUnits;
}
export interface ForceCloseEvent {
  type: "liquidation" | "adl";
  user: string;
  net_pnl: SignedBaseUnits;
  /** Liquidations only. */
  fee?: BaseUnits;
  bad_debt: BaseUnits;
}
export interface OrderRestedEvent {
  type: "order_rested";
  user: string;
  pair: string;
  order_id: Id;
  size: Decimal;
  limit_price: Decimal;
  reduce_only: boolean;
  reserved_margin: BaseUnits;
  created_at: TimeMs;
}
export interface OrderUpdatedEvent {
  type: "order_updated";
  user: string;
  pair: string;
  order_id: Id;
  size: Decimal;
  reserved_margin: BaseUnits;
}
export type CancelReason = "by_owner" | "liquidation" | "adl" | "insufficient_margin";
export interface OrderCanceledEvent {
  type: "order_canceled";
  user: string;
  pair: string;
  order_id: Id;
  size: Decimal;
  released_margin: BaseUnits;
  reason: CancelReason;
}
export type UnfilledReason = "max_oi" | "price" | "reduce_only" | "max_open_orders";
export interface UnfilledEvent {
  type: "unfilled";
  user: string;
  pair: string;
  order_id: Id;
  size: Decimal;
  reason: UnfilledReason;
}
export interface LiquidityDepositedEvent {
  type: "liquidity_deposited";
  user: string;
  request_id: Id;
  amount: BaseUnits;
  shares: BaseUnits;
}
export interface DepositRefundedEvent {
  type: "deposit_refunded";
  user: string;
  request_id: Id;
  amount: BaseUnits;
  reason: "vault_insolvent" | "too_few_shares" | "too_large";
}
export interface UnlockPricedEvent {
  type: "unlock_priced";
  user: string;
  request_id: Id;
  shares: BaseUnits;
  amount: BaseUnits;
  end_time: TimeMs;
}
export interface UnlockCanceledEvent {
  type: "unlock_canceled";
  user: string;
  request_id: Id;
  shares: BaseUnits;
}
export interface LiquidityReleasedEvent {
  type: "liquidity_released";
  user: string;
  request_id: Id;
  shares: BaseUnits;
  amount: BaseUnits;
  value_at_request: BaseUnits;
  end_time: TimeMs;
}
export interface VaultFundedEvent {
  type: "vault_funded";
  /** The account it came from; absent when it came from the treasury. */
  user?: string;
  from?: "treasury";
  amount: BaseUnits;
}
export interface VaultShortfallEvent {
  type: "vault_shortfall";
  user: string;
  pair?: string;
  order_id?: Id | null;
  amount: BaseUnits;
}
export interface BadDebtEvent {
  type: "bad_debt";
  user: string;
  pair?: string;
  order_id?: Id | null;
  amount: BaseUnits;
}
export type ExchangeEvent =
  | FillEvent
  | FundingSettledEvent
  | ForceCloseEvent
  | OrderRestedEvent
  | OrderUpdatedEvent
  | OrderCanceledEvent
  | UnfilledEvent
  | LiquidityDepositedEvent
  | DepositRefundedEvent
  | UnlockPricedEvent
  | UnlockCanceledEvent
  | LiquidityReleasedEvent
  | VaultFundedEvent
  | VaultShortfallEvent
  | BadDebtEvent;

// ---- Writes --------------------------------------------------------------------

export interface CommandResult {
  ok: true;
  events: ExchangeEvent[];
}
export interface OrderResult extends CommandResult {
  order_id: Id;
  filled: Decimal;
  /** Present when something filled. */
  exec_price?: Decimal;
  rested: Decimal;
}
export interface VaultDepositResult extends CommandResult {
  request_id: Id;
  /** null while pending (priced by the next oracle update that reprices every pair with open interest). */
  shares_minted: BaseUnits | null;
  pending: boolean;
}
export interface VaultUnlockResult extends CommandResult {
  request_id: Id;
  shares: BaseUnits;
  end_time: TimeMs;
  /** The most the release pays; null until priced. */
  amount: BaseUnits | null;
}
/** A write's reply: its journal sequence number and the engine's result. */
export interface WriteReply<R extends CommandResult = CommandResult> {
  seq: number;
  result: R;
}
export type OrderReply = WriteReply<OrderResult>;
export type VaultDepositReply = WriteReply<VaultDepositResult>;
export type VaultUnlockReply = WriteReply<VaultUnlockResult>;
export interface CancelAllReply {
  canceled: Id[];
  seq: number;
}

// ---- Reads ---------------------------------------------------------------------

export interface OrderView {
  order_id: Id;
  /** In a market's book only. */
  user?: string;
  pair: string;
  size: Decimal;
  limit_price: Decimal;
  reduce_only: boolean;
  reserved_margin: BaseUnits;
  created_at: TimeMs;
}
export interface Position {
  size: Decimal;
  cost_basis: BaseUnits;
  entry_funding_per_unit: Decimal;
  unrealized_pnl: Decimal | null;
  accrued_funding: Decimal | null;
  liquidation_price: Decimal | null;
}
export interface Account {
  margin: BaseUnits;
  reserved_margin: BaseUnits;
  used_margin: BaseUnits | null;
  available_margin: BaseUnits | null;
  vault_shares: BaseUnits;
  equity: Decimal | null;
  maintenance_margin: BaseUnits | null;
  unrealized_pnl: Decimal | null;
  accrued_funding: Decimal | null;
  unlocks: { request_id: Id; shares: BaseUnits; amount: BaseUnits | null; end_time: TimeMs }[];
  pending_deposits: { request_id: Id; amount: BaseUnits }[];
  positions: Record<string, Position>;
  open_orders: OrderView[];
}
export interface PositionsReply {
  trader: Address;
  equity: Decimal | null;
  unrealized_pnl: Decimal | null;
  accrued_funding: Decimal | null;
  positions: Record<string, Position>;
}
export interface OrdersPage {
  trader: Address;
  orders: OrderView[];
  /** Pass as `after` for the next page; null on the last. */
  next_after: Id | null;
}
export interface MarketSummary {
  pair: string;
  status: MarketStatus;
  oracle_price: Decimal | null;
  long_oi: Decimal;
  short_oi: Decimal;
}
export interface MarketsReply {
  markets: MarketSummary[];
}
export interface PairParameters {
  skew_scale: Decimal;
  max_abs_premium: Decimal;
  max_abs_oi: Decimal;
  initial_margin_ratio: Decimal;
  maintenance_margin_ratio: Decimal;
  liquidation_fee_rate: Decimal;
  maker_fee_rate: Decimal;
  taker_fee_rate: Decimal;
  max_funding_velocity: Decimal;
  max_abs_funding_rate: Decimal;
  max_limit_price_deviation: Decimal;
  min_order_notional: Decimal;
}
export interface Market extends PairParameters {
  oracle_price: Decimal | null;
  long_oi: Decimal;
  short_oi: Decimal;
  skew: Decimal;
  marginal_price: Decimal | null;
  oi_weighted_entry_price: SignedBaseUnits;
  funding_rate: Decimal | null;
  cumulative_funding_per_unit: Decimal | null;
  status: MarketStatus;
  bids: OrderView[];
  asks: OrderView[];
}
export interface MarketReply {
  pair: string;
  market: Market;
  /** With a size only. exec_price is null without a price, for size 0, or out of range. */
  quote?: { size: Decimal; exec_price: Decimal | null };
}
export interface Vault {
  balance: BaseUnits;
  share_supply: BaseUnits;
  unrealized_pnl: Decimal | null;
  unrealized_funding: Decimal | null;
  uncollectable: Decimal;
  equity: Decimal | null;
  treasury: BaseUnits;
  pending_deposits: BaseUnits;
  backs_positions: boolean;
}
export interface Withdrawal {
  id: Id;
  trader: Address;
  amount: BaseUnits;
  time: TimeMs;
}
export interface WithdrawalsPage {
  withdrawals: Withdrawal[];
  /** The last id returned (or `after` when none): pass it as `after` to poll. */
  next_after: Id;
}
export interface Status {
  seq: number;
  time: TimeMs;
  state_hash: string;
}
export interface RateLimit {
  per_second: number;
  burst: number;
}
export interface Info {
  domain: Eip712Domain & { chainId: number };
  types: Record<PrimaryType, { name: string; type: "address" | "string" | "bool" | "uint64" }[]>;
  settlement: { asset: string | null; decimals: number | null; base_unit: string };
  limits: {
    max_money: BaseUnits;
    max_size: Decimal;
    max_price: Decimal;
    max_body_bytes: number;
    max_signed_body_bytes: number;
    max_idempotency_key_length: number;
    max_page_size: number;
    rate_limits: { per_client: RateLimit; per_key: RateLimit };
    max_request_lifetime_ms: number;
    idempotency_retention_ms: number;
    nonce_window: number;
    max_open_orders: number;
    vault_cooldown_ms: number;
    max_oracle_age_ms: number;
  };
}
export interface Health {
  live: true;
  ready: boolean;
  reason?: string;
}

// ---- Admin commands ------------------------------------------------------------

export type SetPairParams = { pair: string } & Partial<PairParameters>;
export interface SetParams {
  vault_cooldown_ms?: number;
  max_open_orders?: number;
  default_shares_per_amount?: BaseUnits;
  max_oracle_age_ms?: number;
  adl_trigger_ratio?: Decimal;
  protocol_fee_share?: Decimal;
  liquidation_alert_ratio?: Decimal;
}
