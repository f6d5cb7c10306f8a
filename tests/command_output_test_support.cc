#include "command_output_test_support.h"

#include <sys/wait.h>

#include <cstdio>

namespace sluice::testing {

std::string CommandOutput(const std::string& command, int* status) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  if (pipe == nullptr) {
    *status = -1;
    return out;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  *status = pclose(pipe);
  return out;
}

CommandRun RunSluice(const std::string& binary, const std::string& args) {
  int status = 0;
  CommandRun r;
  r.out = CommandOutput(binary + " " + args + " --progress off 2>&1", &status);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace sluice::testing
