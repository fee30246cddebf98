// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Strongly typed ids. Every id is scoped by its tenant: ids are numbered from
// 1 within each tenant, and an id is only meaningful together with the tenant
// it was returned for. 0 is never a valid id.

#ifndef OMNIROUTE_IDS_H_
#define OMNIROUTE_IDS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"

namespace omniroute {

template <typename Tag>
class Id {
 public:
  constexpr Id() = default;
  constexpr explicit Id(uint64_t value) : value_(value) {}

  constexpr uint64_t value() const { return value_; }
  constexpr bool valid() const { return value_ != 0; }

  friend constexpr bool operator==(Id a, Id b) { return a.value_ == b.value_; }
  friend constexpr auto operator<=>(Id a, Id b) { return a.value_ <=> b.value_; }

  template <typename H>
  friend H AbslHashValue(H h, Id id) {
    return H::combine(std::move(h), id.value_);
  }
  friend std::ostream& operator<<(std::ostream& os, Id id) {
    return os << Tag::kPrefix << id.value_;
  }

 private:
  uint64_t value_ = 0;
};

// "customer/12", "conversation/3", "message/40".
template <typename Tag>
std::string ToString(Id<Tag> id) {
  return absl::StrCat(Tag::kPrefix, id.value());
}

struct CustomerIdTag {
  static constexpr const char kPrefix[] = "customer/";
};
struct ConversationIdTag {
  static constexpr const char kPrefix[] = "conversation/";
};
struct MessageIdTag {
  static constexpr const char kPrefix[] = "message/";
};

struct TaskIdTag {
  static constexpr const char kPrefix[] = "task/";
};
struct CommitmentIdTag {
  static constexpr const char kPrefix[] = "commitment/";
};

using CustomerId = Id<CustomerIdTag>;
using ConversationId = Id<ConversationIdTag>;
using MessageId = Id<MessageIdTag>;
using TaskId = Id<TaskIdTag>;
using CommitmentId = Id<CommitmentIdTag>;

}  // namespace omniroute

#endif  // OMNIROUTE_IDS_H_
