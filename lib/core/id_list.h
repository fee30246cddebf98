// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// IdList<Id>: a list of ids in one pointer. Empty, it holds no memory; else
// one heap block with its size, its capacity and the ids.
//
// For lists that exist once per customer and are empty for most of them
// (the conversations of a customer in the working set: a dormant customer's
// have all been archived), where std::vector's 24 bytes, times tens of
// millions of customers, cost more than the ids themselves.
//
// Id is one of the 8-byte ids of omniroute/ids.h. Thread-compatible.

#ifndef OMNIROUTE_LIB_CORE_ID_LIST_H_
#define OMNIROUTE_LIB_CORE_ID_LIST_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

namespace omniroute::core {

template <typename Id>
class IdList {
 public:
  IdList() = default;
  ~IdList() { ::operator delete(block_); }

  IdList(const IdList& other) {
    if (other.empty()) return;
    Reserve(other.size());
    std::copy(other.begin(), other.end(), items());
    block_->size = other.size();
  }
  IdList& operator=(const IdList& other) {
    if (this != &other) *this = IdList(other);
    return *this;
  }
  IdList(IdList&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  IdList& operator=(IdList&& other) noexcept {
    if (this != &other) {
      ::operator delete(block_);
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }

  size_t size() const { return block_ == nullptr ? 0 : block_->size; }
  bool empty() const { return size() == 0; }
  const Id* begin() const { return block_ == nullptr ? nullptr : items(); }
  const Id* end() const { return begin() + size(); }
  const Id& operator[](size_t i) const { return items()[i]; }
  std::vector<Id> ToVector() const { return std::vector<Id>(begin(), end()); }

  void push_back(Id id) {
    if (size() == capacity()) Reserve(std::max<size_t>(1, 2 * size()));
    items()[block_->size++] = id;
  }
  // Removes every occurrence of `id`; frees the block when the list empties.
  void Erase(Id id) {
    if (block_ == nullptr) return;
    Id* last = std::remove(items(), items() + block_->size, id);
    block_->size = static_cast<uint32_t>(last - items());
    if (block_->size == 0) {
      ::operator delete(block_);
      block_ = nullptr;
    }
  }

 private:
  struct Block {
    uint32_t size;
    uint32_t capacity;
  };
  static_assert(sizeof(Id) == 8 && alignof(Id) <= alignof(Block) * 2);

  size_t capacity() const { return block_ == nullptr ? 0 : block_->capacity; }
  Id* items() const { return reinterpret_cast<Id*>(block_ + 1); }

  void Reserve(size_t capacity) {
    auto* grown = static_cast<Block*>(::operator new(sizeof(Block) + capacity * sizeof(Id)));
    grown->size = static_cast<uint32_t>(size());
    grown->capacity = static_cast<uint32_t>(capacity);
    if (block_ != nullptr) std::memcpy(static_cast<void*>(grown + 1), items(), size() * sizeof(Id));
    ::operator delete(block_);
    block_ = grown;
  }

  Block* block_ = nullptr;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_ID_LIST_H_
