// Writes the benchmark replay session to stdout: gen_replay_session [COUNT].
#include <cstdio>
#include <cstdlib>

#include "replay_session.hpp"

int main(int argc, char** argv) {
    const int count = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
    for (const std::string& line : ballast::bench::make_replay_session(count)) std::printf("%s\n", line.c_str());
    return 0;
}
