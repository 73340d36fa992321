#pragma once
// `consolegate check-config FILE`: validates a configuration and everything it includes.

namespace consolegate::app {

// argv[0] is the subcommand name ("check-config"), argv[1] the file. Prints every diagnostic to
// stderr as FILE:LINE:COL: message and "FILE: ok" to stdout when valid.
// Exit status: 0 valid, 2 invalid or usage error.
int cmd_check_config(int argc, char** argv);

}  // namespace consolegate::app
