// WebSocket fan-out load for `ballast serve` (benchmark tool; see
// docs/BENCHMARKS.md): many connections subscribed while load_gen sends
// orders, counting what arrives and how late.
//
//   ws_fanout --url HOST:PORT --market-conns 1000 --trader-conns 1000 --duration 10 [--pair BTC-PERP]
//             [--traders 1024]
//
// Market connections subscribe to market.<pair>.trades and .ticker; trader
// connection i to trader.<address of load_gen's trader i mod --traders>
// (load_gen's deterministic keys). All run on one thread (one io_context).
// A message's delay is the receive time minus the "time" it carries: the
// time the engine stamped on its command, in whole milliseconds, so the
// figure includes the journal's group commit and is good to about 1 ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "api/eip712.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct Totals {
    std::uint64_t connected = 0, failed = 0, messages = 0, snapshots = 0, bytes = 0;
    std::vector<std::int64_t> delays_ms;  // measured window only
    bool measuring = false;
};

class Conn : public std::enable_shared_from_this<Conn> {
public:
    Conn(net::io_context& io, Totals& totals, std::vector<std::string> channels)
        : ws_(io), totals_(totals), channels_(std::move(channels)) {}

    void start(const tcp::endpoint& endpoint, const std::string& host) {
        host_ = host;
        beast::get_lowest_layer(ws_).async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->fail();
            self->ws_.async_handshake(self->host_, "/v1/ws", [self](beast::error_code ec2) {
                if (ec2) return self->fail();
                ++self->totals_.connected;
                self->subscribe(0);
            });
        });
    }

private:
    void fail() { ++totals_.failed; }

    void subscribe(std::size_t i) {
        if (i == channels_.size()) return read();
        out_ = R"({"op":"subscribe","channel":")" + channels_[i] + "\"}";
        ws_.async_write(net::buffer(out_), [self = shared_from_this(), i](beast::error_code ec, std::size_t) {
            if (ec) return self->fail();
            self->subscribe(i + 1);
        });
    }

    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
            if (ec) return;  // closed: the run is over (or the server cut us off)
            self->take(bytes);
            self->buffer_.consume(bytes);
            self->read();
        });
    }

    void take(std::size_t bytes) {
        const std::string_view text(static_cast<const char*>(buffer_.data().data()), bytes);
        if (text.find(R"("n":)") == std::string_view::npos) return;  // acknowledgements
        if (text.find(R"("type":"snapshot")") != std::string_view::npos) {
            ++totals_.snapshots;
            return;
        }
        ++totals_.messages;
        if (!totals_.measuring) return;
        totals_.bytes += bytes;
        const auto at = text.find(R"("time":)");
        if (at == std::string_view::npos) return;
        totals_.delays_ms.push_back(wall_ms() - std::atoll(text.data() + at + 7));
    }

    websocket::stream<beast::tcp_stream> ws_;
    Totals& totals_;
    std::vector<std::string> channels_;
    std::string host_, out_;
    beast::flat_buffer buffer_;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "ws_fanout: %s\nusage: ws_fanout --url HOST:PORT [--market-conns N] [--trader-conns N] "
                 "[--duration S] [--pair PAIR] [--traders N]\n",
                 why);
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string url = "127.0.0.1:18480", pair = "BTC-PERP";
    int market_conns = 1000, trader_conns = 1000, traders = 1024;
    double duration = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
        const char* v = argv[++i];
        if (arg == "--url")
            url = v;
        else if (arg == "--market-conns")
            market_conns = std::atoi(v);
        else if (arg == "--trader-conns")
            trader_conns = std::atoi(v);
        else if (arg == "--duration")
            duration = std::atof(v);
        else if (arg == "--pair")
            pair = v;
        else if (arg == "--traders")
            traders = std::max(1, std::atoi(v));
        else
            usage(("unknown option " + arg).c_str());
    }
    const auto colon = url.rfind(':');
    if (colon == std::string::npos) usage("--url must be HOST:PORT");
    net::io_context io;
    const tcp::endpoint endpoint(net::ip::make_address(url.substr(0, colon)),
                                 static_cast<unsigned short>(std::atoi(url.c_str() + colon + 1)));
    Totals totals;
    std::vector<std::shared_ptr<Conn>> conns;
    for (int i = 0; i < market_conns; ++i)
        conns.push_back(std::make_shared<Conn>(
            io, totals, std::vector<std::string>{"market." + pair + ".trades", "market." + pair + ".ticker"}));
    for (int i = 0; i < trader_conns; ++i) {
        const auto key = ballast::api::keccak256("ballast load_gen trader " + std::to_string(i % traders));
        const std::string address = ballast::api::address_to_hex(ballast::api::address_of_private_key(key));
        conns.push_back(std::make_shared<Conn>(io, totals, std::vector<std::string>{"trader." + address}));
    }
    for (auto& c : conns) c->start(endpoint, url);

    // Two seconds to connect and subscribe, then the measured window.
    net::steady_timer timer(io);
    std::uint64_t messages_at_start = 0;
    const auto window_start = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    timer.expires_at(window_start);
    timer.async_wait([&](beast::error_code) {
        totals.measuring = true;
        messages_at_start = totals.messages;
        timer.expires_at(window_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                            std::chrono::duration<double>(duration)));
        timer.async_wait([&](beast::error_code) { io.stop(); });
    });
    io.run();

    std::vector<std::int64_t>& d = totals.delays_ms;
    std::sort(d.begin(), d.end());
    const auto pct = [&](double p) {
        return d.empty() ? -1 : d[std::min(d.size() - 1, static_cast<std::size_t>(p * static_cast<double>(d.size())))];
    };
    const std::uint64_t measured = totals.messages - messages_at_start;
    std::printf(
        "ws_fanout: %d market + %d trader connections: %llu connected, %llu failed, %llu snapshots\n"
        "measured %.1f s: %llu messages = %.0f messages/s (%.1f MB/s over all connections)\n"
        "delay from the command's time (ms, +-1): p50 %lld  p90 %lld  p99 %lld  max %lld\n",
        market_conns, trader_conns, static_cast<unsigned long long>(totals.connected),
        static_cast<unsigned long long>(totals.failed), static_cast<unsigned long long>(totals.snapshots), duration,
        static_cast<unsigned long long>(measured), static_cast<double>(measured) / duration,
        static_cast<double>(totals.bytes) / duration / 1e6, static_cast<long long>(pct(0.5)),
        static_cast<long long>(pct(0.9)), static_cast<long long>(pct(0.99)),
        static_cast<long long>(d.empty() ? -1 : d.back()));
    return 0;
}
