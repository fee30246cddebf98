// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/customer_profile.h"

#include <cstring>
#include <string>
#include <utility>

namespace omniroute::core {
namespace {

constexpr size_t kHeaderBytes = 2 * sizeof(uint32_t);

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(uint64_t v, char* out) {
  while (v >= 0x80) {
    *out++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<char>(v);
  return out;
}

char* PutString(absl::string_view s, char* out) {
  out = PutVarint(s.size(), out);
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

size_t StringSize(absl::string_view s) { return VarintSize(s.size()) + s.size(); }

uint32_t LoadUint32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

IdentityRef RefOf(const Identity& identity) {
  return {identity.kind, identity.network, identity.value};
}

bool SameIdentity(const IdentityRef& a, const IdentityRef& b) {
  return a.kind == b.kind && a.network == b.network && a.value == b.value;
}

}  // namespace

CustomerProfile::Reader::Reader(const char* block)
    : p_(block + kHeaderBytes), identity_count_(LoadUint32(block + sizeof(uint32_t))) {}

uint64_t CustomerProfile::Reader::NextVarint() {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(*p_++);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return v;
  }
}

absl::string_view CustomerProfile::Reader::NextString() {
  const size_t size = NextVarint();
  absl::string_view s(p_, size);
  p_ += size;
  return s;
}

IdentityRef CustomerProfile::Reader::NextIdentity() {
  IdentityRef ref;
  ref.kind = static_cast<IdentityKind>(NextVarint());
  ref.network = NextString();
  ref.value = NextString();
  return ref;
}

char* CustomerProfile::Build(absl::string_view display_name, absl::string_view language,
                             const std::vector<IdentityRef>& identities) {
  if (display_name.empty() && language.empty() && identities.empty()) return nullptr;
  size_t body = StringSize(display_name) + StringSize(language);
  for (const IdentityRef& i : identities) {
    body += VarintSize(static_cast<uint32_t>(i.kind)) + StringSize(i.network) + StringSize(i.value);
  }
  char* block = new char[kHeaderBytes + body];
  const auto size = static_cast<uint32_t>(body);
  const auto count = static_cast<uint32_t>(identities.size());
  std::memcpy(block, &size, sizeof(size));
  std::memcpy(block + sizeof(size), &count, sizeof(count));
  char* out = block + kHeaderBytes;
  out = PutString(display_name, out);
  out = PutString(language, out);
  for (const IdentityRef& i : identities) {
    out = PutVarint(static_cast<uint32_t>(i.kind), out);
    out = PutString(i.network, out);
    out = PutString(i.value, out);
  }
  return block;
}

CustomerProfile::CustomerProfile(absl::string_view display_name, absl::string_view language,
                                 const std::vector<Identity>& identities) {
  std::vector<IdentityRef> refs;
  refs.reserve(identities.size());
  for (const Identity& i : identities) refs.push_back(RefOf(i));
  data_ = Build(display_name, language, refs);
}

CustomerProfile::~CustomerProfile() { delete[] data_; }

CustomerProfile::CustomerProfile(const CustomerProfile& other) {
  if (other.data_ == nullptr) return;
  const size_t bytes = other.block_bytes();
  data_ = new char[bytes];
  std::memcpy(data_, other.data_, bytes);
}

CustomerProfile& CustomerProfile::operator=(const CustomerProfile& other) {
  if (this != &other) *this = CustomerProfile(other);
  return *this;
}

CustomerProfile::CustomerProfile(CustomerProfile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)) {}

CustomerProfile& CustomerProfile::operator=(CustomerProfile&& other) noexcept {
  if (this != &other) {
    delete[] data_;
    data_ = std::exchange(other.data_, nullptr);
  }
  return *this;
}

size_t CustomerProfile::block_bytes() const {
  return data_ == nullptr ? 0 : kHeaderBytes + LoadUint32(data_);
}

absl::string_view CustomerProfile::display_name() const {
  if (data_ == nullptr) return {};
  Reader reader(data_);
  return reader.NextString();
}

absl::string_view CustomerProfile::language() const {
  if (data_ == nullptr) return {};
  Reader reader(data_);
  reader.NextString();
  return reader.NextString();
}

size_t CustomerProfile::identity_count() const {
  return data_ == nullptr ? 0 : LoadUint32(data_ + sizeof(uint32_t));
}

std::vector<IdentityRef> CustomerProfile::IdentityRefs() const {
  std::vector<IdentityRef> refs;
  refs.reserve(identity_count());
  ForEachIdentity([&](const IdentityRef& ref) { refs.push_back(ref); });
  return refs;
}

std::vector<Identity> CustomerProfile::identities() const {
  std::vector<Identity> out;
  out.reserve(identity_count());
  ForEachIdentity([&](const IdentityRef& ref) { out.push_back(ref.ToIdentity()); });
  return out;
}

bool CustomerProfile::Holds(const Identity& identity) const {
  if (data_ == nullptr) return false;
  Reader reader(data_);
  reader.SkipNameAndLanguage();
  for (uint32_t i = 0, n = reader.identity_count(); i < n; ++i) {
    if (reader.NextIdentity() == identity) return true;
  }
  return false;
}

CustomerProfile CustomerProfile::WithIdentity(const Identity& identity) const {
  std::vector<IdentityRef> refs = IdentityRefs();
  refs.push_back(RefOf(identity));
  CustomerProfile changed;
  changed.data_ = Build(display_name(), language(), refs);
  return changed;
}

CustomerProfile CustomerProfile::WithoutIdentity(const Identity& identity) const {
  std::vector<IdentityRef> refs = IdentityRefs();
  const IdentityRef gone = RefOf(identity);
  std::erase_if(refs, [&](const IdentityRef& ref) { return SameIdentity(ref, gone); });
  CustomerProfile changed;
  changed.data_ = Build(display_name(), language(), refs);
  return changed;
}

CustomerProfile CustomerProfile::WithNames(absl::string_view display_name,
                                           absl::string_view language) const {
  CustomerProfile changed;
  changed.data_ = Build(display_name, language, IdentityRefs());
  return changed;
}

}  // namespace omniroute::core
