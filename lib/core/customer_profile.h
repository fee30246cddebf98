// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// CustomerProfile: what the working set keeps of a customer's personal data
// (display name, language and identities), packed in one heap block that the
// profile owns through a single pointer.
//
// A tenant holds every customer it ever met, most of them dormant, so the
// customer record is the one structure whose size multiplies by tens of
// millions. Three std::strings and a vector of identities (each two more
// strings) cost about 400 bytes and five to seven heap blocks per customer;
// packed, a customer with an email and a phone number costs one block of
// 48-64 bytes. The block is also the identity index's key store
// (identity_index.h keeps only hashes and customer ids): an identity's bytes
// are held once, here.
//
// Layout of the block (sizes are little-endian varints):
//   uint32 byte size of what follows | uint32 identity count
//   size name, name | size language, language
//   identity count times: varint kind, size network, network, size value, value
//
// A profile is immutable: a change (an identity linked, moved by a merge,
// erased) builds a new one. Changes are rare next to reads.
//
// Thread-compatible. Copying copies the block.

#ifndef OMNIROUTE_LIB_CORE_CUSTOMER_PROFILE_H_
#define OMNIROUTE_LIB_CORE_CUSTOMER_PROFILE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "omniroute/identity.h"
#include "omniroute/types.h"

namespace omniroute::core {

// A decoded identity that points into a profile's block; valid while the
// profile is alive and unchanged.
struct IdentityRef {
  IdentityKind kind = ::omniroute::v1::IDENTITY_KIND_UNSPECIFIED;
  absl::string_view network;
  absl::string_view value;

  bool operator==(const Identity& other) const {
    return kind == other.kind && network == other.network && value == other.value;
  }
  Identity ToIdentity() const { return {kind, std::string(network), std::string(value)}; }
};

class CustomerProfile {
 public:
  // The empty profile (no name, no language, no identities) holds no block.
  CustomerProfile() = default;
  CustomerProfile(absl::string_view display_name, absl::string_view language,
                  const std::vector<Identity>& identities);
  ~CustomerProfile();

  CustomerProfile(const CustomerProfile& other);
  CustomerProfile& operator=(const CustomerProfile& other);
  CustomerProfile(CustomerProfile&& other) noexcept;
  CustomerProfile& operator=(CustomerProfile&& other) noexcept;

  absl::string_view display_name() const;
  absl::string_view language() const;
  size_t identity_count() const;
  // In the order they were added.
  std::vector<Identity> identities() const;
  // Whether `identity` is one of the profile's, compared exactly.
  bool Holds(const Identity& identity) const;

  // Calls f(IdentityRef) for each identity, in order, without copying.
  template <typename F>
  void ForEachIdentity(F&& f) const {
    if (data_ == nullptr) return;
    Reader reader(data_);
    reader.SkipNameAndLanguage();
    for (uint32_t i = 0, n = reader.identity_count(); i < n; ++i) f(reader.NextIdentity());
  }

  // Copies with one identity more (appended) or less (removed if present).
  CustomerProfile WithIdentity(const Identity& identity) const;
  CustomerProfile WithoutIdentity(const Identity& identity) const;
  // A copy with the name and language replaced and the identities kept.
  CustomerProfile WithNames(absl::string_view display_name, absl::string_view language) const;

  // The bytes of the heap block (0 for the empty profile).
  size_t block_bytes() const;

 private:
  // Decodes a block front to back.
  class Reader {
   public:
    explicit Reader(const char* block);
    uint32_t identity_count() const { return identity_count_; }
    absl::string_view NextString();
    void SkipNameAndLanguage() {
      NextString();
      NextString();
    }
    IdentityRef NextIdentity();

   private:
    uint64_t NextVarint();
    const char* p_;
    uint32_t identity_count_;
  };

  static char* Build(absl::string_view display_name, absl::string_view language,
                     const std::vector<IdentityRef>& identities);
  std::vector<IdentityRef> IdentityRefs() const;

  char* data_ = nullptr;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_CUSTOMER_PROFILE_H_
