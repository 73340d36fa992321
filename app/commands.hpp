#pragma once
// Every `consolegate <command>`: each returns the process exit status
// (0 ok, 1 runtime failure, 2 usage or configuration error).

namespace consolegate::app {

int cmd_logs(int argc, char** argv);
int cmd_explain(int argc, char** argv);
int cmd_elevations(int argc, char** argv);
int cmd_export(int argc, char** argv);
int cmd_dns_zones(int argc, char** argv);

}  // namespace consolegate::app
