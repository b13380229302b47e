// The liquidity vault's rules on worked examples (docs/SPEC-NOTES.md, "The
// vault"): deposits draw on margin; they and unlocks are priced at once while
// nobody holds a position, otherwise at the next oracle update that reprices
// every pair with open interest; shares carry one virtual base unit and
// default_shares_per_amount virtual shares; a release pays the lesser of the
// value when priced and the value at release, to margin, once the vault can
// pay it and still pay every winning trader.
//
// Share arithmetic used below, with E the vault's equity and S its supply:
//   minted = floor(amount * (S + 1e6) / (E + 1)),  value = floor(shares * (E + 1) / (S + 1e6)).
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

// Skew pricing off (every fill at the oracle), 10x leverage, no liquidation.
void flat_market(Harness& h, std::string_view pair = "BTC") {
    ASSERT_TRUE(h.run(SetPair{name(pair), PairParams{dec("1000"), dec("0"), dec("1000000"), dec("0.1")}}).ok());
}

const DepositLiquidityReply& deposit_reply(const Outcome& o) { return std::get<DepositLiquidityReply>(o.reply); }
const UnlockLiquidityReply& unlock_reply(const Outcome& o) { return std::get<UnlockLiquidityReply>(o.reply); }

TEST(VaultRules, DepositsDrawOnMarginAndArePricedAtOnceWhileNobodyIsExposed) {
    Harness h;
    // No margin, no deposit.
    EXPECT_EQ(h.run(DepositLiquidity{name("lp1"), amt("1000"), std::nullopt}).error,
              ErrorCode::InsufficientAvailableMargin);
    // Empty vault: 1000 * (0 + 1e6) / (0 + 1) = 1e9, out of lp1's margin.
    EXPECT_EQ(h.fund_vault("lp1", "1000"), amt("1000000000"));
    EXPECT_EQ(h.user("lp1").margin, amt("0"));
    EXPECT_EQ(h.vault().balance, amt("1000"));
    // 500 * (1e9 + 1e6) / (1000 + 1) = 500 * 1e6 = 5e8.
    EXPECT_EQ(h.fund_vault("lp2", "500"), amt("500000000"));
    // min_shares_to_mint: 1 unit mints 1 * (1.5e9 + 1e6) / 1501 = 1e6; asking more is refused outright.
    h.deposit_margin("lp3", "1");
    EXPECT_EQ(h.run(DepositLiquidity{name("lp3"), amt("1"), amt("1000001")}).error, ErrorCode::TooFewShares);
    EXPECT_EQ(h.user("lp3").margin, amt("1"));
    const Outcome ok = h.run(DepositLiquidity{name("lp3"), amt("1"), amt("1000000")});
    ASSERT_TRUE(ok.ok()) << ok.message;
    EXPECT_EQ(deposit_reply(ok).shares_minted, std::optional(amt("1000000")));
    const auto minted = events_of<LiquidityDepositedEvent>(h.events());
    ASSERT_EQ(minted.size(), 1u);
    EXPECT_EQ(minted[0].shares, amt("1000000"));
    EXPECT_EQ(h.run(UnlockLiquidity{name("lp3"), amt("1000001")}).error, ErrorCode::InsufficientShares);
    EXPECT_EQ(h.run(UnlockLiquidity{name("nobody"), amt("1")}).error, ErrorCode::InsufficientShares);
}

TEST(VaultRules, DefaultSharesPerAmountIsTheVirtualShares) {
    Harness h;
    ASSERT_TRUE(h.run(SetParams{std::nullopt, std::nullopt, amt("5")}).ok());
    EXPECT_EQ(h.fund_vault("lp", "100"), amt("500"));  // 100 * (0 + 5) / (0 + 1)
}

TEST(VaultRules, WhileTradersAreExposedADepositWaitsForEveryPairWithInterestToBeRepriced) {
    Harness h;
    flat_market(h, "BTC");
    flat_market(h, "ETH");
    h.oracle({{"BTC", "100"}, {"ETH", "10"}});
    h.fund_vault("lp", "10000");  // 1e10 shares
    h.deposit_margin("alice", "2000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0").ok());
    ASSERT_TRUE(h.submit_market("alice", "ETH", "10", "0").ok());
    h.deposit_margin("lp2", "1000");
    const Outcome pending = h.run(DepositLiquidity{name("lp2"), amt("1000"), std::nullopt});
    ASSERT_TRUE(pending.ok()) << pending.message;
    EXPECT_FALSE(deposit_reply(pending).shares_minted.has_value());
    EXPECT_EQ(h.user("lp2").margin, amt("0"));
    EXPECT_EQ(h.vault().pending_deposits, amt("1000"));
    ASSERT_EQ(h.user("lp2").pending_deposits.size(), 1u);
    // A BTC price alone does not reprice the vault: ETH has open interest too.
    h.oracle({{"BTC", "110"}});
    EXPECT_TRUE(events_of<LiquidityDepositedEvent>(h.events()).empty());
    // Now both are repriced. Vault equity: 10000 - 10 * (110 - 100) - 10 * (12 - 10) = 9880; alice
    // is a winner, nothing is uncollectable. Minted (rounding equity up by the 2e-18 slack per
    // position): floor(1000 * (1e10 + 1e6) / (9880 + 4e-18 + 1)) = floor(1.0001e13 / 9881.000...004).
    h.oracle({{"ETH", "12"}});
    const auto minted = events_of<LiquidityDepositedEvent>(h.events());
    ASSERT_EQ(minted.size(), 1u);
    EXPECT_EQ(minted[0].shares, amt("1012144519"));
    EXPECT_EQ(h.user("lp2").vault_shares, amt("1012144519"));
    EXPECT_EQ(h.vault().pending_deposits, amt("0"));
    EXPECT_EQ(h.vault().balance, amt("11000"));
}

TEST(VaultRules, APendingDepositBelowItsMinimumGoesBackToMargin) {
    Harness h;
    flat_market(h);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "10000");
    h.deposit_margin("alice", "2000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0").ok());
    h.deposit_margin("lp2", "1000");
    // At equity 10000, 1000 would mint 1000 * (1e10 + 1e6) / 10001 = 1e9: asking 1e9 + 1 fails.
    ASSERT_TRUE(h.run(DepositLiquidity{name("lp2"), amt("1000"), amt("1000000001")}).ok());
    h.oracle({{"BTC", "100"}});
    const auto refunded = events_of<DepositRefundedEvent>(h.events());
    ASSERT_EQ(refunded.size(), 1u);
    EXPECT_EQ(refunded[0].reason, RefundReason::TooFewShares);
    EXPECT_EQ(h.user("lp2").margin, amt("1000"));
    EXPECT_EQ(h.user("lp2").vault_shares, amt("0"));
    EXPECT_EQ(h.vault().pending_deposits, amt("0"));
}

TEST(VaultRules, AnUnlockPaysTheLesserOfItsValueWhenPricedAndWhenReleased) {
    Harness h;
    flat_market(h);
    h.set_cooldown(1000);
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp", "10000");
    h.deposit_margin("alice", "2000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0", false, 0).ok());
    const Outcome unlock = h.run(UnlockLiquidity{name("lp"), amt("5000000000")}, 0);
    ASSERT_TRUE(unlock.ok()) << unlock.message;
    EXPECT_EQ(unlock_reply(unlock).end_time, 1000);
    EXPECT_FALSE(unlock_reply(unlock).amount.has_value());
    EXPECT_EQ(h.user("lp").vault_shares, amt("5000000000"));
    EXPECT_EQ(h.vault().share_supply, amt("10000000000")) << "locked shares stay in the supply";
    // Priced at the next oracle update: floor(5e9 * (10000 + 1) / (1e10 + 1e6)) = 5000.
    h.oracle({{"BTC", "100"}}, 10);
    const auto priced = events_of<UnlockPricedEvent>(h.events());
    ASSERT_EQ(priced.size(), 1u);
    EXPECT_EQ(priced[0].amount, amt("5000"));
    // Alice loses 10 * 50 = 500 (her margin pays it): equity 10500, the shares are now worth
    // floor(5e9 * 10501 / 10001e6) = 5249. The release pays the lesser: 5000.
    h.oracle({{"BTC", "50"}}, 500);
    EXPECT_TRUE(events_of<LiquidityReleasedEvent>(h.events()).empty()) << "not matured";
    h.oracle({{"BTC", "50"}}, 1000);
    const auto released = events_of<LiquidityReleasedEvent>(h.events());
    ASSERT_EQ(released.size(), 1u);
    EXPECT_EQ(released[0].amount, amt("5000"));
    EXPECT_EQ(released[0].value_at_request, amt("5000"));
    EXPECT_EQ(h.user("lp").margin, amt("5000"));
    EXPECT_EQ(h.vault().balance, amt("5000"));
    EXPECT_EQ(h.vault().share_supply, amt("5000000000"));
    // The 249 it forwent stays with the LPs who stayed: equity 5000 + 500 = 5500.
    EXPECT_EQ(h.vault().equity, std::optional(dec("5500")));
    // And a withdrawal takes it out of the exchange.
    EXPECT_TRUE(h.withdraw_margin("lp", "5000").ok());
}

TEST(VaultRules, AnUnlockWorthNothingWhenPricedGivesItsSharesBack) {
    Harness h;
    flat_market(h);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "10000");  // 1e10 shares: one share is worth 10001 / (1e10 + 1e6) < 1
    EXPECT_EQ(h.run(UnlockLiquidity{name("lp"), amt("1")}).error, ErrorCode::NothingToDo);
    h.deposit_margin("alice", "2000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0").ok());
    ASSERT_TRUE(h.run(UnlockLiquidity{name("lp"), amt("1")}).ok());  // exposed: priced later
    EXPECT_EQ(h.user("lp").vault_shares, amt("9999999999"));
    h.oracle({{"BTC", "100"}});
    const auto canceled = events_of<UnlockCanceledEvent>(h.events());
    ASSERT_EQ(canceled.size(), 1u);
    EXPECT_EQ(canceled[0].shares, amt("1"));
    EXPECT_EQ(h.user("lp").vault_shares, amt("10000000000"));
    EXPECT_TRUE(h.user("lp").unlocks.empty());
}

TEST(VaultRules, MaturedUnlocksArePaidToMarginBeforeACommandWhileNobodyIsExposed) {
    Harness h;
    h.set_cooldown(1000);
    h.deposit_margin("lp", "1000");
    ASSERT_TRUE(h.run(DepositLiquidity{name("lp"), amt("1000"), std::nullopt}, 50).ok());
    // 1e9 shares; a tenth is worth floor(1e8 * 1001 / (1e9 + 1e6)) = 100, paid at 100 + 1000.
    const Outcome unlock = h.run(UnlockLiquidity{name("lp"), amt("100000000")}, 100);
    ASSERT_TRUE(unlock.ok());
    EXPECT_EQ(unlock_reply(unlock).amount, std::optional(amt("100")));
    EXPECT_EQ(unlock_reply(unlock).end_time, 1100);
    ASSERT_TRUE(h.run(DepositMargin{name("x"), amt("1")}, 1099).ok());
    // Nothing is paid: the only event is the notice that x's account appeared.
    ASSERT_EQ(h.events().size(), 1u);
    EXPECT_TRUE(std::holds_alternative<AccountCreatedEvent>(h.events()[0]));
    EXPECT_EQ(h.user("lp").unlocks.size(), 1u);
    // At 1100 it is paid, before the command's own effects, into the LP's margin.
    ASSERT_TRUE(h.run(DepositMargin{name("x"), amt("1")}, 1100).ok());
    const auto released = events_of<LiquidityReleasedEvent>(h.events());
    ASSERT_EQ(released.size(), 1u);
    EXPECT_EQ(released[0].amount, amt("100"));
    EXPECT_EQ(released[0].end_time, 1100);
    EXPECT_TRUE(h.user("lp").unlocks.empty());
    EXPECT_EQ(h.user("lp").margin, amt("100"));
    EXPECT_EQ(h.vault().balance, amt("900"));
    EXPECT_EQ(h.vault().share_supply, amt("900000000"));
}

TEST(VaultRules, AZeroCooldownUnlockIsPaidByTheCommandThatMadeIt) {
    Harness h;
    h.set_cooldown(0);
    h.fund_vault("lp", "1000");
    const Outcome unlock = h.run(UnlockLiquidity{name("lp"), amt("500000000")});
    ASSERT_TRUE(unlock.ok()) << unlock.message;
    // floor(5e8 * 1001 / (1e9 + 1e6)) = 500.
    EXPECT_EQ(events_of<LiquidityReleasedEvent>(h.events()).size(), 1u);
    EXPECT_EQ(h.user("lp").margin, amt("500"));
    EXPECT_EQ(h.vault().balance, amt("500"));
}

TEST(VaultRules, WhileTheVaultHasNoEquityDepositsAreRefundedAndUnlocksWait) {
    Harness h;
    flat_market(h);
    h.set_cooldown(0);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100");
    h.deposit_margin("alice", "1000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());
    h.oracle({{"BTC", "200"}});
    // Equity: 100 + (10000 - 200 * 100) = -9900: no equity to back anyone new.
    EXPECT_EQ(h.vault().equity, std::optional(dec("-9900")));
    EXPECT_FALSE(h.vault().backs_positions);
    h.deposit_margin("bob", "1000");
    EXPECT_EQ(h.submit_market("bob", "BTC", "1", "0").error, ErrorCode::VaultInsolvent);
    // A deposit waits for the next update and goes back; an unlock is worth nothing: its shares come back.
    h.deposit_margin("lp2", "100");
    ASSERT_TRUE(h.run(DepositLiquidity{name("lp2"), amt("100"), std::nullopt}).ok());
    ASSERT_TRUE(h.run(UnlockLiquidity{name("lp"), amt("1000")}).ok());
    h.oracle({{"BTC", "200"}});
    const auto refunded = events_of<DepositRefundedEvent>(h.events());
    ASSERT_EQ(refunded.size(), 1u);
    EXPECT_EQ(refunded[0].reason, RefundReason::VaultInsolvent);
    EXPECT_EQ(h.user("lp2").margin, amt("100"));
    EXPECT_EQ(events_of<UnlockCanceledEvent>(h.events()).size(), 1u);
}

}  // namespace
