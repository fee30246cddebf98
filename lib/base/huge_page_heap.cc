// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "base/huge_page_heap.h"

#include <gnu/libc-version.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace omniroute::base {
namespace {

constexpr absl::string_view kTunable = "glibc.malloc.hugetlb";

// The mode the kernel selected: the bracketed word of `kernel_mode`.
absl::string_view SelectedMode(absl::string_view kernel_mode) {
  const size_t open = kernel_mode.find('[');
  const size_t close = kernel_mode.find(']', open);
  if (open == absl::string_view::npos || close == absl::string_view::npos) return "";
  return kernel_mode.substr(open + 1, close - open - 1);
}

// Whether glibc reads glibc.malloc.hugetlb (2.35 and later).
bool GlibcHasTheTunable() {
  const std::vector<absl::string_view> parts = absl::StrSplit(gnu_get_libc_version(), '.');
  int major = 0;
  int minor = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &major) ||
      !absl::SimpleAtoi(parts[1], &minor)) {
    return false;
  }
  return major > 2 || (major == 2 && minor >= 35);
}

std::optional<absl::string_view> Env(const char* name) {
  const char* value = getenv(name);
  if (value == nullptr) return std::nullopt;
  return absl::string_view(value);
}

}  // namespace

std::optional<std::string> HugePageTunables(std::optional<absl::string_view> tunables,
                                            std::optional<absl::string_view> setting,
                                            absl::string_view kernel_mode) {
  if (setting.has_value() && *setting == "0") return std::nullopt;
  const absl::string_view mode = SelectedMode(kernel_mode);
  if (mode != "always" && mode != "madvise") return std::nullopt;
  if (!tunables.has_value() || tunables->empty()) return absl::StrCat(kTunable, "=1");
  for (absl::string_view entry : absl::StrSplit(*tunables, ':')) {
    if (absl::StartsWith(entry, absl::StrCat(kTunable, "="))) return std::nullopt;
  }
  return absl::StrCat(*tunables, ":", kTunable, "=1");
}

void RestartWithHugePageHeap(char** argv) {
  if (argv == nullptr || argv[0] == nullptr || !GlibcHasTheTunable()) return;
  std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
  const std::string kernel_mode((std::istreambuf_iterator<char>(file)),
                                std::istreambuf_iterator<char>());
  const std::optional<std::string> tunables =
      HugePageTunables(Env("GLIBC_TUNABLES"), Env(kHugePageHeapVariable), kernel_mode);
  if (!tunables.has_value()) return;
  if (setenv("GLIBC_TUNABLES", tunables->c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // The exec failed (no /proc, say): run on, with the ordinary heap. The
  // variable stays set, so a child started from here would not try again.
}

}  // namespace omniroute::base
