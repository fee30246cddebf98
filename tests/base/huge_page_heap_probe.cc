// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The program tests/base/huge_page_heap_test.cc runs: restarts itself as
// omniroute's programs do, then prints its process id, GLIBC_TUNABLES and
// its arguments, one per line.

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/huge_page_heap.h"

int main(int argc, char** argv) {
  omniroute::base::RestartWithHugePageHeap(argv);
  const char* tunables = getenv("GLIBC_TUNABLES");
  printf("pid=%d\n", static_cast<int>(getpid()));
  printf("tunables=%s\n", tunables == nullptr ? "(unset)" : tunables);
  for (int i = 1; i < argc; ++i) printf("arg=%s\n", argv[i]);
  return 0;
}
