// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Page tokens: where the next page of a list starts, handed to the caller
// and back. A token is opaque to callers: a format byte, the position (the
// key of the last entry returned, in bytes the list defines) and a CRC-32C
// over the tenant id, the list's scope ("timeline 12", "conversations 7")
// and all of that, base64url-encoded. A token that does not decode, fails
// its check, or was given for another tenant or list is refused with
// INVALID_ARGUMENT naming page_token. The check is not a secret: whoever
// builds a valid token for a list they may read only chooses where their
// page starts.

#ifndef OMNIROUTE_LIB_ENGINE_PAGE_TOKEN_H_
#define OMNIROUTE_LIB_ENGINE_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/conversation.h"

namespace omniroute::engine_internal {

std::string EncodePageToken(absl::string_view tenant_id, absl::string_view scope,
                            absl::string_view position);
// The position a token stands for.
absl::StatusOr<std::string> DecodePageToken(absl::string_view tenant_id, absl::string_view scope,
                                            absl::string_view token);

// The page size a request asks for (0: the default), or INVALID_ARGUMENT
// naming page_size.
absl::StatusOr<int> PageSize(const PageRequest& request);

// Fixed-width little-endian integers for positions: tokens outlive the
// process and the machine.
void AppendUint64(std::string& out, uint64_t value);
uint64_t ReadUint64(absl::string_view bytes, size_t offset);

}  // namespace omniroute::engine_internal

#endif  // OMNIROUTE_LIB_ENGINE_PAGE_TOKEN_H_
