// A client for every route of the Ballast REST API: trader requests signed
// with EIP-712 through a viem account, public reads, and the bridge, oracle
// and admin routes with their bearer tokens. Replies are typed (./types.ts);
// refusals throw BallastError with the status and code.
import { privateKeyToAccount } from "viem/accounts";
import type { Address, LocalAccount } from "viem/accounts";
import {
  canonicalAmount,
  canonicalDecimal,
  cancelAllRequest,
  cancelRequest,
  orderRequest,
  signRequest,
  vaultDepositRequest,
  vaultUnlockRequest,
  withdrawRequest,
  type Eip712Domain,
  type Hex,
  type SignedRequest,
  type Uint64,
} from "./eip712.js";
import { BallastError } from "./errors.js";
import type {
  Account,
  CancelAllReply,
  Health,
  Info,
  MarketReply,
  MarketStatus,
  MarketsReply,
  OrderReply,
  OrdersPage,
  PositionsReply,
  SetPairParams,
  SetParams,
  Status,
  Vault,
  VaultDepositReply,
  VaultUnlockReply,
  WithdrawalsPage,
  WriteReply,
} from "./types.js";

type Amount = string | bigint | number;

export interface BallastClientOptions {
  /** The server, e.g. "http://127.0.0.1:8080" (the /v1 paths are added). */
  url: string;
  /** Signs trader requests: a viem local account or a private key (0x + 64 hex). */
  account?: LocalAccount | Hex;
  /** The EIP-712 domain; by default read once from GET /v1/info. */
  domain?: Eip712Domain;
  /** Bearer tokens of the roles this client may act as. */
  tokens?: { admin?: string; oracle?: string; bridge?: string };
  /** How long signed requests stay valid: expiry = now + this (default 60 s; the server allows up to 1 h). */
  expiresInMs?: number;
  fetch?: typeof globalThis.fetch;
}

/** Per request: a nonce or expiry of your own, and an Idempotency-Key (orders and cancels). */
export interface RequestOptions {
  nonce?: Uint64;
  expiry?: Uint64;
  idempotencyKey?: string;
}

export interface Page {
  after?: Uint64 | string;
  limit?: number;
}

export class BallastClient {
  readonly url: string;
  /** The viem account that signs trader requests. */
  readonly wallet: LocalAccount | undefined;
  private readonly options: BallastClientOptions;
  private readonly fetchFn: typeof globalThis.fetch;
  private domain: Promise<Eip712Domain> | undefined;
  private lastNonce = 0;

  constructor(options: BallastClientOptions) {
    this.options = options;
    this.url = options.url.replace(/\/+$/, "");
    this.wallet = typeof options.account === "string" ? privateKeyToAccount(options.account) : options.account;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    if (options.domain) this.domain = Promise.resolve(options.domain);
  }

  /** A client whose domain is read from the server now (so a wrong URL fails here). */
  static async connect(url: string, options: Omit<BallastClientOptions, "url"> = {}): Promise<BallastClient> {
    const client = new BallastClient({ ...options, url });
    await client.eip712Domain();
    return client;
  }

  /** The same server, domain and tokens, signing as another account. */
  withAccount(account: LocalAccount | Hex): BallastClient {
    const client = new BallastClient({ ...this.options, account });
    client.domain = this.domain;
    return client;
  }

  /** The signer's address, lowercase as the exchange names traders. */
  get address(): Address {
    return this.signer().address.toLowerCase() as Address;
  }

  /** The domain requests are signed under. */
  eip712Domain(): Promise<Eip712Domain> {
    this.domain ??= this.info().then((info) => info.domain);
    return this.domain;
  }

  /**
   * The next nonce: the time in ms, or one more than the last if that is not
   * above it, so that nonces from this client never repeat (the exchange keeps
   * a trader's 64 highest).
   */
  nextNonce(): number {
    this.lastNonce = Math.max(Date.now(), this.lastNonce + 1);
    return this.lastNonce;
  }

  // ---- Trader requests (signed) ---------------------------------------------

  /** POST /v1/orders, kind market: fills whole now within maxSlippage of the marginal price, or not at all. */
  async marketOrder(
    o: { pair: string; size: string; maxSlippage: string; reduceOnly?: boolean },
    options: RequestOptions = {},
  ): Promise<OrderReply> {
    return this.signed("POST", "/v1/orders", (a) => orderRequest(this.trader(), { ...o, kind: "market" }, a), options);
  }

  /** POST /v1/orders, kind limit: fills now if it can, otherwise rests until the oracle moves so that it can. */
  async limitOrder(
    o: { pair: string; size: string; price: string; reduceOnly?: boolean },
    options: RequestOptions = {},
  ): Promise<OrderReply> {
    return this.signed("POST", "/v1/orders", (a) => orderRequest(this.trader(), { ...o, kind: "limit" }, a), options);
  }

  /** DELETE /v1/orders/{orderId}. */
  async cancelOrder(o: { pair: string; orderId: string | Uint64 }, options: RequestOptions = {}): Promise<WriteReply> {
    const id = BigInt(o.orderId);
    return this.signed("DELETE", `/v1/orders/${id}`, (a) => cancelRequest(this.trader(), o.pair, id, a), options);
  }

  /** DELETE /v1/orders?pair=: every resting order of this trader in the market. */
  async cancelAll(o: { pair: string }, options: RequestOptions = {}): Promise<CancelAllReply> {
    return this.signed(
      "DELETE",
      `/v1/orders?pair=${encodeURIComponent(o.pair)}`,
      (a) => cancelAllRequest(this.trader(), o.pair, a),
      options,
    );
  }

  /** POST /v1/margin/withdraw: to the chain, through the bridge's outbox. */
  async withdraw(o: { amount: Amount }, options: RequestOptions = {}): Promise<WriteReply> {
    return this.signed("POST", "/v1/margin/withdraw", (a) => withdrawRequest(this.trader(), o.amount, a), options);
  }

  /** POST /v1/vault/deposit: from available margin into the LP vault; pending while anyone holds a position. */
  async vaultDeposit(
    o: { amount: Amount; minShares?: Amount },
    options: RequestOptions = {},
  ): Promise<VaultDepositReply> {
    return this.signed(
      "POST",
      "/v1/vault/deposit",
      (a) => vaultDepositRequest(this.trader(), o.amount, o.minShares, a),
      options,
    );
  }

  /** POST /v1/vault/unlock: shares released to margin after the vault cooldown. */
  async vaultUnlock(o: { shares: Amount }, options: RequestOptions = {}): Promise<VaultUnlockReply> {
    return this.signed("POST", "/v1/vault/unlock", (a) => vaultUnlockRequest(this.trader(), o.shares, a), options);
  }

  // ---- Reads --------------------------------------------------------------------

  async account(trader: Address = this.address): Promise<Account> {
    return this.get(`/v1/account?trader=${trader}`);
  }
  async positions(trader: Address = this.address): Promise<PositionsReply> {
    return this.get(`/v1/positions?trader=${trader}`);
  }
  async orders(trader: Address = this.address, page: Page = {}): Promise<OrdersPage> {
    return this.get(`/v1/orders?trader=${trader}${pageQuery(page)}`);
  }
  async vault(): Promise<Vault> {
    return this.get("/v1/vault");
  }
  async markets(): Promise<MarketsReply> {
    return this.get("/v1/markets");
  }
  /** One market; with `size`, a quote of what a fill of that size would pay now. */
  async market(pair: string, quote: { size?: string } = {}): Promise<MarketReply> {
    const size = quote.size === undefined ? "" : `?size=${encodeURIComponent(canonicalDecimal(quote.size))}`;
    return this.get(`/v1/markets/${encodeURIComponent(pair)}${size}`);
  }
  /** The EIP-712 domain and types, the settlement asset and the limits. */
  async info(): Promise<Info> {
    return this.get("/v1/info");
  }
  /** Readiness: { ready: false, reason } while the exchange does not take commands (HTTP 503), without throwing. */
  async health(): Promise<Health> {
    const { status, text } = await this.send("GET", "/v1/health");
    const body = parse(text);
    const readiness = (status === 200 || status === 503) && body && typeof body === "object" && "ready" in body;
    if (readiness) return body as Health;
    throw toError("GET /v1/health", status, text);
  }
  /** Liveness: the process answers. */
  async live(): Promise<{ live: true }> {
    return this.get("/v1/health/live");
  }
  async openapi(): Promise<Record<string, unknown>> {
    return this.get("/v1/openapi.json");
  }
  /** Prometheus text. */
  async metrics(): Promise<string> {
    const { status, text } = await this.send("GET", "/metrics");
    if (status !== 200) throw toError("GET /metrics", status, text);
    return text;
  }

  // ---- Bridge (bridge token) ------------------------------------------------------

  /** POST /v1/admin/deposits: credit a chain deposit to a trader's margin; resending a txId returns the first reply. */
  async bridgeDeposit(d: { txId: string; trader: Address; amount: Amount }): Promise<WriteReply> {
    return this.call("POST", "/v1/admin/deposits", {
      token: this.token("bridge"),
      body: { tx_id: d.txId, trader: d.trader, amount: canonicalAmount(d.amount) },
    });
  }
  /** GET /v1/admin/withdrawals: the outbox, by id. */
  async withdrawals(page: Page = {}): Promise<WithdrawalsPage> {
    return this.call("GET", `/v1/admin/withdrawals?${pageQuery(page).slice(1)}`, { token: this.token("bridge") });
  }

  // ---- Oracle (oracle token) -------------------------------------------------------

  /** POST /v1/oracle/prices: base units per contract, by pair. */
  async pushPrices(prices: Record<string, string>): Promise<WriteReply> {
    const canonical = Object.fromEntries(Object.entries(prices).map(([pair, p]) => [pair, canonicalDecimal(p)]));
    return this.call("POST", "/v1/oracle/prices", { token: this.token("oracle"), body: { prices: canonical } });
  }

  // ---- Admin (admin token) ---------------------------------------------------------

  /** Create a market (skew_scale, max_abs_premium, max_abs_oi, initial_margin_ratio required) or change parameters. */
  async setPair(p: SetPairParams): Promise<WriteReply> {
    return this.admin({ cmd: "set_pair", ...p });
  }
  async setPairStatus(pair: string, status: MarketStatus): Promise<WriteReply> {
    return this.admin({ cmd: "set_pair_status", pair, status });
  }
  async setParams(p: SetParams): Promise<WriteReply> {
    return this.admin({ cmd: "set_params", ...p });
  }
  /** Add to the vault without minting shares: from `user`'s available margin, or from the treasury. */
  async fundVault(f: { amount: Amount; user?: string }): Promise<WriteReply> {
    return this.admin({ cmd: "fund_vault", amount: canonicalAmount(f.amount), ...(f.user ? { user: f.user } : {}) });
  }
  /** The last sequence number, time and whole-state hash. */
  async status(): Promise<Status> {
    return this.call("GET", "/v1/admin/status", { token: this.token("admin") });
  }

  // ---- Plumbing ----------------------------------------------------------------------

  private admin(command: Record<string, unknown>): Promise<WriteReply> {
    return this.call("POST", "/v1/admin/markets", { token: this.token("admin"), body: command });
  }

  private signer(): LocalAccount {
    if (!this.wallet) throw new Error("this client has no account: pass `account` to sign trader requests");
    return this.wallet;
  }

  private trader(): Address {
    return this.signer().address;
  }

  private token(role: "admin" | "oracle" | "bridge"): string {
    const token = this.options.tokens?.[role];
    if (!token) throw new Error(`this client has no ${role} token: pass tokens.${role}`);
    return token;
  }

  private async signed<T>(
    method: string,
    path: string,
    build: (auth: { nonce: Uint64; expiry: Uint64 }) => SignedRequest,
    options: RequestOptions,
  ): Promise<T> {
    const auth = {
      nonce: options.nonce ?? this.nextNonce(),
      expiry: options.expiry ?? Date.now() + (this.options.expiresInMs ?? 60_000),
    };
    const body = await signRequest(this.signer(), await this.eip712Domain(), build(auth));
    return this.call(method, path, { body, idempotencyKey: options.idempotencyKey });
  }

  private get<T>(path: string): Promise<T> {
    return this.call("GET", path, {});
  }

  private async call<T>(
    method: string,
    path: string,
    o: { body?: unknown; token?: string; idempotencyKey?: string | undefined },
  ): Promise<T> {
    const { status, text } = await this.send(method, path, o);
    if (status !== 200) throw toError(`${method} ${path.split("?")[0]}`, status, text);
    return parse(text) as T;
  }

  private async send(
    method: string,
    path: string,
    o: { body?: unknown; token?: string; idempotencyKey?: string | undefined } = {},
  ): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = {};
    if (o.body !== undefined) headers["content-type"] = "application/json";
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.idempotencyKey) headers["idempotency-key"] = o.idempotencyKey;
    const response = await this.fetchFn(this.url + path, {
      method,
      headers,
      body: o.body === undefined ? undefined : toJson(o.body),
    });
    return { status: response.status, text: await response.text() };
  }
}

/**
 * JSON with bigints written as JSON integers (nonce, expiry above 2^53 - 1):
 * JSON.stringify refuses bigints, and a string would be refused by the server.
 */
export function toJson(value: unknown): string {
  const marker = "\u0000bigint:";
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? marker + v.toString() : v));
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, "$1");
}

function pageQuery(page: Page): string {
  let q = "";
  if (page.after !== undefined) q += `&after=${BigInt(page.after)}`;
  if (page.limit !== undefined) q += `&limit=${page.limit}`;
  return q;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toError(route: string, status: number, text: string): BallastError {
  const body = parse(text) as { code?: unknown; message?: unknown; seq?: unknown } | undefined;
  const code = typeof body?.code === "string" ? body.code : `http_${status}`;
  const message = typeof body?.message === "string" ? body.message : text.slice(0, 200);
  const seq = typeof body?.seq === "number" ? body.seq : undefined;
  return new BallastError(status, code, message, seq, text, route);
}
