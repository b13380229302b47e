// Engine snapshots: a decoded engine is the encoded one. Its state dump is
// byte-identical, so is everything the dump leaves out (risk parameters,
// funding, pair status, holders order), and, the real requirement, it answers
// the next thousands of random commands exactly as the original does, with
// the same replies and events. Damaged snapshots are refused cleanly.
#include <gtest/gtest.h>

#include <string>

#include "api/outcome_encoder.hpp"
#include "command_generator.hpp"
#include "core/snapshot_codec.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using ballast::testing::CommandGenerator;

void add(std::string& out, std::string_view key, Dec v) { out.append(" ").append(key).append("=") += to_string(v); }
void add(std::string& out, std::string_view key, i128 v) {
    out.append(" ").append(key).append("=");
    append_integer(out, v);
}

// dump_state plus every field of the state that it does not print.
std::string full_state(const Engine& engine) {
    std::string out = dump_state(engine);
    const GlobalParams& g = engine.params();
    out += "risk_params";
    add(out, "max_oracle_age_ms", g.max_oracle_age_ms);
    add(out, "adl_trigger_ratio", g.adl_trigger_ratio);
    add(out, "protocol_fee_share", g.protocol_fee_share);
    out += '\n';
    for (PairId id = 0; id < engine.pair_count(); ++id) {
        const PairState& p = engine.pair(id);
        out.append("pair ").append(p.name.view());
        add(out, "maintenance_margin_ratio", p.params.maintenance_margin_ratio);
        add(out, "liquidation_fee_rate", p.params.liquidation_fee_rate);
        add(out, "maker_fee_rate", p.params.maker_fee_rate);
        add(out, "taker_fee_rate", p.params.taker_fee_rate);
        add(out, "max_funding_velocity", p.params.max_funding_velocity);
        add(out, "max_abs_funding_rate", p.params.max_abs_funding_rate);
        add(out, "max_limit_price_deviation", p.params.max_limit_price_deviation);
        add(out, "min_order_notional", p.params.min_order_notional);
        out.append(" status=").append(pair_status_name(p.status));
        add(out, "price_time", p.price_time);
        add(out, "funding_rate", p.funding.rate);
        add(out, "cumulative_funding", p.funding.cumulative_per_unit);
        add(out, "funding_time", p.funding.last_time);
        add(out, "oi_weighted_entry_funding", p.oi_weighted_entry_funding);
        out += " holders";
        for (UserId holder : p.holders) add(out, "", holder);
        out += '\n';
    }
    return out;
}

std::string outcome_line(const Engine& engine, const Outcome& outcome) {
    std::string out;
    ballast::api::encode_outcome(engine, outcome, engine.events(), out);
    return out;
}

std::string snapshot_of(const Engine& engine) {
    std::string out;
    encode_engine(engine, out);
    return out;
}

// Runs the generator's stream; at each checkpoint restores a copy from a
// snapshot and runs the next `follow` commands on both, which must agree on
// every outcome and event and end in the same state.
struct Coverage {
    int with_orders = 0, with_positions = 0, with_unlocks = 0;
};

void count_coverage(const Engine& engine, Coverage& coverage) {
    bool orders = false, positions = false, unlocks = false;
    for (UserId id = 0; id < engine.user_count(); ++id) {
        orders = orders || engine.book().count_of_user(id) > 0;
        positions = positions || !engine.user(id).positions.empty();
        unlocks = unlocks || !engine.user(id).unlocks.empty();
    }
    coverage.with_orders += orders ? 1 : 0;
    coverage.with_positions += positions ? 1 : 0;
    coverage.with_unlocks += unlocks ? 1 : 0;
}

void check_restores(std::uint64_t seed, bool risk, std::initializer_list<int> checkpoints, int follow,
                    Coverage& coverage) {
    Engine original;
    CommandGenerator generator(seed, risk);
    int applied = 0;
    for (int checkpoint : checkpoints) {
        for (; applied < checkpoint; ++applied) original.apply(generator.next(original));
        count_coverage(original, coverage);

        const std::string snapshot = snapshot_of(original);
        Engine restored;
        std::string error;
        ASSERT_TRUE(decode_engine(snapshot, restored, error)) << error;
        ASSERT_EQ(dump_state(restored), dump_state(original)) << "seed " << seed << " at " << applied;
        ASSERT_EQ(full_state(restored), full_state(original)) << "seed " << seed << " at " << applied;
        EXPECT_TRUE(restored.events().empty());
        ASSERT_EQ(snapshot_of(restored), snapshot) << "re-encoding differs";

        int fills = 0;
        for (int i = 0; i < follow; ++i, ++applied) {
            const Command command = generator.next(original);
            const Outcome expected = original.apply(command);
            const Outcome actual = restored.apply(command);
            ASSERT_EQ(outcome_line(restored, actual), outcome_line(original, expected))
                << "seed " << seed << ", command " << applied << " after a snapshot at " << checkpoint;
            fills += static_cast<int>(ballast::testing::events_of<FillEvent>(original.events()).size());
            if (i % 500 == 499) {
                ASSERT_EQ(full_state(restored), full_state(original)) << "seed " << seed << " at " << applied;
            }
        }
        ASSERT_EQ(full_state(restored), full_state(original)) << "seed " << seed << " at " << applied;
        EXPECT_GT(fills, 50) << "the commands after the snapshot trade too little to prove much";
    }
}

constexpr auto kCheckpoints = {10, 1'000, 5'000, 12'000, 25'000};

TEST(SnapshotCodec, RestoredEngineBehavesIdentically) {
    Coverage coverage;
    for (std::uint64_t seed : {1u, 42u, 20261122u}) check_restores(seed, /*risk=*/false, kCheckpoints, 4'000, coverage);
    // Snapshots taken mid-flight, with something in every part of the state.
    EXPECT_GT(coverage.with_orders, 5);
    EXPECT_GT(coverage.with_positions, 5);
    EXPECT_GT(coverage.with_unlocks, 2);
}

TEST(SnapshotCodec, RestoredEngineBehavesIdenticallyWithRisk) {
    Coverage coverage;
    for (std::uint64_t seed : {3u, 77u, 20261123u}) check_restores(seed, /*risk=*/true, kCheckpoints, 4'000, coverage);
    EXPECT_GT(coverage.with_orders, 5);
    EXPECT_GT(coverage.with_positions, 5);
}

TEST(SnapshotCodec, EmptyEngineRoundTrips) {
    const Engine fresh;
    const std::string snapshot = snapshot_of(fresh);
    Engine restored;
    std::string error;
    ASSERT_TRUE(decode_engine(snapshot, restored, error)) << error;
    EXPECT_EQ(full_state(restored), full_state(fresh));
    // A fresh engine's sequences start at 1 (types.hpp), visible in the dump.
    EXPECT_NE(dump_state(restored).find("sequence 1 1"), std::string::npos);
}

TEST(SnapshotCodec, DecodeReplacesTheTargetEngine) {
    Engine original;
    CommandGenerator generator(9, /*risk=*/true);
    for (int i = 0; i < 3'000; ++i) original.apply(generator.next(original));
    Engine target;
    CommandGenerator other(10, /*risk=*/false);
    for (int i = 0; i < 1'000; ++i) target.apply(other.next(target));
    std::string error;
    ASSERT_TRUE(decode_engine(snapshot_of(original), target, error)) << error;
    EXPECT_EQ(full_state(target), full_state(original));
}

// A snapshot with users, positions, resting orders and pending unlocks. The
// plain stream's unlocks mature within a dozen commands, so it runs until
// one is pending.
std::string busy_snapshot(Engine& engine) {
    CommandGenerator generator(11, /*risk=*/false);
    for (int i = 0; i < 20'000; ++i) {
        engine.apply(generator.next(engine));
        if (i < 5'000) continue;
        Coverage coverage;
        count_coverage(engine, coverage);
        if (coverage.with_orders && coverage.with_positions && coverage.with_unlocks) return snapshot_of(engine);
    }
    ADD_FAILURE() << "the stream never had orders, positions and unlocks at once";
    return snapshot_of(engine);
}

TEST(SnapshotCodec, RefusesEveryTruncationAndLeavesTheTargetAlone) {
    Engine original;
    const std::string snapshot = busy_snapshot(original);
    Engine target;
    const std::string before = full_state(target);
    for (std::size_t n = 0; n < snapshot.size(); ++n) {
        std::string error;
        ASSERT_FALSE(decode_engine(std::string_view(snapshot).substr(0, n), target, error)) << n;
        ASSERT_FALSE(error.empty());
    }
    EXPECT_EQ(full_state(target), before);
}

TEST(SnapshotCodec, RefusesTrailingBytes) {
    Engine original;
    const std::string snapshot = busy_snapshot(original) + '\0';
    Engine target;
    std::string error;
    EXPECT_FALSE(decode_engine(snapshot, target, error));
}

TEST(SnapshotCodec, RefusesAnotherVersionOrMagic) {
    Engine original;
    const std::string snapshot = busy_snapshot(original);
    ASSERT_EQ(snapshot.substr(0, 5), std::string("BENG") + static_cast<char>(kSnapshotCodecVersion));
    for (std::size_t at = 0; at < 5; ++at) {
        for (int v : {0x00, 0x02, 0xFF}) {
            std::string damaged = snapshot;
            if (damaged[at] == static_cast<char>(v)) continue;
            damaged[at] = static_cast<char>(v);
            Engine target;
            std::string error;
            EXPECT_FALSE(decode_engine(damaged, target, error)) << "byte " << at << " = " << v;
            EXPECT_NE(error.find(at == 4 ? "version" : "not an engine snapshot"), std::string::npos) << error;
        }
    }
}

// Damage anywhere is refused or yields an engine that still holds together:
// no crash, no sanitizer report (run under build-asan), and whatever decodes
// re-encodes to exactly the damaged bytes, so nothing was silently dropped.
TEST(SnapshotCodec, SurvivesDamageAnywhere) {
    Engine original;
    const std::string snapshot = busy_snapshot(original);
    int refused = 0;
    for (std::size_t at = 5; at < snapshot.size(); ++at) {
        for (int mask : {0x01, 0x80, 0xFF}) {
            std::string damaged = snapshot;
            damaged[at] = static_cast<char>(damaged[at] ^ mask);
            Engine target;
            std::string error;
            if (!decode_engine(damaged, target, error)) {
                ++refused;
                continue;
            }
            EXPECT_EQ(snapshot_of(target), damaged) << "byte " << at;
            // The engine must keep working on what it was given.
            target.apply({std::nullopt, QueryVault{}});
        }
    }
    EXPECT_GT(refused, 0);
}

}  // namespace
