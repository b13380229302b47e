// The `ballast` binary.
//
//   ballast serve [...]             the exchange service (see cli/serve.hpp)
//   ballast journal dump DIR        a journal as replay JSON Lines
//   ballast replay [--state-hash] [FILE|-]
//                                   replay JSON Lines commands, one JSON result line each
//   ballast demo                    a short, narrated trading session
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "api/command_encoder.hpp"
#include "api/replay.hpp"
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
    "  replay [--state-hash] [FILE|-]\n"
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
    "usage: ballast replay [--state-hash] [FILE|-]\n"
    "\n"
    "Reads JSON Lines commands from FILE (or stdin, or -) and writes one JSON\n"
    "result line per command to stdout. With --state-hash, prints only the\n"
    "SHA-256 of the final state instead (what GET /v1/admin/status reports for a\n"
    "server whose journal `ballast journal dump` printed).\n";

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

int replay(const char* path, bool state_hash_only) {
    std::FILE* in = stdin;
    if (path != nullptr && std::strcmp(path, "-") != 0) {
        in = std::fopen(path, "rb");
        if (in == nullptr) {
            std::fprintf(stderr, "ballast: cannot open %s: %s\n", path, std::strerror(errno));
            return 2;
        }
    }
    ballast::api::Replayer replayer;
    std::string pending;  // bytes of a line not yet terminated
    std::string out;
    static char chunk[1 << 16];
    auto flush = [&] {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
    };
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof chunk, in)) > 0) {
        std::string_view data(chunk, n);
        std::size_t newline = 0;
        while ((newline = data.find('\n')) != std::string_view::npos) {
            if (pending.empty()) {
                replayer.process_line(data.substr(0, newline), out);
            } else {
                pending.append(data.substr(0, newline));
                replayer.process_line(pending, out);
                pending.clear();
            }
            data.remove_prefix(newline + 1);
        }
        pending.append(data);
        if (state_hash_only)
            out.clear();
        else if (out.size() > (1 << 16))
            flush();
    }
    if (!pending.empty()) replayer.process_line(pending, out);
    if (state_hash_only) {
        out = ballast::sequencer::state_hash(replayer.engine()) + "\n";
    }
    flush();
    if (in != stdin) std::fclose(in);
    return std::ferror(stdout) ? 1 : 0;
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
        const bool hash = argc > 2 && std::string_view(argv[2]) == "--state-hash";
        const int file_arg = hash ? 3 : 2;
        if (argc > file_arg + 1) return usage(kReplayUsage, stderr, 2);
        return replay(argc > file_arg ? argv[file_arg] : nullptr, hash);
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
