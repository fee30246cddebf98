// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The tenant configuration files (lib/service/tenant_config.h): any text is
// refused with INVALID_ARGUMENT naming the file and where, or parsed; a
// parsed file is applied to a fresh engine, which creates the tenant and
// refuses what is invalid with a status naming the file and the field.
// A file applied without error, applied a second time, succeeds and writes
// no event: restarting a server with the same files changes nothing.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "service/tenant_config.h"

namespace {

constexpr char kPath[] = "fuzz.textproto";

[[noreturn]] void Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "tenant_config_fuzzer: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::abort();
}

}  // namespace

// Protobuf logs every string field that is not UTF-8 as it refuses it;
// inputs are mostly such, and the log would bury libFuzzer's.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Configuration files are small; the parser's cost grows with the text.
  if (size > 16 * 1024) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<omniroute::service::LoadedConfig> loaded =
      omniroute::service::ParseTenantConfig(text, kPath);
  if (!loaded.ok()) {
    if (loaded.status().code() != absl::StatusCode::kInvalidArgument ||
        !absl::StartsWith(loaded.status().message(), kPath)) {
      Fail("parse error without the file", loaded.status());
    }
    return 0;
  }

  omniroute::ManualClock clock(absl::FromUnixSeconds(1767225600));
  absl::StatusOr<std::unique_ptr<omniroute::Engine>> engine =
      omniroute::Engine::Open({.clock = &clock});
  if (!engine.ok()) Fail("Engine::Open", engine.status());
  const absl::Status applied = omniroute::service::ApplyTenantConfig(**engine, *loaded);
  if (!applied.ok()) {
    if (!absl::StartsWith(applied.message(), kPath)) Fail("apply error without the file", applied);
    return 0;
  }
  const std::string& tenant = loaded->config.tenant_id();
  absl::StatusOr<uint64_t> before = (*engine)->LastSequence(tenant);
  if (!before.ok()) Fail("LastSequence", before.status());
  const absl::Status again = omniroute::service::ApplyTenantConfig(**engine, *loaded);
  if (!again.ok()) Fail("second apply of an applied file", again);
  absl::StatusOr<uint64_t> after = (*engine)->LastSequence(tenant);
  if (!after.ok()) Fail("LastSequence", after.status());
  if (*after != *before) {
    std::fprintf(stderr, "tenant_config_fuzzer: second apply wrote events %llu..%llu\n",
                 static_cast<unsigned long long>(*before + 1),
                 static_cast<unsigned long long>(*after));
    std::abort();
  }
  return 0;
}
