// The `ballast` binary.
//
//   ballast replay [FILE|-]   replay JSON Lines commands, one JSON result line each
//   ballast demo              a short, narrated trading session
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "api/replay.hpp"
#include "cli/demo_script.hpp"

namespace {

int usage(std::FILE* to, int code) {
    std::fputs(
        "usage: ballast <command>\n"
        "\n"
        "  replay [FILE|-]   read JSON Lines commands from FILE (or stdin) and write one\n"
        "                    JSON result line per command to stdout\n"
        "  demo              replay a narrated example session and print it readably\n"
        "  help              this text\n",
        to);
    return code;
}

int replay(const char* path) {
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
        if (out.size() > (1 << 16)) flush();
    }
    if (!pending.empty()) replayer.process_line(pending, out);
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

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage(stderr, 2);
    const std::string_view command = argv[1];
    if (command == "replay") return replay(argc > 2 ? argv[2] : nullptr);
    if (command == "demo") return demo();
    if (command == "help" || command == "--help" || command == "-h") return usage(stdout, 0);
    std::fprintf(stderr, "ballast: unknown command '%s'\n", argv[1]);
    return usage(stderr, 2);
}
