// The EIP-712 messages a trader signs, in one place: the six primary types
// with their fields in signing order (as src/api/eip712.hpp declares them and
// GET /v1/info publishes them), the domain, and the functions that turn a
// request into its typed message and its REST body.
import type { Address, LocalAccount } from "viem/accounts";

/** 0x-prefixed hex: a private key, a signature. */
export type Hex = `0x${string}`;

export const EIP712_TYPES = {
  Order: [
    { name: "trader", type: "address" },
    { name: "pair", type: "string" },
    { name: "size", type: "string" },
    { name: "kind", type: "string" },
    { name: "price", type: "string" },
    { name: "maxSlippage", type: "string" },
    { name: "reduceOnly", type: "bool" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  Cancel: [
    { name: "trader", type: "address" },
    { name: "pair", type: "string" },
    { name: "orderId", type: "uint64" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  CancelAll: [
    { name: "trader", type: "address" },
    { name: "pair", type: "string" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  Withdraw: [
    { name: "trader", type: "address" },
    { name: "amount", type: "string" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  VaultDeposit: [
    { name: "trader", type: "address" },
    { name: "amount", type: "string" },
    { name: "minShares", type: "string" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  VaultUnlock: [
    { name: "trader", type: "address" },
    { name: "shares", type: "string" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
} as const;

export type PrimaryType = keyof typeof EIP712_TYPES;

/** EIP712Domain(string name,string version,uint256 chainId,address verifyingContract), as GET /v1/info gives it. */
export interface Eip712Domain {
  name: string;
  version: string;
  chainId: number | bigint;
  verifyingContract: Address;
}

/** A uint64 (nonce, expiry, order id): a JavaScript number up to 2^53 - 1, or a bigint beyond. */
export type Uint64 = number | bigint;

/** What every signed request carries besides its own fields. */
export interface Authorization {
  nonce: Uint64;
  /** Milliseconds since the epoch; at most limits.max_request_lifetime_ms (1 h by default) ahead. */
  expiry: Uint64;
}

/** A signed request: the JSON body to send (nonce and expiry stay integers) and the typed message signed. */
export interface SignedRequest {
  primaryType: PrimaryType;
  message: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** "1.50" -> "1.5", "007" -> "7", "-0" -> "0": the one form the server accepts in signed requests. */
export function canonicalDecimal(value: string): string {
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new TypeError(`not a decimal: ${JSON.stringify(value)}`);
  const whole = m[2].replace(/^0+/, "") || "0";
  const fraction = (m[3] ?? "").replace(/0+$/, "");
  if (fraction.length > 18) throw new RangeError(`more than 18 fractional digits: ${value}`);
  const text = fraction ? `${whole}.${fraction}` : whole;
  return m[1] && text !== "0" ? `-${text}` : text;
}

/** Base units as the server wants them: a string of digits without leading zeros. */
export function canonicalAmount(value: string | bigint | number): string {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`an amount must be a non-negative integer (a string or bigint above 2^53): ${value}`);
    return String(value);
  }
  if (typeof value === "bigint") {
    if (value < 0n) throw new RangeError(`an amount must not be negative: ${value}`);
    return value.toString();
  }
  if (!/^\d+$/.test(value)) throw new TypeError(`an amount is a whole number of base units: ${JSON.stringify(value)}`);
  return value.replace(/^0+(?=\d)/, "");
}

export interface OrderFields {
  pair: string;
  /** Contracts: positive buys, negative sells. */
  size: string;
  kind: "market" | "limit";
  /** Limit orders: the worst price, in base units per contract. */
  price?: string;
  /** Market orders: a fraction in [0, 1]. */
  maxSlippage?: string;
  reduceOnly?: boolean;
}

/** The typed message and the body of POST /v1/orders. A market order signs price "0", a limit order maxSlippage "0". */
export function orderRequest(trader: Address, o: OrderFields, auth: Authorization): SignedRequest {
  const size = canonicalDecimal(o.size);
  const market = o.kind === "market";
  if (market ? o.maxSlippage === undefined : o.price === undefined)
    throw new TypeError(market ? "a market order needs maxSlippage" : "a limit order needs price");
  const price = market ? "0" : canonicalDecimal(o.price as string);
  const maxSlippage = market ? canonicalDecimal(o.maxSlippage as string) : "0";
  const body: Record<string, unknown> = { trader, pair: o.pair, size, kind: o.kind };
  if (market) body.max_slippage = maxSlippage;
  else body.price = price;
  if (o.reduceOnly !== undefined) body.reduce_only = o.reduceOnly;
  const reduceOnly = o.reduceOnly ?? false;
  return signed("Order", trader, { pair: o.pair, size, kind: o.kind, price, maxSlippage, reduceOnly }, body, auth);
}

/** DELETE /v1/orders/{orderId}: the id travels in the path and is signed as orderId. */
export function cancelRequest(
  trader: Address,
  pair: string,
  orderId: Uint64 | string,
  auth: Authorization,
): SignedRequest {
  return signed("Cancel", trader, { pair, orderId: BigInt(orderId) }, { trader, pair }, auth);
}

/** DELETE /v1/orders?pair=: the pair travels in the query string and is signed. */
export function cancelAllRequest(trader: Address, pair: string, auth: Authorization): SignedRequest {
  return signed("CancelAll", trader, { pair }, { trader }, auth);
}

export function withdrawRequest(trader: Address, amount: string | bigint | number, auth: Authorization): SignedRequest {
  const a = canonicalAmount(amount);
  return signed("Withdraw", trader, { amount: a }, { trader, amount: a }, auth);
}

/** POST /v1/vault/deposit: without minShares the message signs "0". */
export function vaultDepositRequest(
  trader: Address,
  amount: string | bigint | number,
  minShares: string | bigint | number | undefined,
  auth: Authorization,
): SignedRequest {
  const a = canonicalAmount(amount);
  const body: Record<string, unknown> = { trader, amount: a };
  if (minShares !== undefined) body.min_shares = canonicalAmount(minShares);
  const signedMinShares = (body.min_shares as string | undefined) ?? "0";
  return signed("VaultDeposit", trader, { amount: a, minShares: signedMinShares }, body, auth);
}

export function vaultUnlockRequest(
  trader: Address,
  shares: string | bigint | number,
  auth: Authorization,
): SignedRequest {
  const s = canonicalAmount(shares);
  return signed("VaultUnlock", trader, { shares: s }, { trader, shares: s }, auth);
}

function signed(
  primaryType: PrimaryType,
  trader: Address,
  fields: Record<string, unknown>,
  body: Record<string, unknown>,
  auth: Authorization,
): SignedRequest {
  const message = { trader, ...fields, nonce: BigInt(auth.nonce), expiry: BigInt(auth.expiry) };
  return { primaryType, message, body: { ...body, nonce: auth.nonce, expiry: auth.expiry } };
}

/** Signs a request with a viem account and returns its body, signature included. */
export async function signRequest(
  account: LocalAccount,
  domain: Eip712Domain,
  request: SignedRequest,
): Promise<Record<string, unknown>> {
  const signature: Hex = await account.signTypedData({
    domain: { ...domain, chainId: BigInt(domain.chainId) },
    types: { [request.primaryType]: EIP712_TYPES[request.primaryType] },
    primaryType: request.primaryType,
    message: request.message,
  } as Parameters<LocalAccount["signTypedData"]>[0]);
  return { ...request.body, signature };
}
