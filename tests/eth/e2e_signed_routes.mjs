// Every signed REST route end to end: the real ethers wallet signs full request
// bodies (the JSON each route takes) and they are posted to a running
// `ballast serve`. Each reply is checked against values worked out by hand in
// the comments, from docs/SPEC-NOTES.md and the market's parameters (checked
// first), never from the program's own output.
//
// tests/e2e_signed_routes_test.cpp starts a fresh server and runs this script.
// By hand, against a fresh server whose configuration has the market below
// and no demo:
//
//   node e2e_signed_routes.mjs --url http://127.0.0.1:8080 --admin-token A --bridge-token B \
//        --oracle-token O --name Ballast --version 1 --chain-id 31337 \
//        --verifying-contract 0x00000000000000000000000000000000000ba1a5
//
// Exits 0 when every check passes; otherwise prints the first mismatch and
// exits 1 (2 for bad arguments).
import { parseArgs } from "node:util";
import { Wallet, getAddress } from "ethers";

// ---- Arguments -------------------------------------------------------------

let args;
try {
    args = parseArgs({
        options: {
            url: { type: "string" },
            "admin-token": { type: "string" },
            "bridge-token": { type: "string" },
            "oracle-token": { type: "string" },
            name: { type: "string" },
            version: { type: "string" },
            "chain-id": { type: "string" },
            "verifying-contract": { type: "string" },
        },
    }).values;
    for (const key of ["url", "admin-token", "bridge-token", "oracle-token", "name", "version", "chain-id",
                       "verifying-contract"]) {
        if (args[key] === undefined) throw new Error(`missing --${key}`);
    }
} catch (e) {
    console.error(`e2e_signed_routes: ${e.message}`);
    process.exit(2);
}

const BASE = args.url.replace(/\/$/, "");
const ADMIN = `Bearer ${args["admin-token"]}`;
const BRIDGE = `Bearer ${args["bridge-token"]}`;
const ORACLE = `Bearer ${args["oracle-token"]}`;
const DOMAIN = {
    name: args.name,
    version: args.version,
    chainId: BigInt(args["chain-id"]),
    verifyingContract: getAddress(args["verifying-contract"]),
};

// The market this script works out its numbers for; the configuration must
// create it with exactly these parameters (checked in step 0) and no fees,
// funding or limit price band (all zero, the defaults).
const PAIR = "BTC";
const MARKET = { skew_scale: "1000", max_abs_premium: "0.05", max_abs_oi: "500", initial_margin_ratio: "0.1" };
const COOLDOWN_MS = 86_400_000; // params.vault_cooldown_ms, the default: one day

// ---- Checks ----------------------------------------------------------------

class Mismatch extends Error {}
let step = "start";

function fail(what, detail) {
    throw new Mismatch(`${what}${detail === undefined ? "" : `\n  ${detail}`}`);
}

// A predicate usable where an expected value is given.
const inRange = (lo, hi) => {
    const check = (v) => Number.isInteger(v) && v >= lo && v <= hi;
    check.describe = `an integer in [${lo}, ${hi}]`;
    return check;
};

// `expected` is a value (compared exactly), a predicate, an array (same
// length, element by element) or an object (each of its keys must match;
// keys it does not name are not checked).
function match(actual, expected, path) {
    if (typeof expected === "function") {
        if (!expected(actual)) fail(`${path}: expected ${expected.describe ?? "a match"}, got ${JSON.stringify(actual)}`);
        return;
    }
    if (Array.isArray(expected)) {
        if (!Array.isArray(actual) || actual.length !== expected.length)
            fail(`${path}: expected ${expected.length} element(s), got ${JSON.stringify(actual)}`);
        expected.forEach((e, i) => match(actual[i], e, `${path}[${i}]`));
        return;
    }
    if (expected !== null && typeof expected === "object") {
        if (actual === null || typeof actual !== "object" || Array.isArray(actual))
            fail(`${path}: expected an object, got ${JSON.stringify(actual)}`);
        for (const [k, e] of Object.entries(expected)) match(actual[k], e, `${path}.${k}`);
        return;
    }
    if (actual !== expected) fail(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// The reply must have this status and its JSON body must match `expected`.
function expectReply(reply, status, expected = {}) {
    if (reply.status !== status)
        fail(`${reply.label}: expected HTTP ${status}, got ${reply.status}`, `body: ${reply.text}`);
    if (reply.json === undefined) fail(`${reply.label}: the body is not JSON`, reply.text);
    try {
        match(reply.json, expected, "body");
    } catch (e) {
        if (e instanceof Mismatch) e.message = `${reply.label}: ${e.message}\n  body: ${reply.text}`;
        throw e;
    }
    return reply.json;
}

// ---- HTTP ------------------------------------------------------------------

async function call(method, target, { body, auth } = {}) {
    const headers = {};
    if (auth) headers.authorization = auth;
    if (body !== undefined) headers["content-type"] = "application/json";
    const before = Date.now();
    const response = await fetch(BASE + target, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    // [before, after] brackets the time the server stamps on the command.
    return { status: response.status, text, json, before, after: Date.now(), label: `${method} ${target}` };
}

const account = async (wallet) => call("GET", `/v1/account?trader=${wallet.address.toLowerCase()}`);
const journalSeq = async () => expectReply(await call("GET", "/v1/admin/status", { auth: ADMIN }), 200).seq;

// ---- Signing ---------------------------------------------------------------

// The message types of src/api/eip712.hpp, as ethers takes them.
const f = (name, type) => ({ name, type });
const TYPES = {
    Order: [f("trader", "address"), f("pair", "string"), f("size", "string"), f("kind", "string"),
            f("price", "string"), f("maxSlippage", "string"), f("reduceOnly", "bool"), f("nonce", "uint64"),
            f("expiry", "uint64")],
    Cancel: [f("trader", "address"), f("pair", "string"), f("orderId", "uint64"), f("nonce", "uint64"),
             f("expiry", "uint64")],
    CancelAll: [f("trader", "address"), f("pair", "string"), f("nonce", "uint64"), f("expiry", "uint64")],
    Withdraw: [f("trader", "address"), f("amount", "string"), f("nonce", "uint64"), f("expiry", "uint64")],
    VaultDeposit: [f("trader", "address"), f("amount", "string"), f("minShares", "string"), f("nonce", "uint64"),
                   f("expiry", "uint64")],
    VaultUnlock: [f("trader", "address"), f("shares", "string"), f("nonce", "uint64"), f("expiry", "uint64")],
};

// Fixed keys, so a failure reproduces with the same addresses.
const lp = new Wallet("0x" + "a1".repeat(32));
const alice = new Wallet("0x" + "a2".repeat(32));
const bob = new Wallet("0x" + "a3".repeat(32));
const lower = (wallet) => wallet.address.toLowerCase();

// Nonces per trader: a counter (any unused number works; see "Trust").
const nonces = new Map();
const nextNonce = (wallet) => {
    const n = (nonces.get(wallet.address) ?? 0) + 1;
    nonces.set(wallet.address, n);
    return n;
};

// Signs `message` (the typed fields besides trader, nonce and expiry) and
// returns the REST body: `fields` (the route's JSON fields besides trader,
// nonce, expiry and signature) plus those four. nonce and expiry are JSON
// integers; the trader is the wallet's EIP-55 (mixed-case) address.
async function signedBody(wallet, primaryType, message, fields, options = {}) {
    const nonce = options.nonce ?? nextNonce(wallet);
    const expiry = options.expiry ?? Date.now() + 60_000;
    const domain = options.domain ?? DOMAIN;
    const value = { trader: wallet.address, ...message, nonce: BigInt(nonce), expiry: BigInt(expiry) };
    const signature = await wallet.signTypedData(domain, { [primaryType]: TYPES[primaryType] }, value);
    return { trader: wallet.address, ...fields, nonce, expiry, signature };
}

// POST /v1/orders. A market order signs price "0", a limit order maxSlippage "0";
// an absent reduce_only is signed as false.
function orderBody(wallet, { size, kind, price, max_slippage, reduce_only }, options) {
    const message = {
        pair: PAIR,
        size,
        kind,
        price: kind === "limit" ? price : "0",
        maxSlippage: kind === "market" ? max_slippage : "0",
        reduceOnly: reduce_only ?? false,
    };
    const fields = { pair: PAIR, size, kind };
    if (kind === "limit") fields.price = price;
    else fields.max_slippage = max_slippage;
    if (reduce_only !== undefined) fields.reduce_only = reduce_only;
    return signedBody(wallet, "Order", message, fields, options);
}
// DELETE /v1/orders/{id}: the id is in the path and in the signed message.
const cancelBody = (wallet, orderId, options) =>
    signedBody(wallet, "Cancel", { pair: PAIR, orderId: BigInt(orderId) }, { pair: PAIR }, options);
// DELETE /v1/orders?pair=: the pair is in the query string and in the signed message.
const cancelAllBody = (wallet, options) => signedBody(wallet, "CancelAll", { pair: PAIR }, {}, options);
const withdrawBody = (wallet, amount, options) => signedBody(wallet, "Withdraw", { amount }, { amount }, options);
// A VaultDeposit without min_shares signs minShares "0".
const vaultDepositBody = (wallet, amount, minShares, options) =>
    signedBody(wallet, "VaultDeposit", { amount, minShares: minShares ?? "0" },
               minShares === undefined ? { amount } : { amount, min_shares: minShares }, options);
const vaultUnlockBody = (wallet, shares, options) =>
    signedBody(wallet, "VaultUnlock", { shares }, { shares }, options);

// ---- The session -----------------------------------------------------------

async function main() {
    // 0. The market is configured as the numbers below assume, with no price yet.
    step = "0 market";
    expectReply(await call("GET", `/v1/markets/${PAIR}`), 200, {
        pair: PAIR,
        market: { ...MARKET, status: "active", maker_fee_rate: "0", taker_fee_rate: "0", max_funding_velocity: "0",
                  max_limit_price_deviation: "0", min_order_notional: "0", long_oi: "0", short_oi: "0", bids: [],
                  asks: [] },
    });
    // A fresh data directory: the configuration's set_params and set_pair are
    // the only commands journaled so far.
    match(await journalSeq(), 2, "status.seq of a fresh server");

    // 1. The oracle prices the market at 100.
    step = "1 oracle";
    expectReply(await call("POST", "/v1/oracle/prices", { body: { prices: { [PAIR]: "100" } }, auth: ORACLE }), 200,
                { result: { ok: true, events: [] } });

    // 2. The bridge credits the LP 50,000 and each trader 10,000 (base units;
    // with prices in the same unit, size x price is an amount).
    step = "2 bridge deposits";
    for (const [wallet, amount, tx] of [[lp, "50000", "0xe2e01"], [alice, "10000", "0xe2e02"], [bob, "10000", "0xe2e03"]]) {
        expectReply(await call("POST", "/v1/admin/deposits",
                               { body: { tx_id: tx, trader: wallet.address, amount }, auth: BRIDGE }),
                    200, { result: { ok: true } });
        expectReply(await account(wallet), 200, { margin: amount, available_margin: amount, vault_shares: "0" });
    }

    // 3. Signed vault deposit of all the LP's 50,000 with min_shares 1. Nobody
    // holds a position, so it is priced at once: the vault is empty (E = 0,
    // S = 0), shares = floor(amount * (S + V) / (E + 1)) with V =
    // default_shares_per_amount = 1,000,000: 50,000 * 1,000,000 = 50,000,000,000.
    // Deposits and unlocks share one sequence of request ids, from 1.
    step = "3 LP vault deposit";
    expectReply(await call("POST", "/v1/vault/deposit", { body: await vaultDepositBody(lp, "50000", "1") }), 200,
                { result: { ok: true, request_id: "1", shares_minted: "50000000000", pending: false } });
    expectReply(await account(lp), 200, { margin: "0", vault_shares: "50000000000", pending_deposits: [] });
    expectReply(await call("GET", "/v1/vault"), 200, {
        balance: "50000", share_supply: "50000000000", equity: "50000", pending_deposits: "0", backs_positions: true,
    });

    // 4. Signed unlock of a fifth of the LP's shares, 10,000,000,000. Still
    // nobody exposed: priced at once at floor(shares * (E + 1) / (S + V)) =
    // floor(1e10 * 50,001 / 50,001,000,000) = 10,000 exactly. Released after
    // the cooldown: end_time = the command's time + 86,400,000. The shares
    // leave the LP's balance and stay in the supply until released.
    step = "4 LP vault unlock";
    {
        const r = await call("POST", "/v1/vault/unlock", { body: await vaultUnlockBody(lp, "10000000000") });
        const endTime = inRange(r.before + COOLDOWN_MS, r.after + COOLDOWN_MS);
        expectReply(r, 200, {
            result: { ok: true, request_id: "2", shares: "10000000000", amount: "10000", end_time: endTime },
        });
        expectReply(await account(lp), 200, {
            vault_shares: "40000000000",
            unlocks: [{ request_id: "2", shares: "10000000000", amount: "10000", end_time: r.json.result.end_time }],
        });
        expectReply(await call("GET", "/v1/vault"), 200, { balance: "50000", share_supply: "50000000000" });
    }

    // 5. Alice's signed market buy of 10 with max_slippage 0.05, at skew 0
    // (K = 1,000): target = marginal 100 * 1.05 = 105; the fill is priced at
    // oracle * (2K + 2*skew + size) / 2K = 100 * 2010 / 2000 = 100.5 <= 105, so
    // it fills whole. Margin needed: ceil(10 * max(105, 100, 100.5) * 0.1) =
    // 105 of 10,000. Order ids start at 1; no fees: fee "0", margin unchanged.
    // Cost basis ceil(10 * 100.5) = 1005; unrealized PnL 10 * 100 - 1005 = -5;
    // used margin at the oracle ceil(10 * 100 * 0.1) = 100; available
    // min(10,000, equity 9,995) - 100 = 9,895.
    step = "5 market order";
    const marketOrder = await orderBody(alice, { size: "10", kind: "market", max_slippage: "0.05", reduce_only: false });
    expectReply(await call("POST", "/v1/orders", { body: marketOrder }), 200, {
        result: {
            ok: true, order_id: "1", filled: "10", exec_price: "100.5", rested: "0",
            events: [{ type: "fill", user: lower(alice), pair: PAIR, order_id: "1", size: "10", price: "100.5",
                       realized_pnl: "0", fee: "0", funding: "0" }],
        },
    });
    expectReply(await account(alice), 200, {
        margin: "10000", reserved_margin: "0", used_margin: "100", available_margin: "9895", equity: "9995",
        unrealized_pnl: "-5", positions: { [PAIR]: { size: "10", cost_basis: "1005", unrealized_pnl: "-5" } },
    });

    // 6. Alice's signed limit buy of 1 at 90 (reduce_only absent, signed as
    // false). At skew 10 a buy of 1 would fill at 100 * (2000 + 20 + 1) / 2000
    // = 101.05 > 90: nothing fills, the order rests (order 2) with margin
    // reserved at max(limit 90, oracle 100): ceil(1 * 100 * 0.1) = 10.
    step = "6 limit order rests";
    {
        const r = await call("POST", "/v1/orders", { body: await orderBody(alice, { size: "1", kind: "limit", price: "90" }) });
        expectReply(r, 200, {
            result: {
                ok: true, order_id: "2", filled: "0", exec_price: undefined, rested: "1",
                events: [{ type: "order_rested", user: lower(alice), pair: PAIR, order_id: "2", size: "1",
                           limit_price: "90", reduce_only: false, reserved_margin: "10",
                           created_at: inRange(r.before, r.after) }],
            },
        });
        expectReply(await account(alice), 200, { reserved_margin: "10", available_margin: "9885" });
    }

    // 7. Bob's signed limit buy of 5 at 90 rests (order 3): at skew 10 it would
    // fill at 100 * 2025 / 2000 = 101.25 > 90; reserved ceil(5 * 100 * 0.1) = 50.
    step = "7 limit order rests";
    expectReply(await call("POST", "/v1/orders", { body: await orderBody(bob, { size: "5", kind: "limit", price: "90" }) }),
                200, { result: { ok: true, order_id: "3", filled: "0", rested: "5" } });
    expectReply(await account(bob), 200, { margin: "10000", reserved_margin: "50", available_margin: "9950" });

    // 8. A tampered cancel: Bob signs the cancel of his order 3 and sends it to
    // /v1/orders/2 (Alice's). The order id is part of the signed message, so the
    // signature recovers another address: 401 wrong_signer, refused before the
    // engine (not journaled), and Alice's order stays.
    step = "8 tampered cancel";
    {
        const seq = await journalSeq();
        expectReply(await call("DELETE", "/v1/orders/2", { body: await cancelBody(bob, 3) }), 401, { code: "wrong_signer" });
        match(await journalSeq(), seq, "status.seq after a refused request");
        expectReply(await call("GET", `/v1/orders?trader=${lower(alice)}`), 200, { orders: [{ order_id: "2" }] });
    }

    // 9. Bob's signed cancel of order 3: it releases exactly its 50.
    step = "9 cancel one order";
    expectReply(await call("DELETE", "/v1/orders/3", { body: await cancelBody(bob, 3) }), 200, {
        result: {
            ok: true,
            events: [{ type: "order_canceled", user: lower(bob), pair: PAIR, order_id: "3", size: "5",
                       released_margin: "50", reason: "by_owner" }],
        },
    });
    expectReply(await account(bob), 200, { reserved_margin: "0", available_margin: "10000", open_orders: [] });

    // 10. Two more resting orders of Bob's, then one signed cancel-all.
    // Buy 1 at 95 (order 4): fills at 101.05 > 95, rests; reserved
    // ceil(1 * max(95, 100) * 0.1) = 10. Sell 1 at 110 (order 5): it would fill
    // at 100 * (2000 + 20 - 1) / 2000 = 100.95 < 110, rests; reserved
    // ceil(1 * max(110, 100) * 0.1) = 11. Cancel-all cancels 4 and 5 in
    // placement order and leaves Alice's order 2.
    step = "10 cancel all";
    expectReply(await call("POST", "/v1/orders", { body: await orderBody(bob, { size: "1", kind: "limit", price: "95" }) }),
                200, { result: { ok: true, order_id: "4", rested: "1" } });
    expectReply(await call("POST", "/v1/orders", { body: await orderBody(bob, { size: "-1", kind: "limit", price: "110" }) }),
                200, { result: { ok: true, order_id: "5", rested: "-1" } });
    expectReply(await account(bob), 200, { reserved_margin: "21" });
    expectReply(await call("DELETE", `/v1/orders?pair=${PAIR}`, { body: await cancelAllBody(bob) }), 200,
                { canceled: ["4", "5"] });
    expectReply(await account(bob), 200, { reserved_margin: "0", available_margin: "10000", open_orders: [] });
    expectReply(await call("GET", `/v1/orders?trader=${lower(alice)}`), 200, { orders: [{ order_id: "2" }] });

    // 11. Bob's signed withdrawal of 2,500: margin 10,000 -> 7,500, and the
    // withdrawal waits in the bridge's outbox under the command's sequence number.
    step = "11 withdrawal";
    const withdrawal = await withdrawBody(bob, "2500");
    {
        const r = await call("POST", "/v1/margin/withdraw", { body: withdrawal });
        const reply = expectReply(r, 200, { seq: (s) => Number.isInteger(s), result: { ok: true, events: [] } });
        expectReply(await account(bob), 200, { margin: "7500", available_margin: "7500" });
        expectReply(await call("GET", "/v1/admin/withdrawals?after=0", { auth: BRIDGE }), 200, {
            withdrawals: [{ id: String(reply.seq), trader: lower(bob), amount: "2500",
                           time: inRange(r.before, r.after) }],
            next_after: String(reply.seq),
        });
    }

    // 12. Refusals. None moves money or reaches the outbox; those refused
    // before the engine are not journaled (the sequence number stays).
    step = "12 refusals";
    {
        const seq = await journalSeq();
        // The same signed withdrawal again: its nonce is spent.
        expectReply(await call("POST", "/v1/margin/withdraw", { body: withdrawal }), 409, { code: "nonce_reused" });
        // Signed for 100, sent for 5,000.
        const tampered = { ...(await withdrawBody(bob, "100")), amount: "5000" };
        expectReply(await call("POST", "/v1/margin/withdraw", { body: tampered }), 401, { code: "wrong_signer" });
        // Alice's market order signed for size 1, sent for size 2.
        const bigger = { ...(await orderBody(alice, { size: "1", kind: "market", max_slippage: "0.05" })), size: "2" };
        expectReply(await call("POST", "/v1/orders", { body: bigger }), 401, { code: "wrong_signer" });
        // Alice's first market order again, byte for byte.
        expectReply(await call("POST", "/v1/orders", { body: marketOrder }), 409, { code: "nonce_reused" });
        // Signed for another chain: the domain is part of the digest.
        const otherChain = await withdrawBody(bob, "100", { domain: { ...DOMAIN, chainId: DOMAIN.chainId + 1n } });
        expectReply(await call("POST", "/v1/margin/withdraw", { body: otherChain }), 401, { code: "wrong_signer" });
        // Expired a second ago.
        const expired = await withdrawBody(bob, "100", { expiry: Date.now() - 1000 });
        expectReply(await call("POST", "/v1/margin/withdraw", { body: expired }), 401, { code: "request_expired" });
        match(await journalSeq(), seq, "status.seq after requests refused before the engine");

        // More than the 7,500 available: the engine refuses it (422); it is
        // journaled and spends its nonce, so sending it again is 409.
        const tooMuch = await withdrawBody(bob, "7501");
        expectReply(await call("POST", "/v1/margin/withdraw", { body: tooMuch }), 422,
                    { code: "insufficient_available_margin" });
        match(await journalSeq(), seq + 1, "status.seq after a request the engine refused");
        expectReply(await call("POST", "/v1/margin/withdraw", { body: tooMuch }), 409, { code: "nonce_reused" });

        expectReply(await account(bob), 200, { margin: "7500" });
        expectReply(await account(alice), 200, { positions: { [PAIR]: { size: "10" } } });
        const outbox = expectReply(await call("GET", "/v1/admin/withdrawals?after=0", { auth: BRIDGE }), 200);
        match(outbox.withdrawals.length, 1, "outbox length");
    }

    // 13. Alice's signed vault deposit of 1,000 (no min_shares, signed as "0").
    // She holds a position, so it waits for the next oracle update (pending,
    // request 3); the amount leaves her margin at once: 10,000 -> 9,000.
    step = "13 pending vault deposit";
    expectReply(await call("POST", "/v1/vault/deposit", { body: await vaultDepositBody(alice, "1000") }), 200,
                { result: { ok: true, request_id: "3", shares_minted: null, pending: true } });
    expectReply(await account(alice), 200,
                { margin: "9000", vault_shares: "0", pending_deposits: [{ request_id: "3", amount: "1000" }] });
    expectReply(await call("GET", "/v1/vault"), 200, { balance: "50000", pending_deposits: "1000" });

    // 14. An oracle update (100 again) prices it. The vault's equity for
    // minting (rounded up) is its balance 50,000 plus its side of Alice's
    // position, 1005 - 10 * 100 = 5, plus the slack of 2e-18 per position:
    // E = 50,005.000000000000000002. S = 50,000,000,000 (the unlocking shares
    // stay in the supply), V = 1,000,000:
    // shares = floor(1,000 * 50,001,000,000 / 50,006.000000000000000002)
    //        = floor(50,001,000,000,000 / 50,006.000000000000000002) = 999,900,011
    // (50,006 * 999,900,011 = 50,000,999,950,066, 49,934 short of the
    // numerator, and 49,934 < 50,006, so the slack cannot change the floor).
    // Alice's order at 90 does not fill (101.05 > 90).
    step = "14 oracle prices the deposit";
    expectReply(await call("POST", "/v1/oracle/prices", { body: { prices: { [PAIR]: "100" } }, auth: ORACLE }), 200, {
        result: {
            ok: true,
            events: [{ type: "liquidity_deposited", user: lower(alice), request_id: "3", amount: "1000",
                       shares: "999900011" }],
        },
    });
    expectReply(await account(alice), 200,
                { margin: "9000", vault_shares: "999900011", pending_deposits: [], open_orders: [{ order_id: "2" }] });
    // Balance 50,000 + 1,000; supply 50,000,000,000 + 999,900,011; equity
    // (rounded down) 51,000 + 5.
    expectReply(await call("GET", "/v1/vault"), 200, {
        balance: "51000", share_supply: "50999900011", pending_deposits: "0", unrealized_pnl: "5", equity: "51005",
        backs_positions: true,
    });

    // 15. Journaled: 2 from the configuration, then the oracle updates of steps
    // 1 and 14, 3 bridge deposits, the vault deposits of steps 3 and 13, the
    // unlock, 5 orders (1 each in steps 5, 6 and 7, 2 in step 10), the cancel
    // of step 9 and the 2 cancels of the cancel-all, the withdrawal, and the
    // withdrawal the engine refused in step 12:
    // 2 + 2 + 3 + 2 + 1 + 5 + 3 + 1 + 1 = 20. Reads are not journaled.
    step = "15 journal";
    match(await journalSeq(), 20, "status.seq at the end");

    console.log("e2e_signed_routes: every signed route checked");
}

try {
    await main();
} catch (e) {
    if (e instanceof Mismatch) {
        console.error(`e2e_signed_routes: FAILED at step ${step}: ${e.message}`);
    } else {
        console.error(`e2e_signed_routes: ERROR at step ${step}: ${e.stack ?? e}`);
    }
    process.exit(1);
}
