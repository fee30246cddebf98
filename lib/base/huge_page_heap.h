// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A heap on transparent huge pages, for omniroute's programs.
//
// The working set is a few large tables (the identity index, conversations,
// messages) and many small records reached from them at random, so most of a
// command's time is spent in misses, and on x86 each miss into a 4 KiB page
// that is not in the TLB also walks the page tables (in a virtual machine,
// two sets of them). With 2 MiB pages one TLB entry covers 512 times as
// much. Measured on a 2-core virtual machine, ingest into a tenant of 1M
// customers took 35-55% less CPU time with the heap on huge pages
// (benchmarks/README.md, "The heap on huge pages").
//
// glibc (2.35 and later) puts its heap on huge pages when the tunable
// glibc.malloc.hugetlb=1 is set, and reads tunables only when a process
// starts; where the kernel gives huge pages on request only
// (/sys/kernel/mm/transparent_hugepage/enabled is "madvise", Debian's
// default), nothing else asks for them. So a program calls
// RestartWithHugePageHeap() first thing in main(): it executes the same
// program again, same arguments, same process id, with the tunable added to
// its environment.
//
// Thread-compatible; call it before any thread starts.
#ifndef OMNIROUTE_LIB_BASE_HUGE_PAGE_HEAP_H_
#define OMNIROUTE_LIB_BASE_HUGE_PAGE_HEAP_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace omniroute::base {

// The environment variable that turns the restart off when set to "0".
inline constexpr char kHugePageHeapVariable[] = "OMNIROUTE_HUGE_PAGE_HEAP";

// The value GLIBC_TUNABLES should have for a heap on huge pages, given its
// current value (`tunables`, absent when unset), the value of
// OMNIROUTE_HUGE_PAGE_HEAP (`setting`) and the kernel's transparent huge
// page mode (the content of /sys/kernel/mm/transparent_hugepage/enabled,
// e.g. "always [madvise] never"). nullopt when nothing is to change: turned
// off ("0"), the kernel never gives huge pages, or GLIBC_TUNABLES already
// says what malloc.hugetlb is (the user's choice, or this restart done).
std::optional<std::string> HugePageTunables(std::optional<absl::string_view> tunables,
                                            std::optional<absl::string_view> setting,
                                            absl::string_view kernel_mode);

// Executes /proc/self/exe again with `argv` and GLIBC_TUNABLES set as
// HugePageTunables() says. Returns without doing anything when it says
// nothing is to change, when glibc is older than 2.35, and when the exec
// fails (the program then runs as it would have, with its ordinary heap).
// `argv` is main()'s, ending with a null pointer.
void RestartWithHugePageHeap(char** argv);

}  // namespace omniroute::base

#endif  // OMNIROUTE_LIB_BASE_HUGE_PAGE_HEAP_H_
