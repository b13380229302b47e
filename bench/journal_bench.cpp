// The durable sequencer alone, without HTTP (benchmark tool; see docs/BENCHMARKS.md).
//
// 1. Durable throughput: 1-2 producer threads submit a mix of market orders
//    (signed-request records with nonce and expiry, as the REST API makes
//    them) and bridge deposits (idempotency-keyed) straight to
//    sequencer::Sequencer, and count the replies, which leave only once their
//    batch is in the journal (fsync "batch": group commit; also "off" and
//    "always" for contrast).
// 2. Recovery: a fresh Sequencer on the same directory, from the final
//    snapshot, then with the snapshots deleted so recover() replays the whole
//    journal. The recovered state hash is checked against the live one, and
//    the time the engine thread would spend encoding a snapshot of the
//    recovered state is reported beside its size.
// 3. The journal layer alone ("--modes journal"), without the engine: records
//    pre-encoded as the sequencer would journal signed market orders are
//    appended with JournalWriter in group commits of fixed sizes (fsync
//    "batch"), then read back with scan_journal + decode_record, applying
//    nothing. Comparing it with 1. and 2. separates the journal's own speed
//    from the engine's.
//
// Everything runs in a temporary directory under $TMPDIR (or /tmp), removed at the end.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/registry.h>

#include "core/decimal.hpp"
#include "sequencer/journal.hpp"
#include "sequencer/journal_format.hpp"
#include "sequencer/journal_record.hpp"
#include "sequencer/sequencer.hpp"
#include "sequencer/sequencer_metrics.hpp"

namespace ballast::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using sequencer::FsyncPolicy;
using sequencer::Request;
using sequencer::Response;
using sequencer::Sequencer;
using sequencer::WriteRequest;

struct Options {
    std::uint64_t commands = 2'000'000;  // per run with fsync batch / off
    unsigned producers = 1;
    unsigned users = 10'000;
    unsigned deposit_every = 20;  // one command in 20 is a deposit, the rest market orders
    double max_seconds = 120;     // cap per run
    double always_seconds = 5;    // cap for fsync "always"
    std::uint64_t window = 0;     // most requests in flight; 0: the queue's capacity (1,000 with fsync "always")
    unsigned recoveries = 3;      // timed recover() calls of each kind
    bool journal_layer = true;    // "journal" in --modes: the journal layer alone
    std::vector<std::uint64_t> group_sizes{1'000, 4'096};  // records per append, journal layer only
    std::vector<FsyncPolicy> modes{FsyncPolicy::Batch, FsyncPolicy::Off, FsyncPolicy::Always};
    std::optional<fs::path> dir;
    bool keep = false;                // keep the data directories
    std::optional<fs::path> recover;  // only time recover() of this existing data directory
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(
        stderr,
        "journal_bench: %s\n"
        "usage: journal_bench [--commands N] [--producers 1|2] [--users U] [--deposit-every K]\n"
        "                     [--max-seconds S] [--always-seconds S] [--window W] [--recoveries R]\n"
        "                     [--modes journal,batch,off,always] [--group-sizes G1,G2,...] [--dir DIR] [--keep]\n"
        "       journal_bench --recover DATA_DIR [--recoveries R]   (time recover() of an existing directory)\n",
        why);
    std::exit(2);
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--keep") {
            o.keep = true;
            continue;
        }
        if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
        const std::string value = argv[++i];
        auto number = [&] {
            char* end = nullptr;
            const double v = std::strtod(value.c_str(), &end);
            if (end == value.c_str() || *end != '\0' || !(v >= 0)) usage(("bad number for " + arg).c_str());
            return v;
        };
        if (arg == "--commands")
            o.commands = static_cast<std::uint64_t>(number());
        else if (arg == "--producers")
            o.producers = static_cast<unsigned>(number());
        else if (arg == "--users")
            o.users = static_cast<unsigned>(number());
        else if (arg == "--deposit-every")
            o.deposit_every = static_cast<unsigned>(number());
        else if (arg == "--max-seconds")
            o.max_seconds = number();
        else if (arg == "--always-seconds")
            o.always_seconds = number();
        else if (arg == "--window")
            o.window = static_cast<std::uint64_t>(number());
        else if (arg == "--recoveries")
            o.recoveries = static_cast<unsigned>(number());
        else if (arg == "--dir")
            o.dir = value;
        else if (arg == "--recover")
            o.recover = value;
        else if (arg == "--group-sizes") {
            o.group_sizes.clear();
            std::size_t start = 0;
            while (start <= value.size()) {
                const std::size_t comma = std::min(value.find(',', start), value.size());
                const unsigned long long g = std::strtoull(value.substr(start, comma - start).c_str(), nullptr, 10);
                if (g == 0) usage("--group-sizes takes positive record counts, comma-separated");
                o.group_sizes.push_back(g);
                start = comma + 1;
            }
        } else if (arg == "--modes") {
            o.modes.clear();
            o.journal_layer = false;
            std::size_t start = 0;
            while (start <= value.size()) {
                const std::size_t comma = std::min(value.find(',', start), value.size());
                const std::string mode = value.substr(start, comma - start);
                if (mode == "journal")
                    o.journal_layer = true;
                else if (mode == "batch")
                    o.modes.push_back(FsyncPolicy::Batch);
                else if (mode == "off")
                    o.modes.push_back(FsyncPolicy::Off);
                else if (mode == "always")
                    o.modes.push_back(FsyncPolicy::Always);
                else
                    usage("--modes takes journal, batch, off and always, comma-separated");
                start = comma + 1;
            }
        } else {
            usage(("unknown option " + arg).c_str());
        }
    }
    if (o.producers == 0 || o.users < o.producers || o.deposit_every == 0)
        usage("--producers must be at least 1 and at most --users; --deposit-every at least 1");
    return o;
}

const char* mode_name(FsyncPolicy p) {
    return p == FsyncPolicy::Always ? "always" : p == FsyncPolicy::Batch ? "batch" : "off";
}

core::Dec dec(std::string_view text) {
    core::Dec d;
    if (core::parse_dec(text, d) != core::ParseError::None) throw std::logic_error("bad decimal " + std::string(text));
    return d;
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::uint64_t directory_bytes(const fs::path& dir) {
    std::uint64_t bytes = 0;
    if (!fs::exists(dir)) return 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_regular_file()) bytes += entry.file_size();
    }
    return bytes;
}

struct HistogramTotals {
    std::uint64_t count = 0;
    double sum = 0;
};
HistogramTotals totals(prometheus::Histogram& h) {
    const prometheus::ClientMetric m = h.Collect();
    return {m.histogram.sample_count, m.histogram.sample_sum};
}

// Replies, counted on the journal writer's thread.
struct Counters {
    std::atomic<std::uint64_t> done{0}, ok{0}, rejected{0}, other{0};
};

class Market {
public:
    static constexpr const char* kPairs[] = {"BTC-PERP", "ETH-PERP"};
    static constexpr const char* kPrices[] = {"60000", "3000"};

    explicit Market(unsigned users) {
        for (unsigned i = 0; i < users; ++i) {
            char name[48];
            std::snprintf(name, sizeof name, "0x%040x", i * 2654435761u);  // address-shaped, 42 characters
            users_.push_back(core::Name::from(name));
        }
        state_.resize(users);
    }

    const std::vector<core::Name>& users() const { return users_; }

    // The commands `ballast serve` would bootstrap from its config, and an oracle price.
    std::vector<core::CommandBody> bootstrap() const {
        std::vector<core::CommandBody> out;
        core::SetParams params;
        params.max_oracle_age_ms = 0;
        params.protocol_fee_share = dec("0.2");
        out.emplace_back(params);
        core::OracleUpdate oracle;
        for (int p = 0; p < 2; ++p) {
            core::PairParams pp;
            pp.skew_scale = dec(p == 0 ? "1000000" : "20000000");
            pp.max_abs_premium = dec("0.01");
            pp.max_abs_oi = dec("1000000000");
            pp.initial_margin_ratio = dec("0.05");
            pp.maintenance_margin_ratio = dec("0.025");
            pp.liquidation_fee_rate = dec("0.01");
            pp.maker_fee_rate = dec("0.0002");
            pp.taker_fee_rate = dec("0.0006");
            pp.max_funding_velocity = dec("3");
            pp.max_abs_funding_rate = dec("0.1");
            pp.max_limit_price_deviation = dec("0.2");
            out.emplace_back(core::SetPair{core::Name::from(kPairs[p]), pp});
            oracle.prices.push_back({core::Name::from(kPairs[p]), dec(kPrices[p])});
        }
        // The vault takes the other side of every trade: without equity it
        // refuses new exposure (issue 8, F7) and every order would be refused.
        const core::Name lp = core::Name::from("bench-lp");
        out.emplace_back(core::DepositMargin{lp, core::Amount(1'000'000'000'000'000)});
        out.emplace_back(core::DepositLiquidity{lp, core::Amount(1'000'000'000'000'000), std::nullopt});
        out.emplace_back(oracle);
        return out;
    }

    // A bridge deposit as POST /v1/admin/deposits makes it.
    WriteRequest deposit(unsigned user, const std::string& tx_id) const {
        return WriteRequest{core::DepositMargin{users_[user], core::Amount(1'000'000'000)}, std::nullopt,
                            "bridge:tx:" + tx_id, true};
    }

    // A signed market order as POST /v1/orders makes it: the other side from
    // the user's last order (positions stay small), the next nonce.
    WriteRequest order(unsigned user, core::TimeMs now) {
        UserState& s = state_[user];
        const bool buy = s.buy_next;
        s.buy_next = !buy;
        core::SubmitOrder o;
        o.user = users_[user];
        o.pair = core::Name::from(kPairs[user % 2]);
        o.size = buy ? size_ : -size_;
        o.kind = core::OrderKind::Market;
        o.max_slippage = slippage_;
        return WriteRequest{o, sequencer::SignedBy{users_[user], ++s.nonce, now + 60'000}, {}, false};
    }

private:
    struct UserState {
        std::uint64_t nonce = 0;
        bool buy_next = true;
    };
    std::vector<core::Name> users_;
    std::vector<UserState> state_;  // each user is driven by one producer only
    core::Dec size_ = dec("0.001"), slippage_ = dec("0.05");
};

bool submit(Sequencer& s, WriteRequest write, Counters& counters, std::uint64_t& retries) {
    auto request = std::make_unique<Request>();
    request->what = std::move(write);
    request->reply = [c = &counters](Response&& r) {
        if (r.status == 200)
            c->ok.fetch_add(1, std::memory_order_relaxed);
        else if (r.status == 422)
            c->rejected.fetch_add(1, std::memory_order_relaxed);
        else
            c->other.fetch_add(1, std::memory_order_relaxed);
        c->done.fetch_add(1, std::memory_order_release);
    };
    // A full queue is the sequencer's back-pressure: wait, as a gateway's client would.
    for (unsigned attempt = 0; !s.submit(request); ++attempt) {
        ++retries;
        if (attempt < 16)
            std::this_thread::yield();
        else
            std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
}

void wait_for(const Counters& c, std::uint64_t target) {
    while (c.done.load(std::memory_order_acquire) < target) std::this_thread::sleep_for(std::chrono::microseconds(100));
}

struct RunResult {
    std::uint64_t submitted = 0, ok = 0, rejected = 0, other = 0, journaled = 0, last_seq = 0, retries = 0,
                  window_waits = 0, window = 0;
    double seconds = 0, cpu = 0, stop_seconds = 0;
    HistogramTotals batches, fsyncs;
    std::uint64_t journal_bytes = 0, snapshots = 0;
    std::string state_hash;
};

RunResult run_mode(const fs::path& dir, FsyncPolicy policy, const Options& o, double max_seconds) {
    prometheus::Registry registry;
    sequencer::SequencerMetrics metrics(registry);
    sequencer::SequencerConfig config;
    config.data_dir = dir;
    config.fsync = policy;
    config.queue_capacity = 65'534;
    Sequencer seq(config, &metrics);
    seq.recover();
    seq.start();

    Market market(o.users);
    Counters setup;
    std::uint64_t retries = 0;
    const std::vector<core::CommandBody> bootstrap = market.bootstrap();
    for (const core::CommandBody& command : bootstrap) {
        const Response r = seq.call(WriteRequest{command, std::nullopt, {}, false});
        if (r.status != 200) throw std::runtime_error("bootstrap command refused: " + r.body);
    }
    for (unsigned u = 0; u < o.users; ++u) submit(seq, market.deposit(u, "setup-" + std::to_string(u)), setup, retries);
    wait_for(setup, o.users);
    if (setup.ok.load() != o.users) throw std::runtime_error("a set-up deposit was refused");
    // A fresh directory: the set-up journaled exactly these (state() may not be read while running).
    const std::uint64_t seq_before = bootstrap.size() + o.users;

    Counters counters;
    std::vector<std::uint64_t> submitted(o.producers, 0), producer_retries(o.producers, 0),
        window_waits(o.producers, 0);
    const HistogramTotals batches_before = totals(metrics.batch_commands),
                          fsyncs_before = totals(metrics.fsync_seconds);
    const double snapshots_before = metrics.snapshots.Value();
    const double cpu_before = cpu_seconds();
    const auto start = Clock::now();
    const auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(max_seconds));
    const std::uint64_t per_producer = o.commands / o.producers;
    // Bounds the requests in flight, so that a time-capped run (fsync "always")
    // does not leave a full queue to drain after its deadline.
    const std::uint64_t window = o.window ? o.window : policy == FsyncPolicy::Always ? 1'000 : config.queue_capacity;
    std::atomic<std::uint64_t> in_total{0};
    std::vector<std::thread> producers;
    for (unsigned p = 0; p < o.producers; ++p) {
        producers.emplace_back([&, p] {
            // Producer p drives users p, p + P, p + 2P, ...
            const unsigned mine = (o.users - p + o.producers - 1) / o.producers;
            std::uint64_t n = 0;
            for (; n < per_producer; ++n) {
                if ((n & 1023) == 0 && Clock::now() >= deadline) break;
                const std::uint64_t ticket = in_total.fetch_add(1, std::memory_order_relaxed) + 1;
                if (ticket > counters.done.load(std::memory_order_acquire) + window) {
                    ++window_waits[p];
                    while (ticket > counters.done.load(std::memory_order_acquire) + window)
                        std::this_thread::sleep_for(std::chrono::microseconds(50));
                }
                const unsigned user = p + static_cast<unsigned>(n % mine) * o.producers;
                if (n % o.deposit_every == o.deposit_every - 1)
                    submit(seq, market.deposit(user, std::to_string(p) + "-" + std::to_string(n)), counters,
                           producer_retries[p]);
                else
                    submit(seq, market.order(user, sequencer::wall_clock_ms()), counters, producer_retries[p]);
            }
            submitted[p] = n;
        });
    }
    for (auto& t : producers) t.join();
    RunResult r;
    for (unsigned p = 0; p < o.producers; ++p) {
        r.submitted += submitted[p];
        r.retries += producer_retries[p];
        r.window_waits += window_waits[p];
    }
    wait_for(counters, r.submitted);
    r.seconds = seconds_since(start);
    r.cpu = cpu_seconds() - cpu_before;
    const HistogramTotals batches_after = totals(metrics.batch_commands), fsyncs_after = totals(metrics.fsync_seconds);
    r.batches = {batches_after.count - batches_before.count, batches_after.sum - batches_before.sum};
    r.fsyncs = {fsyncs_after.count - fsyncs_before.count, fsyncs_after.sum - fsyncs_before.sum};
    r.snapshots = static_cast<std::uint64_t>(metrics.snapshots.Value() - snapshots_before);
    r.window = window;
    r.ok = counters.ok.load();
    r.rejected = counters.rejected.load();
    r.other = counters.other.load();

    const auto stop_start = Clock::now();
    seq.stop();  // drains (nothing left) and writes the final snapshot
    r.stop_seconds = seconds_since(stop_start);
    r.last_seq = seq.state().last_seq();
    r.journaled = r.last_seq - seq_before;
    r.state_hash = seq.state().state_hash();
    r.journal_bytes = directory_bytes(dir / "journal");
    return r;
}

void print_run(FsyncPolicy policy, const Options& o, const RunResult& r) {
    std::printf("\n== fsync %s: %u producer%s, %u users, 1 deposit in %u, rest market orders ==\n", mode_name(policy),
                o.producers, o.producers == 1 ? "" : "s", o.users, o.deposit_every);
    std::printf("  %llu commands submitted, %llu journaled in %.3f s: %.0f durable commands/s\n",
                static_cast<unsigned long long>(r.submitted), static_cast<unsigned long long>(r.journaled), r.seconds,
                static_cast<double>(r.journaled) / r.seconds);
    std::printf("  replies: %llu ok, %llu rejected (422), %llu other\n", static_cast<unsigned long long>(r.ok),
                static_cast<unsigned long long>(r.rejected), static_cast<unsigned long long>(r.other));
    if (r.batches.count > 0)
        std::printf("  group commits: %llu, %.1f commands each on average; write+fdatasync %.3f ms on average\n",
                    static_cast<unsigned long long>(r.batches.count),
                    r.batches.sum / static_cast<double>(r.batches.count),
                    r.fsyncs.count ? r.fsyncs.sum * 1e3 / static_cast<double>(r.fsyncs.count) : 0.0);
    std::printf(
        "  journal: %.1f MB (%.0f bytes per record); %llu periodic snapshots written by the end of the run; final "
        "snapshot "
        "and stop %.3f s\n",
        static_cast<double>(r.journal_bytes) / 1e6,
        r.last_seq ? static_cast<double>(r.journal_bytes) / static_cast<double>(r.last_seq) : 0.0,
        static_cast<unsigned long long>(r.snapshots), r.stop_seconds);
    std::printf(
        "  process CPU %.2f s over %.2f s wall (%.2f cores); producers found the queue full %llu times and "
        "waited for replies (%llu in flight) %llu times\n",
        r.cpu, r.seconds, r.cpu / r.seconds, static_cast<unsigned long long>(r.retries),
        static_cast<unsigned long long>(r.window), static_cast<unsigned long long>(r.window_waits));
}

struct Recovery {
    sequencer::RecoveryReport report;
    double seconds = 0;
    std::string state_hash;
    // ExchangeState::encode_snapshot of the recovered state: the part of a
    // periodic snapshot that runs on the engine thread (the file write does not).
    double encode_seconds = 0;
    std::uint64_t snapshot_bytes = 0;
};

Recovery recover_once(const fs::path& dir) {
    sequencer::SequencerConfig config;
    config.data_dir = dir;
    Sequencer seq(config);
    const auto start = Clock::now();
    Recovery r;
    r.report = seq.recover();
    r.seconds = seconds_since(start);
    r.state_hash = seq.state().state_hash();
    std::string snapshot;
    const auto encode_start = Clock::now();
    seq.state().encode_snapshot(snapshot);
    r.encode_seconds = seconds_since(encode_start);
    r.snapshot_bytes = snapshot.size();
    return r;
}

// With no `live` state to compare with, only the timings are printed.
void time_recoveries(const char* what, const fs::path& dir, const RunResult* live, unsigned times) {
    for (unsigned i = 0; i < times; ++i) {
        const Recovery r = recover_once(dir);
        const bool same = !live || (r.state_hash == live->state_hash && r.report.last_seq == live->last_seq);
        std::printf(
            "  %s #%u: recover() %.3f s; snapshot at seq %llu, %llu journal records read, %llu replayed "
            "(%.0f records/s replayed), state %s; encoding a snapshot of it: %.1f ms, %.1f MB\n",
            what, i + 1, r.seconds, static_cast<unsigned long long>(r.report.snapshot_seq.value_or(0)),
            static_cast<unsigned long long>(r.report.journal_records),
            static_cast<unsigned long long>(r.report.replayed),
            r.seconds > 0 ? static_cast<double>(r.report.replayed) / r.seconds : 0.0,
            same ? "matches the live state hash" : "DIFFERS from the live state", r.encode_seconds * 1e3,
            static_cast<double>(r.snapshot_bytes) / 1e6);
        if (!same) throw std::runtime_error("recovered state differs from the live one");
    }
}

// Journal records as the sequencer writes them for POST /v1/orders: a signed
// market order (signer, nonce, expiry) with its time, framed back to back in
// one buffer. ends[i] is where record i + 1's frame ends, so any run of
// records is one slice, as a group commit hands it to the writer.
struct FramedRecords {
    std::string bytes;
    std::vector<std::size_t> ends;
};

FramedRecords frame_market_orders(std::uint64_t n, const Market& market, unsigned users) {
    FramedRecords out;
    out.ends.reserve(n);
    std::vector<std::uint64_t> nonces(users, 0);
    const core::TimeMs start = sequencer::wall_clock_ms();
    std::string payload;
    for (std::uint64_t i = 0; i < n; ++i) {
        const unsigned user = static_cast<unsigned>(i % users);
        sequencer::JournalRecord record;
        record.seq = i + 1;
        record.time = start + static_cast<core::TimeMs>(i / 1'000);  // ~1,000 orders per ms, as under load
        record.signed_by = sequencer::SignedBy{market.users()[user], ++nonces[user], record.time + 60'000};
        core::SubmitOrder o;
        o.user = market.users()[user];
        o.pair = core::Name::from(Market::kPairs[user % 2]);
        o.size = dec((nonces[user] & 1) ? "0.001" : "-0.001");
        o.kind = core::OrderKind::Market;
        o.max_slippage = dec("0.05");
        record.command = core::Command{record.time, o};
        payload.clear();
        sequencer::encode_record(record, payload);
        sequencer::frame_record(payload, out.bytes);
        out.ends.push_back(out.bytes.size());
    }
    return out;
}

void run_journal_layer(const fs::path& root, const Options& o) {
    const std::uint64_t n = o.commands;
    if (n == 0) return;
    const Market market(o.users);
    auto start = Clock::now();
    const FramedRecords records = frame_market_orders(n, market, o.users);
    const double encode_seconds = seconds_since(start);
    const double mb = static_cast<double>(records.bytes.size()) / 1e6;
    std::printf("\n== journal layer alone: %llu signed market-order records, %.1f MB (%.0f bytes per frame) ==\n",
                static_cast<unsigned long long>(n), mb,
                static_cast<double>(records.bytes.size()) / static_cast<double>(n));
    std::printf("  encode_record + frame_record: %.3f s, %.0f records/s (not part of the timings below)\n",
                encode_seconds, static_cast<double>(n) / encode_seconds);

    const sequencer::SequencerConfig defaults;
    for (const std::uint64_t group : o.group_sizes) {
        const fs::path dir = root / ("journal-layer-" + std::to_string(group));
        fs::remove_all(dir);
        {
            sequencer::JournalWriter writer(dir, FsyncPolicy::Batch, defaults.segment_bytes);
            writer.open(std::nullopt, 1);
            std::uint64_t appends = 0;
            start = Clock::now();
            for (std::uint64_t first = 0; first < n; first += group) {
                const std::uint64_t last = std::min(first + group, n);  // exclusive
                const std::size_t from = first == 0 ? 0 : records.ends[first - 1];
                writer.append(std::string_view(records.bytes).substr(from, records.ends[last - 1] - from), first + 1);
                ++appends;
            }
            const double seconds = seconds_since(start);
            std::printf(
                "  append, %llu records per group commit: %.3f s, %.0f durable records/s, %.1f MB/s; %llu "
                "write+fdatasync, %.3f ms each\n",
                static_cast<unsigned long long>(group), seconds, static_cast<double>(n) / seconds, mb / seconds,
                static_cast<unsigned long long>(appends), seconds * 1e3 / static_cast<double>(appends));
        }
        // Read back twice: framing and checksums only, then also decoding each
        // payload as recovery does before it applies the command.
        for (const bool decode : {false, true}) {
            sequencer::JournalRecord record;
            std::string error;
            std::uint64_t bad = 0, payload_bytes = 0;
            start = Clock::now();
            const sequencer::JournalScan scan =
                sequencer::scan_journal(dir, false, [&](std::uint64_t seq, std::string_view payload) {
                    payload_bytes += payload.size();
                    if (decode && (!sequencer::decode_record(payload, record, error) || record.seq != seq)) ++bad;
                });
            const double seconds = seconds_since(start);
            if (scan.records != n || bad != 0 ||
                payload_bytes + n * sequencer::kFrameHeaderBytes != records.bytes.size())
                throw std::runtime_error("journal layer: read back " + std::to_string(scan.records) + " records, " +
                                         std::to_string(bad) + " failed to decode");
            std::printf("  scan_journal%s (page cache warm): %.3f s, %.0f records/s, %.1f MB/s\n",
                        decode ? " + decode_record" : " alone", seconds, static_cast<double>(n) / seconds,
                        mb / seconds);
        }
        if (!o.keep) fs::remove_all(dir);
    }
}

int run(int argc, char** argv) {
    const Options o = parse_options(argc, argv);
    if (o.recover) {
        std::printf("journal_bench: recover() of %s, %u times (page cache as it is)\n", o.recover->c_str(),
                    o.recoveries);
        time_recoveries("recovery", *o.recover, nullptr, std::max(1u, o.recoveries));
        return 0;
    }
    fs::path root;
    if (o.dir) {
        root = *o.dir;
        fs::create_directories(root);
    } else {
        std::string pattern = (fs::temp_directory_path() / "ballast-journal-bench-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        root = pattern;
    }
    std::printf("journal_bench: data under %s; %u hardware threads\n", root.c_str(),
                std::thread::hardware_concurrency());
    if (o.journal_layer) run_journal_layer(root, o);
    for (const FsyncPolicy policy : o.modes) {
        const fs::path dir = root / mode_name(policy);
        fs::remove_all(dir);
        const double cap = policy == FsyncPolicy::Always ? o.always_seconds : o.max_seconds;
        const RunResult r = run_mode(dir, policy, o, cap);
        print_run(policy, o, r);
        if (policy == FsyncPolicy::Batch && o.recoveries > 0) {
            std::printf("  recovery of this directory (%llu records, page cache warm):\n",
                        static_cast<unsigned long long>(r.last_seq));
            time_recoveries("from the final snapshot", dir, &r, o.recoveries);
            fs::remove_all(dir / "snapshots");
            time_recoveries("journal only (snapshots deleted)", dir, &r, o.recoveries);
        }
        if (!o.keep) fs::remove_all(dir);
    }
    if (!o.dir && !o.keep) fs::remove_all(root);
    return 0;
}

}  // namespace
}  // namespace ballast::bench

int main(int argc, char** argv) {
    try {
        return ballast::bench::run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "journal_bench: %s\n", e.what());
        return 1;
    }
}
