// The `ballast` binary.
//
//   ballast serve [...]             the exchange service (see cli/serve.hpp)
//   ballast journal dump DIR        a journal as replay JSON Lines
//   ballast replay [--state-hash [--config FILE]] [FILE|-]
//                                   replay JSON Lines commands, one JSON result line each
//   ballast demo                    a short, narrated trading session
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "api/command_encoder.hpp"
#include "api/replay.hpp"
#include "api/state_replayer.hpp"
#include "cli/config.hpp"
#include "cli/demo_script.hpp"
#include "cli/serve.hpp"
#include "sequencer/exchange_state.hpp"
#include "sequencer/journal.hpp"
#include "sequencer/journal_record.hpp"

namespace {

constexpr const char* kUsage =
    "usage: ballast <command> [--help]\n"
    "\n"
    "  serve [--config FILE] [--listen HOST:PORT] [--data DIR]\n"
    "                    run the exchange: durable sequencer and REST API under /v1;\n"
    "                    without --config, an embedded demo exchange on 127.0.0.1:8080\n"
    "  journal dump DIR  print the journal in DIR (a data directory or its journal/)\n"
    "                    as replay JSON Lines, for `ballast replay`\n"
    "  replay [--state-hash [--config FILE]] [FILE|-]\n"
    "                    read JSON Lines commands from FILE (or stdin) and write one\n"
    "                    JSON result line per command to stdout; with --state-hash,\n"
    "                    print only the SHA-256 of the final state\n"
    "  demo              replay a narrated example session and print it readably\n"
    "  help              this text\n"
    "\n"
    "`ballast <command> --help` describes one command.\n";

constexpr const char* kJournalUsage =
    "usage: ballast journal dump DIR\n"
    "\n"
    "Prints the journal in DIR (a data directory or its journal/ directory) as\n"
    "replay JSON Lines on stdout, one command per journal record, in sequence\n"
    "order. Reads only: it never repairs a torn tail (the server cuts it off on\n"
    "start) and may run while the server does. Exits 1 on a corrupt journal.\n";

constexpr const char* kReplayUsage =
    "usage: ballast replay [--state-hash [--config FILE]] [FILE|-]\n"
    "\n"
    "Reads JSON Lines commands from FILE (or stdin, or -) and writes one JSON\n"
    "result line per command to stdout. Lines {\"journal\":{...}}, which\n"
    "`ballast journal dump` writes before a command that carried a signature or\n"
    "an Idempotency-Key, are not commands and print nothing.\n"
    "\n"
    "  --state-hash   print only the SHA-256 of the whole final state, service\n"
    "                 layer included: for `ballast journal dump DIR`, what\n"
    "                 GET /v1/admin/status reports for the server on DIR\n"
    "  --config FILE  the server's configuration, whose idempotency retention\n"
    "                 is part of the state (default: 24 h)\n";

constexpr const char* kDemoUsage =
    "usage: ballast demo\n"
    "\n"
    "Replays a short, narrated example session through the engine and prints\n"
    "each command with its result.\n";

int usage(const char* text, std::FILE* to, int code) {
    std::fputs(text, to);
    return code;
}

bool is_help(std::string_view arg) { return arg == "--help" || arg == "-h"; }

// Calls `on_line` for every line of `in` (the last one may lack its newline).
template <typename OnLine>
void for_each_line(std::FILE* in, OnLine&& on_line) {
    std::string pending;  // bytes of a line not yet terminated
    static char chunk[1 << 16];
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof chunk, in)) > 0) {
        std::string_view data(chunk, n);
        std::size_t newline = 0;
        while ((newline = data.find('\n')) != std::string_view::npos) {
            if (pending.empty()) {
                on_line(data.substr(0, newline));
            } else {
                pending.append(data.substr(0, newline));
                on_line(std::string_view(pending));
                pending.clear();
            }
            data.remove_prefix(newline + 1);
        }
        pending.append(data);
    }
    if (!pending.empty()) on_line(std::string_view(pending));
}

int replay(const char* path, bool state_hash_only, const char* config_file) {
    ballast::sequencer::ExchangeLimits limits;
    if (config_file != nullptr) {
        try {
            limits = ballast::cli::load_config(config_file).sequencer.limits;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "ballast: %s\n", e.what());
            return 2;
        }
    }
    std::FILE* in = stdin;
    if (path != nullptr && std::strcmp(path, "-") != 0) {
        in = std::fopen(path, "rb");
        if (in == nullptr) {
            std::fprintf(stderr, "ballast: cannot open %s: %s\n", path, std::strerror(errno));
            return 2;
        }
    }
    int status = 0;
    if (state_hash_only) {
        // The whole state, service layer included: what GET /v1/admin/status hashes.
        ballast::api::StateReplayer replayer(limits);
        std::string error;
        std::uint64_t line_number = 0;
        for_each_line(in, [&](std::string_view line) {
            ++line_number;
            if (status == 0 && !replayer.process_line(line, error)) {
                std::fprintf(stderr, "ballast: line %llu: %s\n", static_cast<unsigned long long>(line_number),
                             error.c_str());
                status = 1;
            }
        });
        if (status == 0) std::printf("%s\n", replayer.state().state_hash().c_str());
    } else {
        ballast::api::Replayer replayer;
        std::string out;
        for_each_line(in, [&](std::string_view line) {
            replayer.process_line(line, out);
            if (out.size() > (1 << 16)) {
                std::fwrite(out.data(), 1, out.size(), stdout);
                out.clear();
            }
        });
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    if (in != stdin) std::fclose(in);
    return status != 0 ? status : std::ferror(stdout) ? 1 : 0;
}

int demo() {
    ballast::api::Replayer replayer;
    std::string_view script = ballast::cli::kDemoScript;
    std::string out;
    while (!script.empty()) {
        const std::size_t end = script.find('\n');
        const std::string_view line = script.substr(0, end);
        script.remove_prefix(end == std::string_view::npos ? script.size() : end + 1);
        if (line.empty()) {
            std::puts("");
        } else if (line.front() == '#') {
            std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
        } else {
            out.clear();
            replayer.process_line(line, out);
            std::printf("  > %.*s\n  < %s", static_cast<int>(line.size()), line.data(), out.c_str());
        }
    }
    return 0;
}

int journal_dump(const char* dir) {
    namespace fs = std::filesystem;
    fs::path path = dir;
    if (fs::exists(path / "journal")) path /= "journal";
    if (!fs::is_directory(path)) {
        std::fprintf(stderr, "ballast: %s is not a directory\n", dir);
        return 2;
    }
    ballast::sequencer::JournalRecord record;
    std::string error, out;
    try {
        const auto scan =
            ballast::sequencer::scan_journal(path, /*repair=*/false, [&](std::uint64_t seq, std::string_view payload) {
                if (!ballast::sequencer::decode_record(payload, record, error))
                    throw ballast::sequencer::JournalCorrupt("record " + std::to_string(seq) + ": " + error);
                ballast::api::append_service_fields_line(record, out);
                ballast::api::encode_command_json(record.command, out);
                if (out.size() > (1 << 16)) {
                    std::fwrite(out.data(), 1, out.size(), stdout);
                    out.clear();
                }
            });
        std::fwrite(out.data(), 1, out.size(), stdout);
        if (scan.truncated_bytes > 0)
            std::fprintf(stderr, "ballast: ignored a %s (the server cuts it off on start)\n",
                         scan.truncation_reason.c_str());
    } catch (const std::exception& e) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fprintf(stderr, "ballast: %s\n", e.what());
        return 1;
    }
    return std::ferror(stdout) ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage(kUsage, stderr, 2);
    const std::string_view command = argv[1];
    auto asks_help = [&] {
        for (int i = 2; i < argc; ++i) {
            if (is_help(argv[i])) return true;
        }
        return false;
    };
    if (command == "replay") {
        if (asks_help()) return usage(kReplayUsage, stdout, 0);
        bool hash = false;
        const char* config_file = nullptr;
        const char* file = nullptr;
        for (int i = 2; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "--state-hash" && !hash) {
                hash = true;
            } else if (arg == "--config" && config_file == nullptr && i + 1 < argc) {
                config_file = argv[++i];
            } else if (file == nullptr && (arg == "-" || !arg.starts_with("--"))) {
                file = argv[i];
            } else {
                return usage(kReplayUsage, stderr, 2);
            }
        }
        if (config_file != nullptr && !hash) return usage(kReplayUsage, stderr, 2);
        return replay(file, hash, config_file);
    }
    if (command == "serve") return ballast::cli::serve(argc, argv);
    if (command == "journal") {
        if (asks_help()) return usage(kJournalUsage, stdout, 0);
        if (argc != 4 || std::string_view(argv[2]) != "dump") return usage(kJournalUsage, stderr, 2);
        return journal_dump(argv[3]);
    }
    if (command == "demo") {
        if (asks_help()) return usage(kDemoUsage, stdout, 0);
        if (argc != 2) return usage(kDemoUsage, stderr, 2);
        return demo();
    }
    if (command == "help" || is_help(command)) return usage(kUsage, stdout, 0);
    std::fprintf(stderr, "ballast: unknown command '%s'\n", argv[1]);
    return usage(kUsage, stderr, 2);
}
