// HTTP load generator for `ballast serve` (benchmark tool; see docs/BENCHMARKS.md).
//
// N keep-alive connections (Boost.Beast on one io_context), each sending
// POST /v1/orders one at a time: the next request leaves after the reply.
// Without --rate the loop is closed (as fast as replies come: the maximum
// throughput); with --rate R the requests are scheduled open loop at R/s over
// all connections and each latency is measured from the request's scheduled
// send time, so a stalled server is charged for the requests it delayed
// (no coordinated omission).
//
// Set-up, before anything is measured: the market's oracle price is pushed
// (POST /v1/oracle/prices, oracle token) and every trader is credited margin
// (POST /v1/admin/deposits, bridge token). Orders alternate small market buys
// and sells per trader so positions stay small; nonces count up per trader.
// With --sign each order carries a real EIP-712 signature from one of the
// generated trader keys; without it a dummy one, for servers configured with
// verify_signatures = false (config/bench.toml).
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "api/eip712.hpp"
#include "api/trader_request.hpp"
#include "cli/config.hpp"
#include "core/decimal.hpp"

namespace ballast::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

struct Options {
    std::string config = "config/bench.toml";
    std::optional<std::string> url;
    unsigned connections = 64;
    double rate = 0;  // requests/s over all connections; 0: closed loop
    double duration = 10;
    double warmup = 1;
    unsigned threads = 1;
    bool sign = false;
    std::uint64_t presign = 0;  // with --sign: sign this many orders before measuring
    unsigned traders = 0;       // 0: max(1024, connections)
    std::string deposit = "1000000000";
    std::string size = "0.001";
    std::string slippage = "0.05";
    bool setup = true;
    int server_pid = 0;  // to report the server's CPU time over the measurement
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "load_gen: %s\n"
                 "usage: load_gen [--config FILE] [--url HOST:PORT] [--connections N] [--rate R] [--duration S]\n"
                 "                [--warmup S] [--threads T] [--sign] [--presign COUNT] [--traders K]\n"
                 "                [--deposit UNITS] [--size DEC] [--max-slippage DEC] [--no-setup] [--server-pid PID]\n"
                 "  --config   the server's TOML config: tokens, EIP-712 domain, markets, listen address\n"
                 "             (default config/bench.toml)\n"
                 "  --rate     open-loop target in requests/s over all connections; without it, closed loop\n"
                 "  --sign     sign every order (EIP-712) with one of K trader keys; else a dummy signature\n"
                 "  --presign  with --sign: sign COUNT orders before measuring (the run ends when they are used)\n",
                 why);
    std::exit(2);
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + std::string(arg)).c_str());
            return argv[++i];
        };
        auto number = [&]() {
            const std::string text = value();
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0' || !(v >= 0)) usage(("bad number for " + std::string(arg)).c_str());
            return v;
        };
        if (arg == "--config")
            o.config = value();
        else if (arg == "--url")
            o.url = value();
        else if (arg == "--connections")
            o.connections = static_cast<unsigned>(number());
        else if (arg == "--rate")
            o.rate = number();
        else if (arg == "--duration")
            o.duration = number();
        else if (arg == "--warmup")
            o.warmup = number();
        else if (arg == "--threads")
            o.threads = static_cast<unsigned>(number());
        else if (arg == "--sign")
            o.sign = true;
        else if (arg == "--presign")
            o.presign = static_cast<std::uint64_t>(number());
        else if (arg == "--traders")
            o.traders = static_cast<unsigned>(number());
        else if (arg == "--deposit")
            o.deposit = value();
        else if (arg == "--size")
            o.size = value();
        else if (arg == "--max-slippage")
            o.slippage = value();
        else if (arg == "--no-setup")
            o.setup = false;
        else if (arg == "--server-pid")
            o.server_pid = static_cast<int>(number());
        else
            usage(("unknown option " + std::string(arg)).c_str());
    }
    if (o.connections == 0 || o.threads == 0) usage("--connections and --threads must be at least 1");
    if (o.presign > 0 && !o.sign) usage("--presign needs --sign");
    if (o.traders == 0) o.traders = std::max(1024u, o.connections);
    if (o.traders < o.connections) usage("--traders must be at least --connections (one connection per trader)");
    return o;
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double cpu_seconds_self() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process, from /proc/PID/stat; nullopt if unreadable.
std::optional<double> cpu_seconds_of(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!pid || !std::getline(in, line)) return std::nullopt;
    const std::size_t paren = line.rfind(')');  // the command name may hold spaces
    if (paren == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(paren + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int n = 3; fields >> field; ++n) {  // field 3 is the state
        if (n == 14) utime = std::stod(field);
        if (n == 15) {
            stime = std::stod(field);
            return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
        }
    }
    return std::nullopt;
}

std::string canonical(std::string_view text, std::string_view what) {
    core::Dec value;
    if (core::parse_dec(text, value) != core::ParseError::None) usage(("bad decimal for " + std::string(what)).c_str());
    return core::to_string(value);
}

std::string http_request(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view token, std::string_view body) {
    std::string r;
    r.reserve(256 + body.size());
    r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
    if (!token.empty()) r.append("Authorization: Bearer ").append(token).append("\r\n");
    if (!body.empty() || method == "POST") {
        r.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
        r.append("\r\n");
    }
    r.append("\r\n").append(body);
    return r;
}

// ---------------------------------------------------------------------------
// Traders and their orders.

struct Trader {
    api::PrivateKey key{};
    api::Address address{};
    std::string address_hex;
    std::string pair;
    std::uint64_t nonce = 0;
    bool buy_next = true;
};

class OrderFactory {
public:
    OrderFactory(const Options& options, const api::Eip712Domain& domain)
        : sign_(options.sign),
          buy_(canonical(options.size, "--size")),
          sell_(canonical("-" + buy_, "--size")),
          slippage_(canonical(options.slippage, "--max-slippage")),
          domain_separator_(api::domain_separator(domain)) {
        core::parse_dec(buy_, buy_dec_);
        core::parse_dec(sell_, sell_dec_);
        core::parse_dec(slippage_, slippage_dec_);
        if (!buy_dec_.is_positive()) usage("--size must be positive");
    }

    // The next order of `t`: the other side from its last one, the next nonce.
    std::string body(Trader& t, std::int64_t expiry) {
        const bool buy = t.buy_next;
        t.buy_next = !buy;
        const std::uint64_t nonce = ++t.nonce;
        std::string signature;
        if (sign_) {
            api::TraderRequest request;
            request.action = api::TraderAction::Order;
            request.trader = t.address;
            request.signed_by = {core::Name::from(t.address_hex), nonce, expiry};
            core::SubmitOrder order;
            order.user = request.signed_by.signer;
            order.pair = core::Name::from(t.pair);
            order.size = buy ? buy_dec_ : sell_dec_;
            order.kind = core::OrderKind::Market;
            order.max_slippage = slippage_dec_;
            request.command = order;
            signature = sign(request, t.key);
        } else {
            signature = "0x" + std::string(130, '0');
        }
        std::string b;
        b.reserve(320);
        b.append(R"({"trader":")").append(t.address_hex);
        b.append(R"(","pair":")").append(t.pair);
        b.append(R"(","size":")").append(buy ? buy_ : sell_);
        b.append(R"(","kind":"market","max_slippage":")").append(slippage_);
        b.append(R"(","nonce":)").append(std::to_string(nonce));
        b.append(R"(,"expiry":)").append(std::to_string(expiry));
        b.append(R"(,"signature":")").append(signature).append(R"("})");
        return b;
    }

    // A vault deposit of `amount` base units by `lp` (POST /v1/vault/deposit).
    std::string vault_deposit_body(Trader& lp, const std::string& amount, std::int64_t expiry) {
        const std::uint64_t nonce = ++lp.nonce;
        std::string signature = "0x" + std::string(130, '0');
        if (sign_) {
            api::TraderRequest request;
            request.action = api::TraderAction::VaultDeposit;
            request.trader = lp.address;
            request.signed_by = {core::Name::from(lp.address_hex), nonce, expiry};
            core::Amount units;
            core::parse_amount(amount, units);
            request.command = core::DepositLiquidity{request.signed_by.signer, units, std::nullopt};
            signature = sign(request, lp.key);
        }
        return R"({"trader":")" + lp.address_hex + R"(","amount":")" + amount + R"(","nonce":)" +
               std::to_string(nonce) + R"(,"expiry":)" + std::to_string(expiry) + R"(,"signature":")" + signature +
               R"("})";
    }

private:
    // The EIP-712 signature of the message the server rebuilds from the body.
    std::string sign(const api::TraderRequest& request, const api::PrivateKey& key) const {
        return api::sign_digest(api::typed_data_digest(domain_separator_, api::signed_message(request).struct_hash()),
                                key);
    }

    bool sign_;
    std::string buy_, sell_, slippage_;
    core::Dec buy_dec_, sell_dec_, slippage_dec_;
    api::Hash32 domain_separator_;
};

// ---------------------------------------------------------------------------
// Connections.

struct Stats {
    std::array<std::uint64_t, 600> by_status{};
    std::map<unsigned, std::string> first_body;  // the first reply body of each status
    std::vector<std::int64_t> latency_ns;
    std::uint64_t filled = 0, unfilled = 0;  // among 2xx order replies
    std::uint64_t transport_errors = 0, late = 0, warmup = 0;
    std::string first_error;
    Clock::time_point last_reply{};

    void merge(const Stats& o) {
        for (std::size_t i = 0; i < by_status.size(); ++i) by_status[i] += o.by_status[i];
        for (const auto& [status, body] : o.first_body) first_body.emplace(status, body);
        latency_ns.insert(latency_ns.end(), o.latency_ns.begin(), o.latency_ns.end());
        filled += o.filled;
        unfilled += o.unfilled;
        transport_errors += o.transport_errors;
        late += o.late;
        warmup += o.warmup;
        if (first_error.empty()) first_error = o.first_error;
        last_reply = std::max(last_reply, o.last_reply);
    }
    std::uint64_t in_class(unsigned hundreds) const {
        std::uint64_t n = 0;
        for (unsigned s = hundreds * 100; s < hundreds * 100 + 100; ++s) n += by_status[s];
        return n;
    }
};

struct Outgoing {
    std::string bytes;
    Clock::time_point intended;  // scheduled send time (open loop) or send time (closed loop)
    bool measured = false;
};

class Conn;

class Driver {
public:
    virtual ~Driver() = default;
    // The next request of `conn`; false: the connection is done.
    virtual bool next(Conn& conn, Outgoing& out) = 0;
    virtual void done(Conn& conn, const Outgoing& out, unsigned status, const std::string& body,
                      Clock::time_point now) = 0;
    // After a transport error: whether to reconnect and go on.
    virtual bool go_on(Conn&) { return false; }
};

class Conn {
public:
    Conn(net::io_context& io, tcp::endpoint endpoint, Driver& driver, unsigned id, std::atomic<unsigned>& active)
        : id(id), socket_(io), endpoint_(endpoint), driver_(driver), timer_(io), active_(active) {}

    void start() { connect(); }

    const unsigned id;
    Stats stats;
    std::vector<std::size_t> traders;   // indices of the traders this connection trades for
    std::size_t next_trader = 0;        // round robin over `traders`
    std::uint64_t scheduled = 0;        // open loop: requests scheduled so far
    std::deque<std::string> presigned;  // --presign: bodies signed in set-up

private:
    void connect() {
        socket_.async_connect(endpoint_, [this](error_code ec) {
            if (ec) return fail(ec);
            socket_.set_option(tcp::no_delay(true), ec);
            next();
        });
    }

    void next() {
        if (!driver_.next(*this, out_)) return finish();
        const auto now = Clock::now();
        if (out_.intended > now) {
            timer_.expires_at(out_.intended);
            timer_.async_wait([this](error_code ec) {
                if (ec) return finish();
                send();
            });
            return;
        }
        if (now - out_.intended > std::chrono::milliseconds(1)) ++stats.late;
        send();
    }

    void send() {
        net::async_write(socket_, net::buffer(out_.bytes), [this](error_code ec, std::size_t) {
            if (ec) return fail(ec);
            read();
        });
    }

    void read() {
        parser_.emplace();
        parser_->body_limit(1 << 20);
        http::async_read(socket_, buffer_, *parser_, [this](error_code ec, std::size_t) {
            if (ec) return fail(ec);
            const auto now = Clock::now();
            const auto& response = parser_->get();
            driver_.done(*this, out_, response.result_int(), response.body(), now);
            if (!response.keep_alive()) {
                reconnect();
                return;
            }
            next();
        });
    }

    void fail(error_code ec) {
        ++stats.transport_errors;
        if (stats.first_error.empty()) stats.first_error = ec.message();
        if (stats.transport_errors < 100 && driver_.go_on(*this))
            reconnect();
        else
            finish();
    }

    void reconnect() {
        error_code ignored;
        socket_.close(ignored);
        buffer_.clear();
        connect();
    }

    void finish() {
        if (finished_) return;
        finished_ = true;
        error_code ignored;
        socket_.close(ignored);
        active_.fetch_sub(1);
    }

    tcp::socket socket_;
    tcp::endpoint endpoint_;
    Driver& driver_;
    net::steady_timer timer_;
    std::atomic<unsigned>& active_;
    bool finished_ = false;
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::string_body>> parser_;
    Outgoing out_;
};

// Runs `connections` connections through `driver` until all are done, or
// until `deadline`, when whatever is in flight is abandoned. `prepare` may
// set each connection up before it starts. Returns the merged statistics and
// the number of connections still waiting for a reply at the deadline.
struct PhaseResult {
    Stats stats;
    unsigned abandoned = 0;
};

template <typename Prepare>
PhaseResult run_phase(const tcp::endpoint& endpoint, Driver& driver, unsigned connections, unsigned threads,
                      Clock::time_point deadline, Prepare&& prepare) {
    net::io_context io(static_cast<int>(threads));
    std::atomic<unsigned> active{connections};
    std::vector<std::unique_ptr<Conn>> conns;  // destroyed before `io`
    for (unsigned i = 0; i < connections; ++i) {
        conns.push_back(std::make_unique<Conn>(io, endpoint, driver, i, active));
        prepare(*conns.back());
    }
    for (auto& c : conns) c->start();
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) workers.emplace_back([&io] { io.run(); });
    while (active.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    PhaseResult result;
    result.abandoned = active.load();
    if (result.abandoned > 0) io.stop();
    for (auto& w : workers) w.join();
    for (auto& c : conns) result.stats.merge(c->stats);
    return result;
}

// Set-up and one-off requests: a shared list, taken in order by whichever
// connection is free.
class ListDriver : public Driver {
public:
    explicit ListDriver(std::vector<std::string> requests) : requests_(std::move(requests)) {}
    bool next(Conn&, Outgoing& out) override {
        const std::size_t i = next_.fetch_add(1);
        if (i >= requests_.size()) return false;
        out.bytes = std::move(requests_[i]);
        out.intended = Clock::now();
        out.measured = true;
        return true;
    }
    void done(Conn& conn, const Outgoing& out, unsigned status, const std::string& body,
              Clock::time_point now) override {
        conn.stats.by_status[std::min<unsigned>(status, 599)]++;
        conn.stats.first_body.emplace(status, body);
        conn.stats.latency_ns.push_back(std::chrono::nanoseconds(now - out.intended).count());
        conn.stats.last_reply = now;
    }

private:
    std::vector<std::string> requests_;
    std::atomic<std::size_t> next_{0};
};

// The measured load: orders, open or closed loop.
class LoadDriver : public Driver {
public:
    LoadDriver(const Options& options, std::vector<Trader>& traders, OrderFactory& factory, std::string host,
               Clock::time_point start)
        : options_(options),
          traders_(traders),
          factory_(factory),
          host_(std::move(host)),
          start_(start),
          measure_from_(start + to_duration(options.warmup)),
          end_(measure_from_ + to_duration(options.duration)) {}

    static Clock::duration to_duration(double seconds) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    }
    Clock::time_point measure_from() const { return measure_from_; }
    Clock::time_point end() const { return end_; }

    bool next(Conn& conn, Outgoing& out) override {
        const auto now = Clock::now();
        if (options_.rate > 0) {
            // Connection c sends requests c, c + N, c + 2N, ... of a global schedule at `rate`.
            const double index = static_cast<double>(conn.id) +
                                 static_cast<double>(conn.scheduled) * static_cast<double>(options_.connections);
            out.intended = start_ + to_duration(index / options_.rate);
            ++conn.scheduled;
        } else {
            out.intended = now;
        }
        if (out.intended >= end_) return false;
        out.measured = out.intended >= measure_from_;
        std::string body;
        if (options_.presign > 0) {
            if (conn.presigned.empty()) return false;
            body = std::move(conn.presigned.front());
            conn.presigned.pop_front();
        } else {
            Trader& trader = traders_[conn.traders[conn.next_trader++ % conn.traders.size()]];
            body = factory_.body(trader, wall_ms() + 60'000);
        }
        out.bytes = http_request("POST", "/v1/orders", host_, "", body);
        return true;
    }

    void done(Conn& conn, const Outgoing& out, unsigned status, const std::string& body,
              Clock::time_point now) override {
        if (!out.measured) {
            ++conn.stats.warmup;
            return;
        }
        Stats& s = conn.stats;
        s.by_status[std::min<unsigned>(status, 599)]++;
        if (!s.first_body.count(status)) s.first_body.emplace(status, body);
        if (status / 100 == 2) {
            if (body.find(R"("filled":"0")") != std::string::npos)
                ++s.unfilled;
            else
                ++s.filled;
        }
        s.latency_ns.push_back(std::chrono::nanoseconds(now - out.intended).count());
        s.last_reply = now;
    }

    bool go_on(Conn&) override { return Clock::now() < end_; }

private:
    const Options& options_;
    std::vector<Trader>& traders_;
    OrderFactory& factory_;
    std::string host_;
    Clock::time_point start_, measure_from_, end_;
};

void print_status(const char* what, const Stats& s) {
    std::printf("%s: 2xx %llu, 4xx %llu, 5xx %llu, other %llu, transport errors %llu\n", what,
                static_cast<unsigned long long>(s.in_class(2)), static_cast<unsigned long long>(s.in_class(4)),
                static_cast<unsigned long long>(s.in_class(5)),
                static_cast<unsigned long long>(s.in_class(0) + s.in_class(1) + s.in_class(3)),
                static_cast<unsigned long long>(s.transport_errors));
    for (unsigned status = 0; status < s.by_status.size(); ++status) {
        if (s.by_status[status] == 0 || status / 100 == 2) continue;
        const auto it = s.first_body.find(status);
        std::string body = it == s.first_body.end() ? "" : it->second;
        if (body.size() > 200) body = body.substr(0, 200) + "...";
        std::printf("  %u x %llu, e.g. %s\n", status, static_cast<unsigned long long>(s.by_status[status]),
                    body.c_str());
    }
    if (!s.first_error.empty()) std::printf("  first transport error: %s\n", s.first_error.c_str());
}

double percentile_us(const std::vector<std::int64_t>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return static_cast<double>(sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)]) / 1e3;
}

// One GET's 200 body, or "".
std::string fetch(const tcp::endpoint& endpoint, const std::string& host, std::string_view target,
                  const std::string& token) {
    ListDriver driver({http_request("GET", target, host, token, "")});
    const PhaseResult r = run_phase(endpoint, driver, 1, 1, Clock::now() + std::chrono::seconds(30), [](Conn&) {});
    const auto it = r.stats.first_body.find(200);
    return it == r.stats.first_body.end() ? "" : it->second;
}

// GET /v1/admin/status's "seq", or 0.
std::uint64_t server_seq(const tcp::endpoint& endpoint, const std::string& host, const std::string& admin_token) {
    if (admin_token.empty()) return 0;
    const std::string body = fetch(endpoint, host, "/v1/admin/status", admin_token);
    const std::size_t at = body.find(R"("seq":)");
    return at == std::string::npos ? 0 : std::strtoull(body.c_str() + at + 6, nullptr, 10);
}

// The value of an unlabelled sample in Prometheus text, or 0.
double metric(const std::string& text, std::string_view name) {
    const std::string line = "\n" + std::string(name) + " ";
    const std::size_t at = text.find(line);
    return at == std::string::npos ? 0 : std::strtod(text.c_str() + at + line.size(), nullptr);
}

// The server's group commits between two scrapes of /metrics.
void print_group_commits(const std::string& before, const std::string& after) {
    if (before.empty() || after.empty()) return;
    auto delta = [&](std::string_view name) { return metric(after, name) - metric(before, name); };
    const double batches = delta("ballast_journal_batch_commands_count");
    if (batches <= 0) return;
    std::printf(
        "server group commits over the run (warm-up included): %.0f, %.1f commands each on average; "
        "write+fdatasync %.3f ms on average\n",
        batches, delta("ballast_journal_batch_commands_sum") / batches,
        delta("ballast_journal_fsync_seconds_sum") * 1e3 / delta("ballast_journal_fsync_seconds_count"));
}

int run(int argc, char** argv) {
    const Options options = parse_options(argc, argv);
    cli::ServeConfig config;
    try {
        config = cli::load_config(options.config);
        if (options.url) {
            std::string url = *options.url;
            if (url.starts_with("http://")) url = url.substr(7);
            if (url.ends_with("/")) url.pop_back();
            cli::apply_listen(config, url);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "load_gen: %s\n", e.what());
        return 2;
    }
    if (config.markets.empty()) {
        std::fprintf(stderr, "load_gen: %s has no [[markets]]\n", options.config.c_str());
        return 2;
    }
    const std::string host = config.host + ":" + std::to_string(config.port);
    net::io_context resolver_io;
    tcp::resolver resolver(resolver_io);
    const tcp::endpoint endpoint = *resolver.resolve(config.host, std::to_string(config.port)).begin();
    if (config.gateway.verify_signatures && !options.sign)
        std::fprintf(stderr, "load_gen: warning: %s verifies signatures; without --sign orders get 401\n",
                     options.config.c_str());

    // Traders: deterministic keys, so every run trades for the same addresses.
    std::vector<Trader> traders(options.traders);
    const std::uint64_t nonce_base = static_cast<std::uint64_t>(wall_ms()) << 20;  // unique across runs
    for (std::size_t i = 0; i < traders.size(); ++i) {
        Trader& t = traders[i];
        t.key = api::keccak256("ballast load_gen trader " + std::to_string(i));
        t.address = api::address_of_private_key(t.key);
        t.address_hex = api::address_to_hex(t.address);
        t.pair = std::string(config.markets[i % config.markets.size()].set_pair.pair.view());
        t.nonce = nonce_base;
    }
    OrderFactory factory(options, config.gateway.domain);
    const std::string run_id = std::to_string(wall_ms());

    std::printf(
        "load_gen: http://%s, %u connections, %u client thread%s, %s, %.1f s measured after %.1f s warm-up, "
        "%u traders, %s signatures\n",
        host.c_str(), options.connections, options.threads, options.threads == 1 ? "" : "s",
        options.rate > 0 ? ("open loop at " + std::to_string(static_cast<long long>(options.rate)) + " req/s").c_str()
                         : "closed loop (max throughput)",
        options.duration, options.warmup, options.traders,
        options.sign ? (options.presign ? "EIP-712 (pre-signed)" : "EIP-712 (signed inline)") : "dummy");

    if (options.setup) {
        // The oracle price first: orders need one.
        std::string prices;
        for (const cli::MarketConfig& m : config.markets) {
            if (!m.initial_price) {
                std::fprintf(stderr, "load_gen: market %s needs an initial_price to push as its oracle price\n",
                             std::string(m.set_pair.pair.view()).c_str());
                return 2;
            }
            prices += (prices.empty() ? "" : ",") +
                      ("\"" + std::string(m.set_pair.pair.view()) + "\":\"" + core::to_string(*m.initial_price) + "\"");
        }
        ListDriver oracle({http_request("POST", "/v1/oracle/prices", host, config.gateway.oracle_token,
                                        "{\"prices\":{" + prices + "}}")});
        const PhaseResult o = run_phase(endpoint, oracle, 1, 1, Clock::now() + std::chrono::seconds(30), [](Conn&) {});
        print_status("set-up, oracle price", o.stats);
        if (o.stats.in_class(2) != 1) return 1;

        std::vector<std::string> deposits;
        for (const Trader& t : traders) {
            deposits.push_back(http_request("POST", "/v1/admin/deposits", host, config.gateway.bridge_token,
                                            R"({"tx_id":"load_gen-)" + run_id + "-" + t.address_hex +
                                                R"(","trader":")" + t.address_hex + R"(","amount":")" +
                                                options.deposit + R"("})"));
        }
        const auto started = Clock::now();
        ListDriver deposit_driver(std::move(deposits));
        const PhaseResult d = run_phase(endpoint, deposit_driver, std::min(options.connections, 32u), options.threads,
                                        Clock::now() + std::chrono::seconds(120), [](Conn&) {});
        std::printf("set-up, %u deposits of %s in %.2f s: ", options.traders, options.deposit.c_str(),
                    std::chrono::duration<double>(Clock::now() - started).count());
        print_status("deposits", d.stats);
        if (d.stats.in_class(2) != options.traders)
            std::fprintf(stderr, "load_gen: warning: not every deposit was credited; orders may be refused\n");

        // The vault takes the other side of every trade and refuses new
        // exposure without equity: an LP funds it (margin, then a vault
        // deposit, priced at once while nobody holds a position).
        Trader lp;
        lp.key = api::keccak256("ballast load_gen liquidity provider");
        lp.address = api::address_of_private_key(lp.key);
        lp.address_hex = api::address_to_hex(lp.address);
        lp.nonce = nonce_base;
        const std::string vault_amount = "1000000000000000";
        ListDriver margin({http_request("POST", "/v1/admin/deposits", host, config.gateway.bridge_token,
                                        R"({"tx_id":"load_gen-)" + run_id + R"(-lp","trader":")" + lp.address_hex +
                                            R"(","amount":")" + vault_amount + R"("})")});
        const PhaseResult m = run_phase(endpoint, margin, 1, 1, Clock::now() + std::chrono::seconds(30), [](Conn&) {});
        ListDriver vault({http_request("POST", "/v1/vault/deposit", host, "",
                                       factory.vault_deposit_body(lp, vault_amount, wall_ms() + 60'000))});
        const PhaseResult v = run_phase(endpoint, vault, 1, 1, Clock::now() + std::chrono::seconds(30), [](Conn&) {});
        print_status("set-up, vault deposit", v.stats);
        if (m.stats.in_class(2) != 1 || v.stats.in_class(2) != 1)
            std::fprintf(stderr, "load_gen: warning: the vault was not funded; orders will be refused\n");
    }

    // Connection c trades for traders c, c + N, c + 2N, ...: each trader's
    // nonces and sides advance on one connection only.
    std::vector<std::vector<std::size_t>> assignment(options.connections);
    for (std::size_t i = 0; i < traders.size(); ++i) assignment[i % options.connections].push_back(i);
    std::vector<std::deque<std::string>> presigned(options.connections);
    if (options.presign > 0) {
        const auto started = Clock::now();
        const std::int64_t expiry = wall_ms() + 60'000;
        for (std::uint64_t n = 0; n < options.presign; ++n) {
            const std::size_t c = n % options.connections;
            const auto& mine = assignment[c];
            Trader& t = traders[mine[(n / options.connections) % mine.size()]];
            presigned[c].push_back(factory.body(t, expiry));
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        std::printf("pre-signed %llu orders in %.2f s (%.1f us each, on this client); they expire in 60 s\n",
                    static_cast<unsigned long long>(options.presign), seconds,
                    seconds * 1e6 / static_cast<double>(options.presign));
    }

    const std::uint64_t seq_before = server_seq(endpoint, host, config.gateway.admin_token);
    const std::string metrics_before = fetch(endpoint, host, "/metrics", "");
    const auto start = Clock::now() + std::chrono::milliseconds(20);
    LoadDriver load(options, traders, factory, host, start);
    // CPU time is sampled when the measured window opens, so the warm-up's is left out.
    double cpu_at_window = cpu_seconds_self();
    std::optional<double> server_cpu_at_window = cpu_seconds_of(options.server_pid);
    std::thread sampler([&] {
        std::this_thread::sleep_until(load.measure_from());
        cpu_at_window = cpu_seconds_self();
        server_cpu_at_window = cpu_seconds_of(options.server_pid);
    });
    const PhaseResult result = run_phase(endpoint, load, options.connections, options.threads,
                                         load.end() + std::chrono::seconds(10), [&](Conn& c) {
                                             c.traders = assignment[c.id];
                                             c.presigned = std::move(presigned[c.id]);
                                         });
    sampler.join();
    const double cpu_after = cpu_seconds_self();
    const std::optional<double> server_cpu_after = cpu_seconds_of(options.server_pid);
    const std::uint64_t seq_after = server_seq(endpoint, host, config.gateway.admin_token);
    const std::string metrics_after = fetch(endpoint, host, "/metrics", "");

    Stats s = result.stats;
    std::sort(s.latency_ns.begin(), s.latency_ns.end());
    const std::uint64_t measured = s.latency_ns.size();
    const auto window_end = std::max(s.last_reply, load.measure_from() + std::chrono::milliseconds(1));
    const double window = std::chrono::duration<double>(window_end - load.measure_from()).count();
    std::printf("measured: %llu replies in %.2f s = %.0f req/s", static_cast<unsigned long long>(measured), window,
                static_cast<double>(measured) / window);
    if (options.rate > 0) std::printf(" (target %.0f req/s)", options.rate);
    std::printf("; %llu warm-up replies not counted\n", static_cast<unsigned long long>(s.warmup));
    print_status("status", s);
    std::printf("  2xx orders: %llu filled, %llu accepted but not filled\n", static_cast<unsigned long long>(s.filled),
                static_cast<unsigned long long>(s.unfilled));
    if (options.rate > 0)
        std::printf("  %llu requests left more than 1 ms after their scheduled time (client or server behind)\n",
                    static_cast<unsigned long long>(s.late));
    if (result.abandoned > 0)
        std::printf("  %u connections still waiting for a reply 10 s after the end were abandoned\n", result.abandoned);
    std::printf("latency (us, from %s): p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n",
                options.rate > 0 ? "scheduled send time" : "send time", percentile_us(s.latency_ns, 0.5),
                percentile_us(s.latency_ns, 0.9), percentile_us(s.latency_ns, 0.99), percentile_us(s.latency_ns, 0.999),
                s.latency_ns.empty() ? 0.0 : static_cast<double>(s.latency_ns.back()) / 1e3);
    const double measured_seconds = std::chrono::duration<double>(load.end() - load.measure_from()).count();
    std::printf("client CPU over the window: %.2f cores", (cpu_after - cpu_at_window) / measured_seconds);
    if (server_cpu_at_window && server_cpu_after)
        std::printf("; server (pid %d): %.2f cores", options.server_pid,
                    (*server_cpu_after - *server_cpu_at_window) / measured_seconds);
    std::printf("\n");
    if (seq_before && seq_after)
        std::printf("server journal: seq %llu -> %llu (%llu commands journaled, warm-up included)\n",
                    static_cast<unsigned long long>(seq_before), static_cast<unsigned long long>(seq_after),
                    static_cast<unsigned long long>(seq_after - seq_before));
    print_group_commits(metrics_before, metrics_after);
    return 0;
}

}  // namespace
}  // namespace ballast::bench

int main(int argc, char** argv) {
    try {
        return ballast::bench::run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "load_gen: %s\n", e.what());
        return 1;
    }
}
