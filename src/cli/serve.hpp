// `ballast serve`: the exchange service (sequencer + REST API).
#pragma once

namespace ballast::cli {

int serve(int argc, char** argv);

}  // namespace ballast::cli
