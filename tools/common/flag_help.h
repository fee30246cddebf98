// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// --help for the tools whose flags are Abseil flags. Abseil's own --help
// lists only the flags defined in a file named after the program
// ("omniroute-server.cc", "omniroute-server_main.cc"): our mains are
// omniroute_server.cc and omniroute_load.cc, so it printed "No flags
// matched", and it exits 1 either way. This prints the usage and the flags
// of the main's own file, with their defaults, and exits 0; -h too.

#ifndef OMNIROUTE_TOOLS_COMMON_FLAG_HELP_H_
#define OMNIROUTE_TOOLS_COMMON_FLAG_HELP_H_

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/string_view.h"

namespace omniroute::tools {

inline absl::string_view BaseName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// Call first in main, before absl::ParseCommandLine, with __FILE__ of the
// file that defines the flags. Sets the usage message; on --help, -help or
// -h (before a "--"), prints it with those flags to stdout and exits 0.
// Abseil's --helpshort and --helpfull keep working, about the same file.
inline void SetUpFlagHelp(absl::string_view usage, absl::string_view flags_file, int argc,
                          char** argv) {
  absl::SetProgramUsageMessage(usage);
  static const std::string* const kBase = new std::string(BaseName(flags_file));
  const auto ours = [](absl::string_view file) { return BaseName(file) == *kBase; };
  absl::FlagsUsageConfig config;
  config.contains_help_flags = ours;
  config.contains_helpshort_flags = ours;
  config.contains_helppackage_flags = ours;
  absl::SetFlagsUsageConfig(config);

  bool help = false;
  for (int i = 1; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    for (const char* spelling : {"--help", "-help", "-h"}) {
      if (std::strcmp(argv[i], spelling) == 0) help = true;
    }
  }
  if (!help) return;
  std::map<std::string, const absl::CommandLineFlag*> flags;  // in name order
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (ours(flag->Filename())) flags.emplace(std::string(name), flag);
  }
  std::cout << BaseName(argv[0]) << ": " << usage << "\n\nFlags:\n";
  for (const auto& [name, flag] : flags) {
    std::cout << "  --" << name << " (default: \"" << flag->DefaultValue() << "\")\n      "
              << flag->Help() << "\n";
  }
  std::cout << std::flush;
  std::exit(0);
}

}  // namespace omniroute::tools

#endif  // OMNIROUTE_TOOLS_COMMON_FLAG_HELP_H_
