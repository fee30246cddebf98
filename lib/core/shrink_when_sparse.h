// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// ShrinkWhenSparse: gives a hash map's memory back once most of it is empty.
//
// Swiss tables never shrink on erase. The maps of the working set
// (conversations, messages, their routing records) grow with the open work
// and empty out as conversations are archived: after a busy day they would
// keep the day's peak for ever. Shrinking when under an eighth full costs a
// rehash of what is left (an eighth of the peak), so at most once per
// halving of the peak.

#ifndef OMNIROUTE_LIB_CORE_SHRINK_WHEN_SPARSE_H_
#define OMNIROUTE_LIB_CORE_SHRINK_WHEN_SPARSE_H_

#include <cstddef>

namespace omniroute::core {

template <typename Map>
void ShrinkWhenSparse(Map& map) {
  constexpr size_t kSmall = 1024;
  if (map.capacity() > kSmall && map.size() * 8 < map.capacity()) map.rehash(0);
}

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_SHRINK_WHEN_SPARSE_H_
