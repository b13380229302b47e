// Regression tests for the issue "Money safety": each finding as an attack
// or a careless sequence of legal commands, with the numbers worked out by
// hand beside the assertions. Each failed before its fix.
#include <gtest/gtest.h>

#include "api/command_decoder.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

// 004's market (K 1000, M 0.05, max OI 500, imr 0.05) at oracle 100, with a
// vault that can pay profits.
void spec_market_with_vault(Harness& h) { setup_spec_market(h); }

// ---------------------------------------------------------------------------
// Finding 1: opening a position with no margin.

TEST(MoneySafety, F1_MarketSellWithNoDepositIsRefused) {
    Harness h;
    spec_market_with_vault(h);
    // The target of a market sell with max_slippage 1 is 0, and so was its required margin.
    // Margin is now priced at the oracle at least: 400 * 100 * 0.05 = 2000 > 0 available.
    const Outcome market = h.submit_market("mallory", "BTC", "-400", "1");
    EXPECT_EQ(market.error, ErrorCode::InsufficientMargin);
    EXPECT_NE(market.message.find("requires margin 2000"), std::string::npos) << market.message;
    // The same with a limit sell at 0.000001.
    EXPECT_EQ(h.submit_limit("mallory", "BTC", "-400", "0.000001").error, ErrorCode::InsufficientMargin);
    EXPECT_EQ(h.position("mallory", "BTC"), Dec::zero());
    expect_oi(h, "0", "0", "0");
}

TEST(MoneySafety, F1_AnOpeningFillMustLeaveEquityAboveInitialMargin) {
    Harness h;
    spec_market_with_vault(h);
    // -400 from skew 0: the clamped premium averages -(50^2/2000 + 0.05 * 350) / 400 =
    // -(1.25 + 17.5) / 400 = -0.046875, exec 100 * 0.953125 = 95.3125. The short's cost basis is
    // floor(400 * 95.3125) = 38125, so at the oracle it is worth -40000 + 38125 = -1875 at once.
    // Equity D - 1875 must cover the initial margin 400 * 100 * 0.05 = 2000: D >= 3875.
    h.deposit_margin("mallory", "3874");
    const Outcome refused = h.submit_market("mallory", "BTC", "-400", "1");
    EXPECT_EQ(refused.error, ErrorCode::InsufficientMargin);
    EXPECT_NE(refused.message.find("equity 1999 "), std::string::npos) << refused.message;
    EXPECT_TRUE(h.events().empty());
    h.deposit_margin("mallory", "1");
    const Outcome filled = h.submit_market("mallory", "BTC", "-400", "1");
    ASSERT_TRUE(filled.ok()) << filled.message;
    EXPECT_EQ(submit_reply(filled).exec_price, std::optional(dec("95.3125")));
    EXPECT_EQ(h.user("mallory").equity, dec("2000"));
    EXPECT_EQ(h.user("mallory").used_margin, amt("2000"));
}

TEST(MoneySafety, F1_ARestingSellIsReservedAtTheOracleNotItsLimit) {
    Harness h;
    spec_market_with_vault(h);
    // Fill the short side (max OI 500) so that a new sell cannot fill and rests.
    h.open_position("whale", "BTC", "-500");
    h.deposit_margin("mallory", "1999");
    // Limit sell -400 at 0.000001 rests (OI); its margin is priced at the oracle, 100:
    // 400 * 100 * 0.05 = 2000 > 1999.
    EXPECT_EQ(h.submit_limit("mallory", "BTC", "-400", "0.000001").error, ErrorCode::InsufficientMargin);
    h.deposit_margin("mallory", "1");
    const Outcome rested = h.submit_limit("mallory", "BTC", "-400", "0.000001");
    ASSERT_TRUE(rested.ok()) << rested.message;
    EXPECT_EQ(submit_reply(rested).rested, dec("-400"));
    EXPECT_EQ(h.user("mallory").reserved_margin, amt("2000"));
}

TEST(MoneySafety, F1_ARestingFillThatWouldLeaveTheAccountShortIsCanceled) {
    Harness h;
    spec_market_with_vault(h);
    // Alice holds +100 (opened at 100 exactly after an offset of -50) and rests a sell of -100 at
    // 101, which only closes: it reserves nothing. Then she closes the +100 at market and
    // withdraws everything: the resting sell would now open a short with no margin behind it.
    h.deposit_margin("alice", "600");
    h.open_position("offset", "BTC", "-50");
    ASSERT_EQ(submit_reply(h.submit_limit("alice", "BTC", "100", "100")).exec_price, std::optional(dec("100")));
    const OrderId sell = submit_reply(h.submit_limit("alice", "BTC", "-100", "101")).order_id;
    EXPECT_EQ(h.user("alice").reserved_margin, amt("0"));
    ASSERT_TRUE(h.submit_market("alice", "BTC", "-100", "0.1").ok());
    ASSERT_EQ(h.position("alice", "BTC"), Dec::zero());
    const Amount left = h.user("alice").margin;
    ASSERT_TRUE(h.withdraw_margin("alice", to_string(left)).ok());
    // The oracle rises to 110. At the offset's skew of -50 the marginal price is 110 * 0.95 =
    // 104.5 >= 101, and -100 from -50 to -150 fills at 104.5 (flat beyond the clamp): but with no
    // margin the short (cost 10450, worth -11000 at once) leaves equity -550 < its initial
    // margin 550, so the order is canceled instead.
    h.oracle({{"BTC", "110"}});
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    const auto canceled = events_of<OrderCanceledEvent>(h.events());
    ASSERT_EQ(canceled.size(), 1u);
    EXPECT_EQ(canceled[0].order_id, sell);
    EXPECT_EQ(canceled[0].reason, CancelReason::InsufficientMargin);
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    EXPECT_TRUE(h.pair("BTC").asks.empty());
}

// ---------------------------------------------------------------------------
// Finding 2: splitting an order beats the premium clamp.

TEST(MoneySafety, F2_SellingInPiecesAndBuyingBackInOneGainsNothing) {
    Harness h;
    spec_market_with_vault(h);
    h.deposit_margin("mallory", "100000");
    const Amount before = h.user("mallory").margin;
    // 100 sells of -1 from skew 0 to -100, then one buy of +100 back to 0. Under the spec's
    // clamp of the average premium the buy-back was priced at clamp(-50/1000) = -0.05, 95,
    // while the sells below -50 were at 95 and those above at 97.5 on average: a gain of
    // oracle * M^2 * K / 2 = 100 * 0.0025 * 1000 / 2 = 125 per cycle. With the average of the
    // clamped premium the buy-back costs (0.05 * 50 + 50^2/2000) / 100 = 0.0375 below the oracle,
    // 96.25, exactly what the pieces brought in (4875 + 4750 = 9625 = 100 * 96.25), less rounding.
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(h.submit_market("mallory", "BTC", "-1", "1").ok());
    const Outcome back = h.submit_market("mallory", "BTC", "100", "1");
    ASSERT_TRUE(back.ok()) << back.message;
    EXPECT_EQ(submit_reply(back).exec_price, std::optional(dec("96.25")));
    ASSERT_EQ(h.position("mallory", "BTC"), Dec::zero());
    const Amount after = h.user("mallory").margin;
    EXPECT_LE(after, before);
    // Each of the 100 short openings floors its proceeds to a base unit: at most 100 lost.
    EXPECT_GE(after + amt("100"), before);
}

// ---------------------------------------------------------------------------
// Finding 3: a position that uses all its margin cannot be closed.

TEST(MoneySafety, F3_ClosingNeverNeedsAvailableMargin) {
    Harness h;
    PairParams p{dec("1000"), dec("0"), dec("1000000"), dec("0.1")};
    p.taker_fee_rate = dec("0.001");
    p.maker_fee_rate = dec("0.001");  // a close moves the skew toward 0: the maker part
    ASSERT_TRUE(h.run(SetPair{name("BTC"), p}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "1000000");
    // +100 at 100: initial margin 1000 plus the fee ceil(100 * 100 * 0.001) = 10.
    h.deposit_margin("alice", "1010");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());
    EXPECT_EQ(h.user("alice").margin, amt("1000"));
    EXPECT_EQ(h.user("alice").available_margin, amt("0"));
    // A reduce-only close was refused "requires margin 10, available 0"; its fee of 10 now comes
    // out of the settlement: margin 1000 - 10 = 990.
    const Outcome close = h.submit_market("alice", "BTC", "-100", "0", /*reduce_only=*/true);
    ASSERT_TRUE(close.ok()) << close.message;
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    EXPECT_EQ(h.user("alice").margin, amt("990"));
    // The same close without reduce-only: open again (990 = 900 + 9 + 81 spare) and close.
    ASSERT_TRUE(h.submit_market("alice", "BTC", "90", "0").ok());  // fee 9
    EXPECT_EQ(h.user("alice").margin, amt("981"));
    ASSERT_TRUE(h.withdraw_margin("alice", "81").ok());
    EXPECT_EQ(h.user("alice").available_margin, amt("0"));
    ASSERT_TRUE(h.submit_market("alice", "BTC", "-90", "0").ok());
    EXPECT_EQ(h.user("alice").margin, amt("891"));  // 900 - fee 9
}

// ---------------------------------------------------------------------------
// Finding 8: orders blocked by the OI cap rescanned at every oracle update.

TEST(MoneySafety, F8_OrdersBlockedByMaxOiAreParkedUntilThereIsRoom) {
    Harness h;
    setup_spec_market(h);                    // max OI 500 a side
    h.open_position("whale", "BTC", "500");  // the long side is full
    // 300 buyers each rest a buy of 1 at 110: it crosses (marginal 105 at the clamp) but the cap
    // blocks it. Placed while the oracle is 200 so that nothing crosses at placement.
    h.oracle({{"BTC", "200"}});
    for (int i = 0; i < 300; ++i) {
        const std::string user = "buyer" + std::to_string(i);
        h.deposit_margin(user, "1000");
        ASSERT_EQ(submit_reply(h.submit_limit(user, "BTC", "1", "110")).rested, dec("1"));
    }
    const PairId btc = *h.engine.find_pair(name("BTC"));
    // The first update that crosses them tries each once and parks it.
    h.oracle({{"BTC", "100"}});
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    EXPECT_EQ(h.engine.book().best(btc, Side::Bid), kNoSlot) << "every blocked order is parked";
    EXPECT_EQ(h.pair("BTC").bids.size(), 300u) << "parked orders are still in the book";
    // Later updates walk nothing: the priority walk starts empty.
    h.oracle({{"BTC", "99"}});
    EXPECT_EQ(h.engine.book().best(btc, Side::Bid), kNoSlot);
    // The whale closes 2: room for 2, so the first two (by price, then time) come back and fill;
    // the other 298 are not walked.
    ASSERT_TRUE(h.submit_market("whale", "BTC", "-2", "1").ok());
    h.oracle({{"BTC", "99"}});
    const auto fills = events_of<FillEvent>(h.events());
    ASSERT_EQ(fills.size(), 2u);
    EXPECT_EQ(fills[0].user, *h.engine.find_user(name("buyer0")));
    EXPECT_EQ(fills[1].user, *h.engine.find_user(name("buyer1")));
    EXPECT_EQ(h.pair("BTC").bids.size(), 298u);
    EXPECT_EQ(h.engine.book().best(btc, Side::Bid), kNoSlot) << "the rest stayed parked";
    // A cancel of a parked order releases its margin like any other.
    const OrderId id = h.pair("BTC").bids.back().order_id;
    ASSERT_TRUE(h.cancel("buyer299", "BTC", id).ok());
    EXPECT_EQ(h.user("buyer299").reserved_margin, amt("0"));
}

// ---------------------------------------------------------------------------
// Finding 9: overflow stops the engine.

TEST(MoneySafety, F9a_AReadOfATinyPositionSucceedsWithUnknownFiguresNull) {
    Harness h;
    PairParams p{dec("1000"), dec("0"), dec("1000000"), dec("0.05")};
    p.maintenance_margin_ratio = dec("0.025");
    ASSERT_TRUE(h.run(SetPair{name("BTC"), p}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "1000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "0.000000000000000001", "0").ok());
    // The liquidation-price estimate divides by the size (1e-18): about 1000 / 1e-18, beyond
    // the number range. The read succeeds; that figure is null, the others are there.
    const Outcome read = h.run(QueryUser{name("alice")});
    ASSERT_TRUE(read.ok()) << read.message;
    const UserView& view = std::get<UserView>(read.reply);
    ASSERT_EQ(view.positions.size(), 1u);
    EXPECT_FALSE(view.positions[0].liquidation_price.has_value());
    EXPECT_TRUE(view.equity.has_value());
    EXPECT_EQ(view.used_margin, std::optional(amt("1")));  // ceil(1e-18 * 100 * 0.05)
}

TEST(MoneySafety, F9b_MoneyBeyondTheCeilingIsRefusedAtTheDoor) {
    Harness h;
    // Every amount must convert to a Dec (about 1.7e20): the exchange holds at most 1e20.
    EXPECT_EQ(h.run(DepositMargin{name("a"), amt("170000000000000000000")}).error, ErrorCode::TooLarge);
    h.deposit_margin("a", "100000000000000000000");  // exactly the ceiling
    EXPECT_EQ(h.run(DepositMargin{name("b"), amt("1")}).error, ErrorCode::TooLarge);
    ASSERT_TRUE(h.withdraw_margin("a", "1").ok());
    h.deposit_margin("b", "1");
    // And every read of these accounts succeeds.
    EXPECT_TRUE(h.run(QueryUser{name("a")}).ok());
    EXPECT_TRUE(h.run(QueryVault{}).ok());
}

TEST(MoneySafety, F9c_SizesAndPricesBeyondTheCeilingsAreRefusedAtTheDoor) {
    Harness h;
    spec_market_with_vault(h);
    h.deposit_margin("mallory", "1000");
    // The resting sell of -170141183460469231731.687303715884105728 (the smallest 128-bit raw
    // value) whose later negation aborted the engine after its commit point.
    EXPECT_EQ(h.submit_limit("mallory", "BTC", "-170141183460469231731.687303715884105728", "1000").error,
              ErrorCode::TooLarge);
    EXPECT_EQ(h.submit_limit("mallory", "BTC", "-1000000000000000.000000000000000001", "1000").error,
              ErrorCode::TooLarge);
    EXPECT_EQ(h.submit_limit("mallory", "BTC", "1", "1000000000000000.000000000000000001").error, ErrorCode::TooLarge);
    EXPECT_EQ(h.run(OracleUpdate{{{name("BTC"), dec("1000000000000000.000000000000000001")}}}).error,
              ErrorCode::TooLarge);
    PairParams huge{dec("1000"), dec("0.05"), dec("1000000000000000.000000000000000001"), dec("0.05")};
    EXPECT_EQ(h.run(SetPair{name("HUGE"), huge}).error, ErrorCode::InvalidInput);
}

// ---------------------------------------------------------------------------
// Finding 10: set_pair on an existing pair reset omitted risk parameters to 0.

TEST(MoneySafety, F10_SetPairKeepsTheParametersItDoesNotGive) {
    Harness h;
    ballast::api::CommandDecoder decoder;
    auto run_json = [&](std::string_view line) {
        Command command;
        std::string error;
        EXPECT_TRUE(decoder.decode(line, command, error)) << error;
        return h.engine.apply(command);
    };
    ASSERT_TRUE(run_json(R"({"cmd":"set_pair","pair":"BTC","skew_scale":"1000","max_abs_premium":"0.05",)"
                         R"("max_abs_oi":"500","initial_margin_ratio":"0.05","maintenance_margin_ratio":"0.025",)"
                         R"("taker_fee_rate":"0.001"})")
                    .ok());
    // Changing the taker fee alone leaves liquidation on (it was turned off before the fix).
    ASSERT_TRUE(run_json(R"({"cmd":"set_pair","pair":"BTC","taker_fee_rate":"0.002"})").ok());
    const PairParams p = h.pair("BTC").params;
    EXPECT_EQ(p.taker_fee_rate, dec("0.002"));
    EXPECT_EQ(p.maintenance_margin_ratio, dec("0.025"));
    EXPECT_EQ(p.skew_scale, dec("1000"));
    EXPECT_EQ(p.initial_margin_ratio, dec("0.05"));
    // A new pair still needs the spec's four.
    const Outcome missing = run_json(R"({"cmd":"set_pair","pair":"ETH","skew_scale":"1000"})");
    EXPECT_EQ(missing.error, ErrorCode::InvalidInput);
    EXPECT_NE(missing.message.find("max_abs_premium"), std::string::npos) << missing.message;
    // And the merged parameters are validated as a whole: mmr may not reach imr.
    EXPECT_EQ(run_json(R"({"cmd":"set_pair","pair":"BTC","initial_margin_ratio":"0.02"})").error,
              ErrorCode::InvalidInput);
}

// ---------------------------------------------------------------------------
// Finding 4: LP entry and exit timed against known price moves and traders.

// Skew pricing off (fills at the oracle), 10x leverage, no liquidation, no cooldown.
void flat_vault_market(Harness& h) {
    ASSERT_TRUE(h.run(SetPair{name("BTC"), PairParams{dec("1000"), dec("0"), dec("1000000"), dec("0.1")}}).ok());
    h.set_cooldown(0);
    h.oracle({{"BTC", "100"}});
}

TEST(MoneySafety, F4a_DepositingBeforeAKnownMoveAndLeavingAfterItEarnsNothing) {
    Harness h;
    flat_vault_market(h);
    h.fund_vault("lp", "10000");  // 1e10 shares
    h.deposit_margin("alice", "2000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());  // long 100 at 100
    // Mallory knows the oracle will print 90 (alice loses 1000 to the vault). She deposits just
    // before; the spec priced it at equity 10000 and let her unlock 10500 right after.
    h.deposit_margin("mallory", "10000");
    ASSERT_TRUE(h.run(DepositLiquidity{name("mallory"), amt("10000"), std::nullopt}).ok());
    h.oracle({{"BTC", "90"}});
    // Priced after the move: equity 10000 + 1000 (collectable: alice's margin covers it), shares
    // floor(10000 * (1e10 + 1e6) / (11000 + 1)) = 9090991728.
    EXPECT_EQ(h.user("mallory").vault_shares, amt("9090991728"));
    ASSERT_TRUE(h.run(UnlockLiquidity{name("mallory"), amt("9090991728")}).ok());
    h.oracle({{"BTC", "90"}});
    // Priced and released at equity 21000: floor(9090991728 * 21001 / (19090991728 + 1e6)) = 9999.
    const auto released = events_of<LiquidityReleasedEvent>(h.events());
    ASSERT_EQ(released.size(), 1u);
    EXPECT_EQ(released[0].amount, amt("9999"));
    EXPECT_EQ(h.user("mallory").margin, amt("9999"));  // put in 10000: no gain
}

TEST(MoneySafety, F4b_AnLpCannotLeaveWithWhatWinningTradersAreOwed) {
    Harness h;
    flat_vault_market(h);
    h.fund_vault("lp", "10000");  // 1e10 shares
    h.deposit_margin("alice", "2000");
    h.deposit_margin("bob", "7000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());
    ASSERT_TRUE(h.submit_market("bob", "BTC", "-100", "0").ok());
    // At 150 alice is owed 5000 and bob owes 5000 (his margin covers it): equity stays 10000, but
    // the balance holds 10000 of which alice's 5000 is not the LP's to take.
    h.oracle({{"BTC", "150"}});
    ASSERT_TRUE(h.run(UnlockLiquidity{name("lp"), amt("10000000000")}).ok());
    h.oracle({{"BTC", "150"}});
    // Priced at floor(1e10 * 10001 / (1e10 + 1e6)) = 10000, but the vault may pay only
    // 10000 - ceil(5000 + 4e-18) = 4999 while alice is owed 5000: the release waits.
    const auto priced = events_of<UnlockPricedEvent>(h.events());
    ASSERT_EQ(priced.size(), 1u);
    EXPECT_EQ(priced[0].amount, amt("10000"));
    EXPECT_TRUE(events_of<LiquidityReleasedEvent>(h.events()).empty());
    // Alice closes and is paid in full (the spec paid the LP first and left her 5000 short).
    ASSERT_TRUE(h.submit_market("alice", "BTC", "-100", "0", /*reduce_only=*/true).ok());
    EXPECT_TRUE(events_of<VaultShortfallEvent>(h.events()).empty());
    EXPECT_EQ(h.user("alice").margin, amt("7000"));
    ASSERT_TRUE(h.submit_market("bob", "BTC", "100", "0", /*reduce_only=*/true).ok());
    EXPECT_EQ(h.user("bob").margin, amt("2000"));
    // Nobody is exposed now: the next command pays the LP first, 10000 (worth 10000 now too).
    h.oracle({{"BTC", "150"}});
    ASSERT_EQ(events_of<LiquidityReleasedEvent>(h.events()).size(), 1u);
    EXPECT_EQ(h.user("lp").margin, amt("10000"));
    EXPECT_EQ(h.vault().balance, amt("0"));
}

TEST(MoneySafety, F4c_VaultEquityCountsLossesOnlyAsFarAsMarginPaysThem) {
    Harness h;
    flat_vault_market(h);
    h.fund_vault("lp", "10000");
    h.deposit_margin("alice", "1100");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());
    // A new LP asks to deposit 1110; alice is exposed, so it waits for the next oracle update.
    h.deposit_margin("lp2", "1110");
    ASSERT_TRUE(h.run(DepositLiquidity{name("lp2"), amt("1110"), std::nullopt}).ok());
    // At 50 alice has lost 5000 with 1100 of margin: 3900 can never be collected.
    h.oracle({{"BTC", "50"}});
    // The new LP is priced on 10000 + 1100 = 11100, not 15000: floor(1110 * (1e10 + 1e6) / 11101)
    // = 1000009909 shares (on 15000 it would get 7.4e8, and the old LP would own what cannot be
    // collected).
    EXPECT_EQ(h.user("lp2").vault_shares, amt("1000009909"));
    const VaultView vault = h.vault();
    EXPECT_EQ(vault.unrealized_pnl, std::optional(dec("5000")));
    EXPECT_EQ(vault.uncollectable, dec("3900"));
    EXPECT_EQ(vault.equity, std::optional(dec("12210")));  // 11100 + the 1110 just deposited
}

TEST(MoneySafety, F4d_NothingThatDependsOnAStalePriceLeavesTheExchange) {
    Harness h;
    ASSERT_TRUE(h.run(SetPair{name("BTC"), PairParams{dec("1000"), dec("0"), dec("1000000"), dec("0.1")}}).ok());
    ASSERT_TRUE(h.run(SetParams{.vault_cooldown_ms = 0, .max_oracle_age_ms = 1000}).ok());
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp1", "5000");  // 5e9 shares each
    h.fund_vault("lp2", "5000");
    h.deposit_margin("alice", "1100");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0", false, 0).ok());  // long 100 at 100
    // At 5000 the price is stale. Alice's account depends on it: no withdrawal, no vault deposit.
    EXPECT_EQ(h.run(WithdrawMargin{name("alice"), amt("1")}, 5000).error, ErrorCode::StaleOracle);
    EXPECT_EQ(h.run(DepositLiquidity{name("alice"), amt("1"), std::nullopt}, 5000).error, ErrorCode::StaleOracle);
    // An account without positions depends on no price.
    h.deposit_margin("carol", "10");
    EXPECT_TRUE(h.run(WithdrawMargin{name("carol"), amt("10")}, 5000).ok());
    // lp1 asks to leave while the price is stale: accepted, priced only on a fresh price.
    ASSERT_TRUE(h.run(UnlockLiquidity{name("lp1"), amt("5000000000")}, 5000).ok());
    EXPECT_TRUE(h.user("lp1").unlocks.front().amount.is_zero());
    // The fresh price is 150: alice is owed 5000 and the vault is worth 5000. lp1 gets half,
    // floor(5e9 * 5001 / (1e10 + 1e6)) = 2500 (the spec paid 5000 on the stale equity and left lp2
    // nothing), which the vault can pay: 10000 - ceil(5000 + 2e-18) = 4999 >= 2500.
    h.oracle({{"BTC", "150"}}, 5001);
    ASSERT_EQ(events_of<LiquidityReleasedEvent>(h.events()).size(), 1u);
    EXPECT_EQ(h.user("lp1").margin, amt("2500"));
    EXPECT_EQ(h.vault().equity, std::optional(dec("2500")));  // lp2's half
}

// ---------------------------------------------------------------------------
// Finding 5: first-depositor share inflation.

TEST(MoneySafety, F5_InflatingTheSharePriceCostsTheAttackerNotTheNextDepositor) {
    Harness h;
    h.set_cooldown(0);
    // Mallory deposits 2 (2e6 shares) and burns all but one share:
    // floor(1999999 * (2 + 1) / (2e6 + 1e6)) = 1 comes back; the vault keeps 1 with 1 share.
    EXPECT_EQ(h.fund_vault("mallory", "2"), amt("2000000"));
    ASSERT_TRUE(h.run(UnlockLiquidity{name("mallory"), amt("1999999")}).ok());
    EXPECT_EQ(h.user("mallory").margin, amt("1"));
    EXPECT_EQ(h.vault().share_supply, amt("1"));
    // She inflates the vault with 15000 (a donation here; fees or losses alike).
    h.deposit_margin("mallory", "15000");
    ASSERT_TRUE(h.run(FundVault{name("mallory"), amt("15000")}).ok());
    EXPECT_EQ(h.vault().balance, amt("15001"));
    // The victim's 15000 mints floor(15000 * (1 + 1e6) / (15001 + 1)) = 999867 shares, not 1,
    // and is worth floor(999867 * (30001 + 1) / (999868 + 1e6)) = 14999 at once.
    EXPECT_EQ(h.fund_vault("victim", "15000"), amt("999867"));
    ASSERT_TRUE(h.run(UnlockLiquidity{name("victim"), amt("999867")}).ok());
    EXPECT_EQ(h.user("victim").margin, amt("14999"));
    // Mallory's one share is worth floor(30002 / 1999868) = 0: the attack cost her 15001.
    EXPECT_EQ(h.run(UnlockLiquidity{name("mallory"), amt("1")}).error, ErrorCode::NothingToDo);
}

// ---------------------------------------------------------------------------
// Finding 6: the vault's money from nowhere, to nowhere.

TEST(MoneySafety, F6_VaultDepositsComeFromMarginAndReleasesGoBackToIt) {
    Harness h;
    h.set_cooldown(100);
    // A new key with no funds mints nothing.
    EXPECT_EQ(h.run(DepositLiquidity{name("0xnew"), amt("1000"), std::nullopt}).error,
              ErrorCode::InsufficientAvailableMargin);
    EXPECT_EQ(h.vault().share_supply, amt("0"));
    h.deposit_margin("lp", "1000");
    ASSERT_TRUE(h.run(DepositLiquidity{name("lp"), amt("1000"), std::nullopt}, 0).ok());
    EXPECT_EQ(h.user("lp").margin, amt("0"));
    ASSERT_TRUE(h.run(UnlockLiquidity{name("lp"), amt("1000000000")}, 0).ok());
    // At 100 the release reaches the LP's margin, and can be withdrawn from there.
    ASSERT_TRUE(h.run(QueryVault{}, 100).ok());
    EXPECT_EQ(h.user("lp").margin, amt("1000"));
    EXPECT_TRUE(h.withdraw_margin("lp", "1000").ok());
    EXPECT_EQ(h.engine.money_in(), amt("0"));
}

// ---------------------------------------------------------------------------
// Finding 7: auto-deleveraging.

TEST(MoneySafety, F7a_NoAutoDeleveragingOnAStalePrice) {
    Harness h;
    ASSERT_TRUE(h.run(SetPair{name("BTC"), PairParams{dec("1000"), dec("0"), dec("1000000"), dec("0.1")}}).ok());
    ASSERT_TRUE(h.run(SetParams{.max_oracle_age_ms = 1000, .adl_trigger_ratio = dec("1")}).ok());
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp", "1000");
    h.deposit_margin("alice", "1000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0", false, 0).ok());
    EXPECT_EQ(h.run(ForceClose{name("alice"), name("admin")}, 5000).error, ErrorCode::StaleOracle);
    EXPECT_EQ(h.position("alice", "BTC"), dec("10"));
}

TEST(MoneySafety, F7b_OffsettingPositionsDoNotTriggerAutoDeleveraging) {
    Harness h;
    ASSERT_TRUE(h.run(SetPair{name("BTC"), PairParams{dec("1000"), dec("0"), dec("1000000"), dec("0.1")}}).ok());
    ASSERT_TRUE(h.run(SetParams{.adl_trigger_ratio = dec("0.5")}).ok());
    h.oracle({{"BTC", "2"}});
    h.fund_vault("lp", "20000");
    // +40000 and -40000 at 2: 160,000 of open interest, no exposure for the vault. The spec's
    // trigger (equity 20000 < 0.5 * OI notional 160,800) deleveraged carol's small profit.
    h.deposit_margin("a", "10000");
    h.deposit_margin("b", "10000");
    h.deposit_margin("carol", "100");
    ASSERT_TRUE(h.submit_market("a", "BTC", "40000", "0").ok());
    ASSERT_TRUE(h.submit_market("b", "BTC", "-40000", "0").ok());
    ASSERT_TRUE(h.submit_market("carol", "BTC", "100", "0").ok());
    // At 2.01: a is owed 400, carol 1, b owes 400 (collectable). Equity 20000 + 400 - 401 = 19999,
    // far above 0.5 * 401: nobody is deleveraged.
    h.oracle({{"BTC", "2.01"}});
    EXPECT_TRUE(events_of<ForceCloseEvent>(h.events()).empty());
    EXPECT_EQ(h.position("carol", "BTC"), dec("100"));
}

TEST(MoneySafety, F7c_AnEmptiedVaultBacksNoNewPositionUntilItIsRecapitalized) {
    Harness h;
    ASSERT_TRUE(h.run(SetPair{name("BTC"), PairParams{dec("1000"), dec("0"), dec("1000000"), dec("0.1")}}).ok());
    ASSERT_TRUE(h.run(SetParams{.adl_trigger_ratio = dec("0.05")}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "1000");
    h.deposit_margin("alice", "1000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0").ok());
    // At 250 alice is owed 1500 against a vault of 1000: equity -500 < 0.05 * 1500. ADL closes
    // her, the vault pays what it has, 1000, and 500 is a shortfall. The vault is empty.
    h.oracle({{"BTC", "250"}});
    ASSERT_EQ(events_of<ForceCloseEvent>(h.events()).size(), 1u);
    EXPECT_TRUE(the_one<ForceCloseEvent>(h.events()).is_adl);
    EXPECT_EQ(h.vault().balance, amt("0"));
    EXPECT_FALSE(h.vault().backs_positions);
    h.deposit_margin("bob", "1000");
    EXPECT_EQ(h.submit_market("bob", "BTC", "1", "0").error, ErrorCode::VaultInsolvent);
    // Deposits are not refused forever: the virtual unit prices them, and the new LP owns nearly
    // all: 100 * (1e9 + 1e6) / (0 + 1) shares against the old 1e9.
    EXPECT_EQ(h.fund_vault("lp2", "100"), amt("100100000000"));
    EXPECT_TRUE(h.vault().backs_positions);
    EXPECT_TRUE(h.submit_market("bob", "BTC", "1", "0").ok());
}

TEST(MoneySafety, F7c_TheTreasuryCanRecapitalizeTheVault) {
    Harness h;
    PairParams p{dec("1000"), dec("0"), dec("1000000"), dec("0.1")};
    p.taker_fee_rate = dec("0.01");
    p.maker_fee_rate = dec("0.01");
    ASSERT_TRUE(h.run(SetPair{name("BTC"), p}).ok());
    ASSERT_TRUE(h.run(SetParams{.protocol_fee_share = dec("1")}).ok());  // every fee to the treasury
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100");
    h.deposit_margin("alice", "2000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());  // fee 100 to the treasury
    EXPECT_EQ(h.vault().treasury, amt("100"));
    h.oracle({{"BTC", "110"}});  // alice is owed 1000: equity 100 - 1000 < 0
    EXPECT_FALSE(h.vault().backs_positions);
    EXPECT_EQ(h.run(FundVault{std::nullopt, amt("101")}).error, ErrorCode::InsufficientAvailableMargin);
    // The treasury's 100 and an operator's 900 bring equity back to 100 + 100 + 900 - 1000 = 100.
    ASSERT_TRUE(h.run(FundVault{std::nullopt, amt("100")}).ok());
    h.deposit_margin("operator", "900");
    ASSERT_TRUE(h.run(FundVault{name("operator"), amt("900")}).ok());
    EXPECT_EQ(h.vault().treasury, amt("0"));
    EXPECT_EQ(h.vault().equity, std::optional(dec("100")));
    EXPECT_TRUE(h.vault().backs_positions);
    EXPECT_EQ(h.user("lp").vault_shares, amt("100000000")) << "no shares for a recapitalization";
}

}  // namespace
