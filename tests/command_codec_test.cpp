// The binary command codec (journal records) and the JSON command encoder
// (journal dump): every command kind round-trips exactly, the binary form is
// canonical and pinned by hand-derived bytes, malformed input is refused, and
// both agree with the replay decoder over generated sessions.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "../bench/replay_session.hpp"
#include "api/command_decoder.hpp"
#include "api/command_encoder.hpp"
#include "command_generator.hpp"
#include "core/command_codec.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using ballast::testing::amt;
using ballast::testing::dec;
using ballast::testing::name;

// Every field of a command, spelled out: two commands are equal exactly when
// their descriptions are, and a failure shows which field differs.
class Describer {
public:
    explicit Describer(std::string& out) : out_(out) {}

    void operator()(const SetParams& c) {
        out_ += "set_params";
        field("vault_cooldown_ms", c.vault_cooldown_ms);
        field("max_open_orders", c.max_open_orders);
        field("default_shares_per_amount", c.default_shares_per_amount);
        field("max_oracle_age_ms", c.max_oracle_age_ms);
        field("adl_trigger_ratio", c.adl_trigger_ratio);
        field("protocol_fee_share", c.protocol_fee_share);
    }
    void operator()(const SetPair& c) {
        out_ += "set_pair";
        field("pair", c.pair);
        // Only the given fields are part of the command.
        const PairParams& p = c.params;
        auto given = [&](std::size_t i, std::string_view key, Dec value) {
            if (c.given & pair_field_bit(i)) field(key, value);
        };
        given(0, "skew_scale", p.skew_scale);
        given(1, "max_abs_premium", p.max_abs_premium);
        given(2, "max_abs_oi", p.max_abs_oi);
        given(3, "initial_margin_ratio", p.initial_margin_ratio);
        given(4, "maintenance_margin_ratio", p.maintenance_margin_ratio);
        given(5, "liquidation_fee_rate", p.liquidation_fee_rate);
        given(6, "maker_fee_rate", p.maker_fee_rate);
        given(7, "taker_fee_rate", p.taker_fee_rate);
        given(8, "max_funding_velocity", p.max_funding_velocity);
        given(9, "max_abs_funding_rate", p.max_abs_funding_rate);
        given(10, "max_limit_price_deviation", p.max_limit_price_deviation);
        given(11, "min_order_notional", p.min_order_notional);
    }
    void operator()(const FundVault& c) {
        out_ += "fund_vault";
        field("user", c.user);
        field("amount", c.amount);
    }
    void operator()(const OracleUpdate& c) {
        out_ += "oracle " + std::to_string(c.prices.size());
        for (const PriceUpdate& p : c.prices) {
            field("pair", p.pair);
            field("price", p.price);
        }
    }
    void operator()(const DepositMargin& c) {
        out_ += "deposit_margin";
        field("user", c.user);
        field("amount", c.amount);
    }
    void operator()(const WithdrawMargin& c) {
        out_ += "withdraw_margin";
        field("user", c.user);
        field("amount", c.amount);
    }
    void operator()(const DepositLiquidity& c) {
        out_ += "deposit_liquidity";
        field("user", c.user);
        field("amount", c.amount);
        field("min_shares_to_mint", c.min_shares_to_mint);
    }
    void operator()(const UnlockLiquidity& c) {
        out_ += "unlock_liquidity";
        field("user", c.user);
        field("shares_to_burn", c.shares_to_burn);
    }
    void operator()(const SubmitOrder& c) {
        out_ += "submit_order";
        field("user", c.user);
        field("pair", c.pair);
        field("size", c.size);
        out_ += c.kind == OrderKind::Limit ? " kind=limit" : " kind=market";
        field("max_slippage", c.max_slippage);
        field("limit_price", c.limit_price);
        out_ += c.reduce_only ? " reduce_only=1" : " reduce_only=0";
    }
    void operator()(const CancelOrder& c) {
        out_ += "cancel_order";
        field("user", c.user);
        field("pair", c.pair);
        out_ += " order_id=" + std::to_string(c.order_id);
    }
    void operator()(const QueryUser& c) {
        out_ += "query_user";
        field("user", c.user);
    }
    void operator()(const QueryPair& c) {
        out_ += "query_pair";
        field("pair", c.pair);
    }
    void operator()(const QueryVault&) { out_ += "query_vault"; }
    void operator()(const SetPairStatus& c) {
        out_ += "set_pair_status";
        field("pair", c.pair);
        out_ += std::string(" status=") + pair_status_name(c.status);
    }
    void operator()(const ForceClose& c) {
        out_ += "force_close";
        field("user", c.user);
        field("caller", c.caller);
    }

private:
    void field(std::string_view key, const Name& v) { out_.append(" ").append(key).append("=").append(v.view()); }
    void field(std::string_view key, Dec v) { out_.append(" ").append(key).append("=").append(to_string(v)); }
    void field(std::string_view key, Amount v) { out_.append(" ").append(key).append("=").append(to_string(v)); }
    void field(std::string_view key, std::int64_t v) {
        out_.append(" ").append(key).append("=").append(std::to_string(v));
    }
    void field(std::string_view key, std::uint32_t v) {
        out_.append(" ").append(key).append("=").append(std::to_string(v));
    }
    template <typename T>
    void field(std::string_view key, const std::optional<T>& v) {
        if (v)
            field(key, *v);
        else
            out_.append(" ").append(key).append("=absent");
    }

    std::string& out_;
};

std::string describe(const Command& c) {
    std::string out = c.time ? "time=" + std::to_string(*c.time) + " " : "time=absent ";
    std::visit(Describer(out), c.body);
    return out;
}

std::string encode(const Command& c) {
    std::string out;
    encode_command(c, out);
    return out;
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out.push_back(static_cast<char>(v));
    return out;
}

const Dec kDecMax = Dec::from_raw(kI128Max);
const Dec kDecMin = Dec::from_raw(kI128Min);
const Amount kAmountMax = Amount(kU128Max);
constexpr TimeMs kTimeMax = std::numeric_limits<TimeMs>::max();
constexpr TimeMs kTimeMin = std::numeric_limits<TimeMs>::min();
const std::string kLongName(Name::kMaxLength, 'z');

// Every command kind, with the extremes of each field's range, zero, absent
// optionals and names of both extreme lengths. All of them are representable
// in the replay JSON format too (no negative times, no unused order price).
std::vector<Command> json_representable_samples() {
    std::vector<Command> c;
    c.push_back({std::nullopt, SetParams{}});
    c.push_back(
        {0, SetParams{kTimeMax, std::numeric_limits<std::uint32_t>::max(), kAmountMax, kTimeMax, kDecMax, kDecMin}});
    c.push_back({5, SetParams{0, 0, Amount(1), 0, Dec::zero(), Dec::one()}});
    c.push_back({std::nullopt, SetParams{std::nullopt, 7, std::nullopt, 9, std::nullopt, dec("0.3")}});
    c.push_back({1, SetPair{name("BTC"), PairParams{dec("1000"), dec("0.05"), dec("500"), dec("0.05")}}});
    c.push_back({kTimeMax, SetPair{name(kLongName), PairParams{kDecMax, kDecMin, Dec::from_raw(1), Dec::from_raw(-1),
                                                               dec("0.025"), dec("0.01"), dec("0.0005"), dec("0.001"),
                                                               dec("1.5"), dec("0.1"), dec("0.2"), dec("-12.75")}}});
    c.push_back({2, OracleUpdate{}});
    c.push_back({3, OracleUpdate{{{name("BTC"), dec("61234.56")}}}});
    c.push_back({std::nullopt, OracleUpdate{{{name("A"), kDecMax},
                                             {name("B"), kDecMin},
                                             {name("C"), Dec::zero()},
                                             {name("A"), dec("-0.000000000000000001")},
                                             {name(kLongName), dec("1")}}}});
    c.push_back({10, DepositMargin{name("alice"), amt("1000")}});
    c.push_back({std::nullopt, DepositMargin{name("!~"), kAmountMax}});
    c.push_back({11, WithdrawMargin{name("alice"), Amount::zero()}});
    c.push_back({12, DepositLiquidity{name("lp"), amt("5000"), std::nullopt}});
    c.push_back({12, DepositLiquidity{name("lp"), kAmountMax, Amount::zero()}});
    c.push_back({12, DepositLiquidity{name("lp"), Amount(1), kAmountMax}});
    c.push_back({13, UnlockLiquidity{name("lp"), amt("123456789012345678901234567890")}});
    c.push_back(
        {14, SubmitOrder{name("0x123"), name("ETH"), dec("-2.5"), OrderKind::Market, dec("0.05"), Dec::zero(), false}});
    c.push_back({std::nullopt,
                 SubmitOrder{name(kLongName), name("ETH"), kDecMin, OrderKind::Market, kDecMax, Dec::zero(), true}});
    c.push_back({15, SubmitOrder{name("bob"), name("SOL"), kDecMax, OrderKind::Limit, Dec::zero(), kDecMin, true}});
    c.push_back(
        {16, SubmitOrder{name("bob"), name("SOL"), dec("1"), OrderKind::Limit, Dec::zero(), dec("99.5"), false}});
    c.push_back({17, CancelOrder{name("bob"), name("SOL"), 0}});
    c.push_back({17, CancelOrder{name("bob"), name("SOL"), std::numeric_limits<OrderId>::max()}});
    c.push_back({18, QueryUser{name("carol")}});
    c.push_back({std::nullopt, QueryPair{name("BTC")}});
    c.push_back({std::nullopt, QueryVault{}});
    c.push_back({19, QueryVault{}});
    c.push_back({20, SetPairStatus{name("BTC"), PairStatus::Active}});
    c.push_back({20, SetPairStatus{name("BTC"), PairStatus::ReduceOnly}});
    c.push_back({20, SetPairStatus{name("BTC"), PairStatus::Paused}});
    c.push_back({21, ForceClose{name("alice"), name("admin")}});
    c.push_back({22, FundVault{std::nullopt, amt("500")}});
    c.push_back({22, FundVault{name("treasurer"), kAmountMax}});
    // A partial update: only the maker fee and the price band.
    c.push_back(
        {23, SetPair{name("ETH"), PairParams{.maker_fee_rate = dec("0.0001"), .max_limit_price_deviation = dec("0.1")},
                     static_cast<PairFieldMask>(pair_field_bit(6) | pair_field_bit(10))}});
    c.push_back({23, SetPair{name("ETH"), PairParams{}, 0}});
    return c;
}

// What only the binary form can carry: negative times and durations, and the
// price an order kind does not use.
std::vector<Command> binary_only_samples() {
    std::vector<Command> c;
    c.push_back({kTimeMin, QueryVault{}});
    c.push_back({-1, SetParams{kTimeMin, std::nullopt, std::nullopt, -1, std::nullopt, std::nullopt}});
    c.push_back({-129, SubmitOrder{name("a"), name("B"), dec("1"), OrderKind::Market, dec("0.01"), dec("7"), false}});
    c.push_back({128, SubmitOrder{name("a"), name("B"), dec("1"), OrderKind::Limit, kDecMin, kDecMax, true}});
    return c;
}

std::vector<Command> all_samples() {
    std::vector<Command> c = json_representable_samples();
    for (Command& extra : binary_only_samples()) c.push_back(std::move(extra));
    return c;
}

TEST(CommandCodec, SamplesCoverEveryCommandKind) {
    std::vector<bool> seen(std::variant_size_v<CommandBody>, false);
    for (const Command& c : all_samples()) seen[c.body.index()] = true;
    for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "no sample of alternative " << i;
}

TEST(CommandCodec, RoundTripsEveryCommandKindWithEdgeValues) {
    for (const Command& original : all_samples()) {
        const std::string encoded = encode(original);
        Command decoded;
        std::string error;
        ASSERT_TRUE(decode_command(encoded, decoded, error)) << describe(original) << ": " << error;
        EXPECT_EQ(describe(decoded), describe(original));
        EXPECT_EQ(encode(decoded), encoded) << "not canonical: " << describe(original);
    }
}

TEST(CommandCodec, EncodeAppends) {
    std::string out = "prefix";
    encode_command({1, QueryVault{}}, out);
    EXPECT_EQ(out.substr(0, 6), "prefix");
    EXPECT_EQ(out.substr(6), encode({1, QueryVault{}}));
}

// Bytes derived by hand from the format in command_codec.hpp: a change to
// them is a change of the journal format and needs a new version.
TEST(CommandCodec, MatchesTheDocumentedFormat) {
    EXPECT_EQ(encode({std::nullopt, QueryVault{}}), bytes({0x02, 0x0C}));
    EXPECT_EQ(encode({1, QueryUser{name("ab")}}), bytes({0x02, 0x8A, 0x01, 0x01, 0x02, 'a', 'b'}));
    EXPECT_EQ(encode({std::nullopt, CancelOrder{name("u"), name("P"), 300}}),
              bytes({0x02, 0x09, 0x01, 'u', 0x01, 'P', 0x02, 0x2C, 0x01}));
    // size -1 is raw -10^18 = 0xF21F494C589C0000; 0.05 is raw 5*10^16 =
    // 0xB1A2BC2EC50000, whose top bit needs a zero byte above it to stay positive.
    EXPECT_EQ(
        encode({1000, SubmitOrder{name("a"), name("B"), dec("-1"), OrderKind::Market, dec("0.05"), Dec::zero(), true}}),
        bytes({0x02, 0x88, 0x02, 0xE8, 0x03, 0x01, 'a',  0x01, 'B',  0x08, 0x00, 0x00, 0x9C, 0x58, 0x4C,
               0x49, 0x1F, 0xF2, 0x02, 0x08, 0x00, 0x00, 0xC5, 0x2E, 0xBC, 0xA2, 0xB1, 0x00, 0x00}));
    EXPECT_EQ(encode({std::nullopt,
                      SetParams{std::nullopt, 20, std::nullopt, std::nullopt, std::nullopt, Dec::from_raw(-1)}}),
              bytes({0x02, 0x01, 0x22, 0x01, 0x14, 0x01, 0xFF}));
    EXPECT_EQ(encode({std::nullopt, OracleUpdate{{{name("X"), Dec::from_raw(-128)}, {name("Y"), Dec::from_raw(128)}}}}),
              bytes({0x02, 0x03, 0x01, 0x02, 0x01, 'X', 0x01, 0x80, 0x01, 'Y', 0x02, 0x80, 0x00}));
    EXPECT_EQ(encode({std::nullopt, DepositLiquidity{name("l"), Amount(255), Amount::zero()}}),
              bytes({0x02, 0x06, 0x01, 'l', 0x01, 0xFF, 0x01, 0x00}));
    EXPECT_EQ(encode({std::nullopt, SetPairStatus{name("P"), PairStatus::Paused}}),
              bytes({0x02, 0x0D, 0x01, 'P', 0x02}));
    // set_pair with only max_abs_oi (field 2: given = 0b100) = 500, raw 5*10^20 = 0x1B1AE4D6E2EF500000.
    EXPECT_EQ(encode({std::nullopt, SetPair{name("P"), PairParams{.max_abs_oi = dec("500")}, pair_field_bit(2)}}),
              bytes({0x02, 0x02, 0x01, 'P', 0x01, 0x04, 0x09, 0x00, 0x00, 0x50, 0xEF, 0xE2, 0xD6, 0xE4, 0x1A, 0x1B}));
    // fund_vault from the treasury, 255.
    EXPECT_EQ(encode({std::nullopt, FundVault{std::nullopt, Amount(255)}}), bytes({0x02, 0x0F, 0x00, 0x01, 0xFF}));
}

void expect_refused(const std::string& encoded, const std::string& why) {
    Command decoded;
    std::string error;
    EXPECT_FALSE(decode_command(encoded, decoded, error)) << why;
    EXPECT_FALSE(error.empty()) << why;
}

TEST(CommandCodec, RefusesEveryTruncation) {
    for (const Command& original : all_samples()) {
        const std::string encoded = encode(original);
        for (std::size_t n = 0; n < encoded.size(); ++n)
            expect_refused(encoded.substr(0, n), describe(original) + " cut to " + std::to_string(n) + " bytes");
    }
}

TEST(CommandCodec, RefusesTrailingBytes) {
    for (const Command& original : all_samples()) {
        expect_refused(encode(original) + '\0', describe(original));
        expect_refused(encode(original) + encode(original), describe(original) + " twice");
    }
}

TEST(CommandCodec, RefusesUnknownVersionTagsAndHeaderBits) {
    expect_refused(bytes({0x00, 0x0C}), "version 0");
    expect_refused(bytes({0x01, 0x0C}), "version 1 (deposits did not draw on margin)");
    expect_refused(bytes({0x03, 0x0C}), "version 3");
    expect_refused(bytes({0x02, 0x00}), "tag 0");
    expect_refused(bytes({0x02, 0x10}), "tag 16");
    expect_refused(bytes({0x02, 0x1F}), "tag 31");
    expect_refused(bytes({0x02, 0x2C}), "reserved header bit 5");
    expect_refused(bytes({0x02, 0x4C}), "reserved header bit 6");
    expect_refused(bytes({0x02, 0x8C}), "time flag without a time");
}

TEST(CommandCodec, RefusesOutOfRangeFields) {
    // Enums, flags and booleans.
    expect_refused(bytes({0x02, 0x0D, 0x01, 'P', 0x03}), "pair status 3");
    expect_refused(bytes({0x02, 0x08, 0x01, 'a', 0x01, 'B', 0x00, 0x04, 0x00, 0x00}), "order flag bit 2");
    expect_refused(bytes({0x02, 0x08, 0x01, 'a', 0x01, 'B', 0x00, 0x80, 0x00, 0x00}), "order flag bit 7");
    expect_refused(bytes({0x02, 0x06, 0x01, 'l', 0x01, 0x05, 0x02, 0x00}), "min_shares flag 2");
    expect_refused(bytes({0x02, 0x01, 0x40}), "set_params mask bit 6");
    expect_refused(bytes({0x02, 0x01, 0x80}), "set_params mask bit 7");
    expect_refused(bytes({0x02, 0x02, 0x01, 'P', 0x02, 0x00, 0x10}), "set_pair field bit 12");
    expect_refused(bytes({0x02, 0x0F, 0x02, 0x01}), "fund_vault user flag 2");
    // Names: empty, longer than 64, characters a name may not hold.
    expect_refused(bytes({0x02, 0x0A, 0x00}), "empty name");
    std::string long_name = bytes({0x02, 0x0A, 65}) + std::string(65, 'x');
    expect_refused(long_name, "65-byte name");
    expect_refused(bytes({0x02, 0x0A, 0x02, 'a', ' '}), "space in a name");
    expect_refused(bytes({0x02, 0x0A, 0x01, '"'}), "quote in a name");
    expect_refused(bytes({0x02, 0x0A, 0x01, '\\'}), "backslash in a name");
    expect_refused(bytes({0x02, 0x0A, 0x01, 0x7F}), "DEL in a name");
    expect_refused(bytes({0x02, 0x0A, 0x01, 0x00}), "NUL in a name");
    // Numbers: not the shortest form, or wider than the field.
    expect_refused(bytes({0x02, 0x04, 0x01, 'a', 0x01, 0x00}), "amount zero as one byte");
    expect_refused(bytes({0x02, 0x04, 0x01, 'a', 0x02, 0x05, 0x00}), "amount with a leading zero byte");
    expect_refused(bytes({0x02, 0x8C, 0x01, 0x00}), "time zero as one byte");
    expect_refused(bytes({0x02, 0x8C, 0x02, 0x05, 0x00}), "time 5 with a redundant byte");
    expect_refused(bytes({0x02, 0x8C, 0x02, 0xFF, 0xFF}), "time -1 with a redundant sign byte");
    expect_refused(bytes({0x02, 0x8C, 0x02, 0x80, 0xFF}), "time -128 with a redundant sign byte");
    expect_refused(bytes({0x02, 0x8C, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9}), "time wider than 64 bits");
    expect_refused(bytes({0x02, 0x01, 0x02, 0x05, 1, 2, 3, 4, 5}), "max_open_orders wider than 32 bits");
    std::string wide_amount = bytes({0x02, 0x04, 0x01, 'a', 17}) + std::string(17, '\x01');
    expect_refused(wide_amount, "amount wider than 128 bits");
    std::string wide_dec = bytes({0x02, 0x03, 0x01, 0x01, 0x01, 'B', 17}) + std::string(17, '\x01');
    expect_refused(wide_dec, "oracle price wider than 128 bits");
    expect_refused(bytes({0x02, 0x09, 0x01, 'u', 0x01, 'P', 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
                   "order id wider than 64 bits");
    // A count larger than the input could hold.
    expect_refused(bytes({0x02, 0x03, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), "oracle count 2^64-1");
    expect_refused(bytes({0x02, 0x03, 0x01, 0x02, 0x01, 'X', 0x00}), "oracle count 2 with one price");
}

// The widest values of each width decode: the shortest-form check must not
// refuse a value whose top byte happens to be 0x00 or 0xFF legitimately.
TEST(CommandCodec, AcceptsEveryWidth) {
    for (int bits = 0; bits <= 127; ++bits) {
        // 2^bits and its neighbours, signed, within the i128 range.
        const i128 power = bits == 127 ? kI128Max : i128{1} << bits;
        for (i128 raw : {power, -power, power - 1, -power + 1, bits == 127 ? kI128Min : -power - 1}) {
            const Command c{std::nullopt, OracleUpdate{{{name("X"), Dec::from_raw(raw)}}}};
            Command decoded;
            std::string error;
            ASSERT_TRUE(decode_command(encode(c), decoded, error)) << bits << ": " << error;
            EXPECT_EQ(describe(decoded), describe(c));
        }
        const u128 bit = u128{1} << bits;
        for (u128 units : {bit, bit - 1, bit | (bit - 1)}) {
            const Command c{std::nullopt, DepositMargin{name("a"), Amount(units)}};
            Command decoded;
            std::string error;
            ASSERT_TRUE(decode_command(encode(c), decoded, error)) << bits << ": " << error;
            EXPECT_EQ(describe(decoded), describe(c));
        }
    }
}

TEST(CommandCodec, DecodingOracleUpdatesReusesTheVector) {
    const std::string first = encode({1, OracleUpdate{{{name("A"), dec("1")}, {name("B"), dec("2")}}}});
    const std::string second = encode({2, OracleUpdate{{{name("C"), dec("3")}}}});
    Command c;
    std::string error;
    ASSERT_TRUE(decode_command(first, c, error));
    const PriceUpdate* storage = std::get<OracleUpdate>(c.body).prices.data();
    ASSERT_TRUE(decode_command(second, c, error));
    EXPECT_EQ(std::get<OracleUpdate>(c.body).prices.data(), storage);
    EXPECT_EQ(describe(c), describe({2, OracleUpdate{{{name("C"), dec("3")}}}}));
}

std::string to_json(const Command& c) {
    std::string out;
    ballast::api::encode_command_json(c, out);
    return out;
}

TEST(CommandJson, RoundTripsThroughTheReplayDecoder) {
    ballast::api::CommandDecoder decoder;
    for (const Command& original : json_representable_samples()) {
        const std::string line = to_json(original);
        ASSERT_FALSE(line.empty());
        EXPECT_EQ(line.back(), '\n');
        EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
        Command decoded;
        std::string error;
        ASSERT_TRUE(decoder.decode(std::string_view(line).substr(0, line.size() - 1), decoded, error)) << line << error;
        EXPECT_EQ(describe(decoded), describe(original)) << line;
    }
}

// The replay format as command_decoder.cpp reads it and the replay files write it.
TEST(CommandJson, WritesTheReplayFormat) {
    EXPECT_EQ(to_json({7, SubmitOrder{name("u1"), name("BTC"), dec("-1.5"), OrderKind::Market, dec("0.05"), Dec::zero(),
                                      false}}),
              R"({"cmd":"submit_order","time":7,"user":"u1","pair":"BTC","size":"-1.5","kind":"market",)"
              R"("max_slippage":"0.05","reduce_only":false})"
              "\n");
    EXPECT_EQ(to_json({std::nullopt, SubmitOrder{name("u1"), name("BTC"), dec("2"), OrderKind::Limit, Dec::zero(),
                                                 dec("99.25"), true}}),
              R"({"cmd":"submit_order","user":"u1","pair":"BTC","size":"2","kind":"limit","limit_price":"99.25",)"
              R"("reduce_only":true})"
              "\n");
    EXPECT_EQ(to_json({1, OracleUpdate{{{name("BTC"), dec("100")}, {name("ETH"), dec("2.5")}}}}),
              R"({"cmd":"oracle","time":1,"prices":{"BTC":"100","ETH":"2.5"}})"
              "\n");
    EXPECT_EQ(to_json({std::nullopt,
                       SetPair{name("BTC"), PairParams{dec("1000"), dec("0.05"), dec("500"), dec("0.05"), dec("0.025")},
                               0b11111}}),
              R"({"cmd":"set_pair","pair":"BTC","skew_scale":"1000","max_abs_premium":"0.05","max_abs_oi":"500",)"
              R"("initial_margin_ratio":"0.05","maintenance_margin_ratio":"0.025"})"
              "\n");
    EXPECT_EQ(to_json({3, CancelOrder{name("u1"), name("BTC"), 42}}),
              R"({"cmd":"cancel_order","time":3,"user":"u1","pair":"BTC","order_id":"42"})"
              "\n");
    EXPECT_EQ(to_json({std::nullopt, SetParams{std::nullopt, 1000, std::nullopt}}),
              R"({"cmd":"set_params","max_open_orders":1000})"
              "\n");
    EXPECT_EQ(to_json({std::nullopt, DepositLiquidity{name("lp"), amt("1000000000000"), std::nullopt}}),
              R"({"cmd":"deposit_liquidity","user":"lp","amount":"1000000000000"})"
              "\n");
    EXPECT_EQ(to_json({9, SetPairStatus{name("ETH"), PairStatus::ReduceOnly}}),
              R"({"cmd":"set_pair_status","time":9,"pair":"ETH","status":"reduce_only"})"
              "\n");
    EXPECT_EQ(to_json({std::nullopt, QueryVault{}}), R"({"cmd":"query_vault"})"
                                                     "\n");
}

// JSON -> Command -> binary -> Command -> JSON over a replay session: the two
// codecs and the replay decoder agree on every line.
TEST(CommandCodec, AgreesWithTheReplayDecoderOverASession) {
    ballast::api::CommandDecoder decoder;
    const std::vector<std::string> session = ballast::bench::make_replay_session(20'000);
    std::string encoded, error;
    for (const std::string& line : session) {
        Command from_json;
        ASSERT_TRUE(decoder.decode(line, from_json, error)) << line << ": " << error;
        encoded.clear();
        encode_command(from_json, encoded);
        Command from_binary;
        ASSERT_TRUE(decode_command(encoded, from_binary, error)) << line << ": " << error;
        ASSERT_EQ(describe(from_binary), describe(from_json)) << line;
        const std::string json = to_json(from_binary);
        Command again;
        ASSERT_TRUE(decoder.decode(std::string_view(json).substr(0, json.size() - 1), again, error))
            << json << ": " << error;
        ASSERT_EQ(describe(again), describe(from_json)) << line << " -> " << json;
        ASSERT_EQ(json, to_json(from_json));
    }
}

// The property tests' generator reaches every command kind and field; the
// stream is applied to an engine because cancels pick from its book.
TEST(CommandCodec, RoundTripsGeneratedStreams) {
    ballast::api::CommandDecoder decoder;
    for (bool risk : {false, true}) {
        Engine engine;
        ballast::testing::CommandGenerator generator(risk ? 5 : 4, risk);
        std::vector<bool> seen(std::variant_size_v<CommandBody>, false);
        std::string encoded, error;
        int negative_times = 0;
        for (int i = 0; i < 20'000; ++i) {
            const Command command = generator.next(engine);
            seen[command.body.index()] = true;
            encoded.clear();
            encode_command(command, encoded);
            Command decoded;
            ASSERT_TRUE(decode_command(encoded, decoded, error)) << describe(command) << ": " << error;
            ASSERT_EQ(describe(decoded), describe(command));
            if (command.time && *command.time < 0) {
                ++negative_times;  // the generator's time going backwards, before time 0: not JSON
            } else {
                const std::string json = to_json(command);
                Command from_json;
                ASSERT_TRUE(decoder.decode(std::string_view(json).substr(0, json.size() - 1), from_json, error))
                    << json << ": " << error;
                ASSERT_EQ(describe(from_json), describe(command)) << json;
            }
            engine.apply(command);
        }
        EXPECT_LT(negative_times, 100);
        // Queries of a pair are the one kind the generator never makes.
        for (std::size_t kind = 0; kind < seen.size(); ++kind) {
            if (kind == CommandBody(QueryPair{}).index()) continue;
            if (!risk && (kind == CommandBody(SetPairStatus{}).index() || kind == CommandBody(ForceClose{}).index()))
                continue;
            EXPECT_TRUE(seen[kind]) << "risk " << risk << ": no command of alternative " << kind;
        }
    }
}

}  // namespace
