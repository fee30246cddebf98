// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// An append-only sequence stored in fixed-size chunks. Unlike std::vector it
// never moves its elements when it grows: with a million messages in a tenant,
// a reallocation would copy every one of them and stall the tenant's executor,
// and references to elements stay valid.

#ifndef OMNIROUTE_LIB_CORE_CHUNKED_VECTOR_H_
#define OMNIROUTE_LIB_CORE_CHUNKED_VECTOR_H_

#include <cstddef>
#include <iterator>
#include <memory>
#include <vector>

namespace omniroute::core {

template <typename T, size_t kChunkSize = 1024>
class ChunkedVector {
 public:
  ChunkedVector() = default;
  ChunkedVector(ChunkedVector&&) noexcept = default;
  ChunkedVector& operator=(ChunkedVector&&) noexcept = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) { return chunks_[i / kChunkSize][i % kChunkSize]; }
  const T& operator[](size_t i) const { return chunks_[i / kChunkSize][i % kChunkSize]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  T& emplace_back() {
    if (size_ % kChunkSize == 0) chunks_.push_back(std::make_unique<T[]>(kChunkSize));
    return (*this)[size_++];
  }

  template <typename Owner, typename Value>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = Value*;
    using reference = Value&;

    Iterator(Owner* owner, size_t i) : owner_(owner), i_(i) {}
    Value& operator*() const { return (*owner_)[i_]; }
    Value* operator->() const { return &(*owner_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return i_ == other.i_; }

   private:
    Owner* owner_;
    size_t i_;
  };
  using iterator = Iterator<ChunkedVector, T>;
  using const_iterator = Iterator<const ChunkedVector, const T>;

  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_CHUNKED_VECTOR_H_
