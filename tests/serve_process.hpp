// Driving a real `ballast` process from a test: start it (optionally with a
// lower descriptor limit), talk HTTP to it with a client that reports failure
// instead of throwing, and collect its exit status and log.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ballast::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// The binary under test: the one built beside the tests, or
// $BALLAST_TEST_BINARY (to run these tests against another build).
inline std::string ballast_binary() {
    const char* other = std::getenv("BALLAST_TEST_BINARY");
    return other != nullptr && *other != '\0' ? other : BALLAST_BINARY;
}

inline unsigned short free_port() {
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

// A keep-alive client; a failed exchange returns nullopt and the next one reconnects.
class Client {
public:
    explicit Client(unsigned short port, std::chrono::milliseconds timeout = std::chrono::seconds(5))
        : port_(port), timeout_(timeout) {}

    std::optional<http::response<http::string_body>> send(http::verb verb, const std::string& target,
                                                          const std::string& body = {}, const std::string& auth = {},
                                                          const std::string& idempotency_key = {}) {
        // Asynchronous operations under the stream's expiry, run to
        // completion here: a blocking read would wait forever for a server
        // that holds the reply.
        auto run = [this](auto start) {
            beast::error_code result;
            start([&result](beast::error_code ec, auto&&...) { result = ec; });
            io_.restart();
            io_.run();
            return result;
        };
        if (!stream_) {
            stream_.emplace(io_);
            stream_->expires_after(timeout_);
            const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port_);
            if (run([&](auto done) { stream_->async_connect(endpoint, done); })) {
                stream_.reset();
                return std::nullopt;
            }
        }
        http::request<http::string_body> request(verb, target, 11);
        request.set(http::field::host, "127.0.0.1");
        if (!auth.empty()) request.set(http::field::authorization, auth);
        if (!idempotency_key.empty()) request.set("Idempotency-Key", idempotency_key);
        request.body() = body;
        request.prepare_payload();
        request.keep_alive(true);
        http::response<http::string_body> response;
        stream_->expires_after(timeout_);
        if (run([&](auto done) { http::async_write(*stream_, request, done); }) ||
            run([&](auto done) { http::async_read(*stream_, buffer_, response, done); })) {
            stream_.reset();
            buffer_.clear();
            return std::nullopt;
        }
        if (!response.keep_alive()) {
            stream_.reset();
            buffer_.clear();
        }
        return response;
    }
    std::optional<http::response<http::string_body>> get(const std::string& target, const std::string& auth = {}) {
        return send(http::verb::get, target, {}, auth);
    }
    std::optional<http::response<http::string_body>> post(const std::string& target, const std::string& body,
                                                          const std::string& auth = {}) {
        return send(http::verb::post, target, body, auth);
    }

private:
    unsigned short port_;
    std::chrono::milliseconds timeout_;
    net::io_context io_;
    std::optional<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
};

// `ballast <args...>` in a child process, stderr and stdout appended to `log`.
class Process {
public:
    struct Options {
        std::optional<rlim_t> nofile_soft, nofile_hard;  // RLIMIT_NOFILE for the child
    };

    Process(std::vector<std::string> args, const std::filesystem::path& log, Options options = {}) {
        pid_ = ::fork();
        if (pid_ == 0) {
            std::FILE* out = std::freopen(log.c_str(), "a", stderr);
            (void)out;
            ::dup2(::fileno(stderr), STDOUT_FILENO);
            if (options.nofile_soft || options.nofile_hard) {
                rlimit limit{};
                ::getrlimit(RLIMIT_NOFILE, &limit);
                if (options.nofile_hard) limit.rlim_max = *options.nofile_hard;
                if (options.nofile_soft) limit.rlim_cur = *options.nofile_soft;
                if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
            }
            std::string binary = ballast_binary();
            std::vector<char*> argv;
            argv.push_back(binary.data());
            for (std::string& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(binary.c_str(), argv.data());
            ::_exit(127);
        }
    }
    ~Process() { kill(SIGKILL); }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }

    // Sends `signal` and waits for the exit; returns the wait status.
    int kill(int signal) {
        if (pid_ <= 0) return status_;
        ::kill(pid_, signal);
        ::waitpid(pid_, &status_, 0);
        pid_ = -1;
        return status_;
    }

    // The wait status once the process has exited by itself, or nullopt after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        if (pid_ <= 0) return status_;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
                pid_ = -1;
                return status_;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return std::nullopt;
    }

    bool running() {
        if (pid_ <= 0) return false;
        if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        return true;
    }

    // User plus system CPU time of the process so far, from /proc/<pid>/stat.
    double cpu_seconds() const {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // Fields after the command name (which is in parentheses and may hold spaces).
        std::size_t at = stat.rfind(')');
        if (at == std::string::npos) return -1;
        std::vector<std::string> fields;
        std::string field;
        for (std::size_t i = at + 2; i < stat.size(); ++i) {
            if (stat[i] == ' ') {
                fields.push_back(field);
                field.clear();
            } else {
                field.push_back(stat[i]);
            }
        }
        // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
        if (fields.size() < 13) return -1;
        const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
        return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
    }

private:
    pid_t pid_ = -1;
    int status_ = -1;
};

inline bool exited_with(int wait_status, int code) {
    return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == code;
}

// Waits until GET /v1/health answers (any status), up to about five seconds.
inline bool wait_serving(Client& client, Process* process = nullptr) {
    for (int i = 0; i < 500; ++i) {
        if (client.get("/v1/health")) return true;
        if (process != nullptr && !process->running()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs a shell command and returns its standard output.
inline std::string run_command(const std::string& command, int* exit_status = nullptr) {
    std::string out;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    const int status = ::pclose(pipe);
    if (exit_status != nullptr) *exit_status = status;
    return out;
}

}  // namespace ballast::testing
