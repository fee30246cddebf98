// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/errors.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace omniroute::cli {
namespace {

// The category travels as a status payload, so that it survives being
// returned through any number of helpers unchanged.
constexpr char kCategoryUrl[] = "type.omniroute.dev/cli.ErrorCategory";
constexpr char kRpc[] = "rpc";
constexpr char kLocal[] = "local";

absl::Status WithCategory(absl::Status status, absl::string_view category) {
  status.SetPayload(kCategoryUrl, absl::Cord(category));
  return status;
}

bool HasCategory(const absl::Status& status, absl::string_view category) {
  const auto payload = status.GetPayload(kCategoryUrl);
  return payload.has_value() && *payload == category;
}

}  // namespace

absl::Status RpcError(const grpc::Status& status) {
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  if (converted.ok()) {
    // grpc::Status::OK never reaches here; an out-of-range code would.
    converted = absl::UnknownError("the server answered with an unknown status");
  }
  return WithCategory(std::move(converted), kRpc);
}

absl::Status LocalError(absl::Status status) { return WithCategory(std::move(status), kLocal); }

bool IsRpcError(const absl::Status& status) { return HasCategory(status, kRpc); }
bool IsLocalError(const absl::Status& status) { return HasCategory(status, kLocal); }
bool IsUsageError(const absl::Status& status) {
  return !status.ok() && !IsRpcError(status) && !IsLocalError(status);
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  return IsUsageError(status) ? kExitUsage : kExitFailure;
}

std::string ErrorLine(const absl::Status& status) {
  return absl::StrCat("error: ", absl::StatusCodeToString(status.code()), ": ", status.message());
}

}  // namespace omniroute::cli
