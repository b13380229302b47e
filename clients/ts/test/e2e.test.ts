// The SDK against a real `ballast serve` (started by tests/sdk_e2e_test.cpp,
// which passes the URL, tokens and configured domain in the environment).
// The market is BTC with skew scale K = 1,000, max premium M = 5%, max OI 500,
// initial margin 10%, no fees, funding or price band; the vault cooldown is
// the default day; default_shares_per_amount V = 1,000,000. Every expected
// value is worked out by hand in the comments (docs/SPEC-NOTES.md), never
// copied from the program's output. The tests run in order and build on each
// other's state.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BallastClient, BallastError, EIP712_TYPES, type Hex } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

const URL = env("BALLAST_URL");
const TOKENS = {
  admin: env("BALLAST_ADMIN_TOKEN"),
  oracle: env("BALLAST_ORACLE_TOKEN"),
  bridge: env("BALLAST_BRIDGE_TOKEN"),
};
const PAIR = "BTC";
const COOLDOWN_MS = 86_400_000;

// Fixed keys, so a failure reproduces with the same addresses.
const LP_KEY = `0x${"b1".repeat(32)}` as Hex;
const ALICE_KEY = `0x${"b2".repeat(32)}` as Hex;
const BOB_KEY = `0x${"b3".repeat(32)}` as Hex;

let ops: BallastClient; // tokens only
let lp: BallastClient;
let alice: BallastClient;
let bob: BallastClient;

/** Asserts that `promise` rejects with a BallastError of this status and code; returns it. */
async function refused(promise: Promise<unknown>, status: number, code: string): Promise<BallastError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof BallastError, `expected a BallastError, got ${String(e)}`);
    assert.equal(e.status, status, e.message);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${status} ${code}, but the request succeeded`);
}

test("GET /v1/info gives the configured domain, the message types, the settlement asset and the limits", async () => {
  ops = await BallastClient.connect(URL, { tokens: TOKENS });
  const info = await ops.info();
  assert.deepEqual(info.domain, {
    name: env("BALLAST_DOMAIN_NAME"),
    version: env("BALLAST_DOMAIN_VERSION"),
    chainId: Number(env("BALLAST_CHAIN_ID")),
    verifyingContract: env("BALLAST_VERIFYING_CONTRACT"),
  });
  // The SDK's types are the server's.
  assert.deepEqual(info.types, EIP712_TYPES);
  assert.deepEqual(info.settlement.asset, "USDC");
  assert.deepEqual(info.settlement.decimals, 6);
  assert.equal(info.limits.max_money, "100000000000000000000"); // 10^20
  assert.equal(info.limits.max_size, "1000000000000000"); // 10^15
  assert.equal(info.limits.max_price, "1000000000000000");
  assert.equal(info.limits.max_request_lifetime_ms, 3_600_000); // the default hour
  assert.equal(info.limits.nonce_window, 64);
  assert.equal(info.limits.max_open_orders, 100); // the default
  assert.equal(info.limits.vault_cooldown_ms, COOLDOWN_MS);

  assert.deepEqual(await ops.health(), { live: true, ready: true });
  assert.deepEqual(await ops.live(), { live: true });

  lp = ops.withAccount(LP_KEY);
  alice = ops.withAccount(ALICE_KEY);
  bob = ops.withAccount(BOB_KEY);
});

test("before any price, an order is refused no_oracle_price (journaled, so the error has a seq)", async () => {
  const markets = await ops.markets();
  assert.deepEqual(markets.markets, [
    { pair: PAIR, status: "active", oracle_price: null, long_oi: "0", short_oi: "0" },
  ]);
  const e = await refused(alice.marketOrder({ pair: PAIR, size: "1", maxSlippage: "0.05" }), 422, "no_oracle_price");
  assert.equal(typeof e.seq, "number");
  assert.equal(e.retryable, false);
});

test("the oracle prices BTC, the bridge credits margin, the LP deposits into the vault", async () => {
  const priced = await ops.pushPrices({ [PAIR]: "100" });
  assert.deepEqual(priced.result, { ok: true, events: [] });

  await ops.bridgeDeposit({ txId: "0xsdk-lp", trader: lp.address, amount: "50000" });
  const credited = await ops.bridgeDeposit({ txId: "0xsdk-alice", trader: alice.address, amount: 10_000 });
  await ops.bridgeDeposit({ txId: "0xsdk-bob", trader: bob.address, amount: 100n });
  // The bridge may resend: the same tx_id answers the first reply, and credits once.
  assert.deepEqual(await ops.bridgeDeposit({ txId: "0xsdk-alice", trader: alice.address, amount: "10000" }), credited);
  const a = await alice.account();
  assert.equal(a.margin, "10000");
  assert.equal(a.available_margin, "10000");

  // Nobody holds a position, so the deposit is priced at once. Empty vault
  // (equity E = 0, supply S = 0): shares = floor(amount * (S + V) / (E + 1))
  // = 50,000 * 1,000,000 = 50,000,000,000. LP requests are numbered from 1.
  const deposit = await lp.vaultDeposit({ amount: "50000", minShares: "1" });
  assert.equal(deposit.result.request_id, "1");
  assert.equal(deposit.result.shares_minted, "50000000000");
  assert.equal(deposit.result.pending, false);
  assert.equal((await lp.account()).margin, "0"); // the deposit drew on the LP's margin
  const vault = await ops.vault();
  assert.equal(vault.balance, "50000");
  assert.equal(vault.share_supply, "50000000000");
  assert.equal(vault.backs_positions, true);
});

test("the LP unlocks a fifth of its shares, priced at once", async () => {
  // value = floor(shares * (E + 1) / (S + V)) = floor(10^10 * 50,001 / 50,001,000,000) = 10,000 exactly;
  // released no earlier than the request's time plus the cooldown.
  const before = Date.now();
  const unlock = await lp.vaultUnlock({ shares: "10000000000" });
  const after = Date.now();
  assert.equal(unlock.result.request_id, "2");
  assert.equal(unlock.result.shares, "10000000000");
  assert.equal(unlock.result.amount, "10000");
  assert.ok(unlock.result.end_time >= before + COOLDOWN_MS && unlock.result.end_time <= after + COOLDOWN_MS);
  const account = await lp.account();
  assert.equal(account.vault_shares, "40000000000");
  assert.deepEqual(account.unlocks, [
    { request_id: "2", shares: "10000000000", amount: "10000", end_time: unlock.result.end_time },
  ]);
});

test("a market order fills", async () => {
  // Buy 10 at skew 0: the fill is priced at oracle * (1 + (skew + size / 2) / K)
  // = 100 * (1 + 5 / 1000) = 100.5, within the target 100 * 1.05 = 105. Order
  // ids start at 1 (the refused order took none). No fees.
  const order = await alice.marketOrder({ pair: PAIR, size: "10", maxSlippage: "0.05" });
  assert.equal(order.result.order_id, "1");
  assert.equal(order.result.filled, "10");
  assert.equal(order.result.exec_price, "100.5");
  assert.equal(order.result.rested, "0");
  assert.deepEqual(order.result.events, [
    {
      type: "fill",
      user: alice.address,
      pair: PAIR,
      order_id: "1",
      size: "10",
      price: "100.5",
      realized_pnl: "0",
      fee: "0",
      funding: "0",
    },
  ]);
  // Cost basis ceil(10 * 100.5) = 1,005; unrealized 10 * 100 - 1,005 = -5;
  // used margin 10 * 100 * 10% = 100; available min(10,000, equity 9,995) - 100 = 9,895.
  const a = await alice.account();
  assert.equal(a.margin, "10000");
  assert.equal(a.equity, "9995");
  assert.equal(a.used_margin, "100");
  assert.equal(a.available_margin, "9895");
  assert.equal(a.positions[PAIR]?.size, "10");
  assert.equal(a.positions[PAIR]?.cost_basis, "1005");
  assert.equal(a.positions[PAIR]?.unrealized_pnl, "-5");
});

test("a limit order rests and is cancelled", async () => {
  // Buy 1 at 90 from skew 10: it would fill at 100 * (1 + 10.5 / 1000) = 101.05 > 90,
  // so it rests, reserving ceil(1 * max(90, oracle 100) * 10%) = 10.
  const order = await alice.limitOrder({ pair: PAIR, size: "1", price: "90" });
  assert.equal(order.result.order_id, "2");
  assert.equal(order.result.filled, "0");
  assert.equal(order.result.rested, "1");
  assert.equal(order.result.exec_price, undefined);
  const rested = order.result.events[0];
  assert.ok(rested?.type === "order_rested");
  assert.equal(rested.reserved_margin, "10");
  assert.equal(rested.limit_price, "90");

  const page = await alice.orders();
  assert.deepEqual(page.orders.map((o) => o.order_id), ["2"]);
  assert.equal(page.next_after, null);

  const canceled = await alice.cancelOrder({ pair: PAIR, orderId: order.result.order_id });
  assert.deepEqual(canceled.result.events, [
    {
      type: "order_canceled",
      user: alice.address,
      pair: PAIR,
      order_id: "2",
      size: "1",
      released_margin: "10",
      reason: "by_owner",
    },
  ]);
  assert.deepEqual((await alice.orders()).orders, []);
});

test("cancel-all answers the ids it canceled, as strings", async () => {
  // Buy 1 at 95 (101.05 > 95) and sell 1 at 110 (it would fill at
  // 100 * (1 + 9.5 / 1000) = 100.95 < 110): both rest, as orders 3 and 4.
  assert.equal((await alice.limitOrder({ pair: PAIR, size: "1", price: "95" })).result.order_id, "3");
  assert.equal((await alice.limitOrder({ pair: PAIR, size: "-1", price: "110" })).result.order_id, "4");
  const all = await alice.cancelAll({ pair: PAIR });
  assert.deepEqual(all.canceled, ["3", "4"]);
  assert.equal(typeof all.seq, "number");
});

test("an Idempotency-Key returns the first reply to a retry", async () => {
  const options = { nonce: alice.nextNonce(), expiry: Date.now() + 60_000, idempotencyKey: "sdk-retry-1" };
  const first = await alice.limitOrder({ pair: PAIR, size: "1", price: "95" }, options);
  const retry = await alice.limitOrder({ pair: PAIR, size: "1", price: "95" }, options);
  assert.deepEqual(retry, first);
  assert.equal(first.result.order_id, "5");
  assert.deepEqual((await alice.cancelAll({ pair: PAIR })).canceled, ["5"]);
});

test("a withdrawal leaves the margin and waits in the bridge's outbox", async () => {
  const before = Date.now();
  const withdrawal = await alice.withdraw({ amount: "500" });
  const after = Date.now();
  assert.equal((await alice.account()).margin, "9500");
  const outbox = await ops.withdrawals({ after: 0 });
  assert.equal(outbox.withdrawals.length, 1);
  const [w] = outbox.withdrawals;
  assert.ok(w);
  // The outbox id is the withdrawal's journal sequence number, as a string.
  assert.equal(w.id, String(withdrawal.seq));
  assert.equal(w.trader, alice.address);
  assert.equal(w.amount, "500");
  assert.ok(w.time >= before && w.time <= after);
  assert.equal(outbox.next_after, String(withdrawal.seq));
});

test("refusals surface as typed errors with their codes", async () => {
  // Bob has 100. A buy of 10 from skew 10 fills at 100 * (1 + 15 / 1000) =
  // 101.5, so it needs at least ceil(10 * 101.5 * 10%) = 102 of margin.
  const e = await refused(bob.marketOrder({ pair: PAIR, size: "10", maxSlippage: "0.05" }), 422, "insufficient_margin");
  assert.equal(typeof e.seq, "number");
  assert.ok(e.message.includes("requires margin"), e.message);

  await bob.withdraw({ amount: "1" }, { nonce: 7 });
  await refused(bob.withdraw({ amount: "1" }, { nonce: 7 }), 409, "nonce_reused");
  await refused(bob.withdraw({ amount: "1" }, { expiry: Date.now() - 1_000 }), 401, "request_expired");
  await refused(bob.withdraw({ amount: "1" }, { expiry: Date.now() + 2 * 3_600_000 }), 400, "expiry_too_far");
  await refused(bob.withdraw({ amount: "1000" }), 422, "insufficient_available_margin");
  await refused(bob.cancelOrder({ pair: PAIR, orderId: "1" }), 404, "order_not_found"); // order 1 filled
  // The treasury holds nothing (no fees were charged).
  await refused(ops.fundVault({ amount: "1" }), 422, "insufficient_available_margin");
  // Another role's token.
  await refused(new BallastClient({ url: URL, tokens: { admin: TOKENS.oracle } }).status(), 403, "forbidden");
  assert.equal((await bob.account()).margin, "99"); // only the first withdrawal of 1 went through
});

test("reads", async () => {
  // Alice: margin 9,500, the position's unrealized -5: equity 9,495.
  const positions = await alice.positions();
  assert.equal(positions.trader, alice.address);
  assert.equal(positions.equity, "9495");
  assert.equal(positions.positions[PAIR]?.size, "10");

  // A buy of 1 from skew 10: 100 * (1 + (10 + 0.5) / 1000) = 101.05.
  const market = await ops.market(PAIR, { size: "1" });
  assert.equal(market.market.skew, "10");
  assert.equal(market.market.long_oi, "10");
  assert.equal(market.market.oracle_price, "100");
  assert.deepEqual(market.quote, { size: "1", exec_price: "101.05" });
  assert.deepEqual((await ops.markets()).markets, [
    { pair: PAIR, status: "active", oracle_price: "100", long_oi: "10", short_oi: "0" },
  ]);

  // The vault holds the LP's 50,000 and is on the other side of Alice's
  // position: +5 unrealized, equity 50,005.
  const vault = await ops.vault();
  assert.equal(vault.balance, "50000");
  assert.equal(vault.unrealized_pnl, "5");
  assert.equal(vault.equity, "50005");

  const status = await ops.status();
  assert.equal(typeof status.seq, "number");
  assert.match(status.state_hash, /^[0-9a-f]{64}$/);
  assert.ok((await ops.metrics()).includes("ballast_http_responses_total"));
  assert.ok("/v1/info" in ((await ops.openapi()).paths as Record<string, unknown>));
});

test("admin routes", async () => {
  await ops.setParams({ max_open_orders: 50 });
  assert.equal((await ops.info()).limits.max_open_orders, 50);

  await ops.setPairStatus(PAIR, "paused");
  assert.equal((await ops.market(PAIR)).market.status, "paused");
  await refused(alice.limitOrder({ pair: PAIR, size: "1", price: "95" }), 422, "market_paused");
  await ops.setPairStatus(PAIR, "active");

  await ops.setPair({
    pair: "ETH",
    skew_scale: "1000",
    max_abs_premium: "0.05",
    max_abs_oi: "100",
    initial_margin_ratio: "0.1",
  });
  assert.deepEqual((await ops.markets()).markets.map((m) => [m.pair, m.oracle_price]), [[PAIR, "100"], ["ETH", null]]);

  // 10 of Bob's 99 into the vault, without shares: balance 50,000 + 10.
  const funded = await ops.fundVault({ amount: "10", user: bob.address });
  assert.deepEqual(funded.result.events, [{ type: "vault_funded", user: bob.address, amount: "10" }]);
  assert.equal((await ops.vault()).balance, "50010");
  assert.equal((await bob.account()).margin, "89");
});
