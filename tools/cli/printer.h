// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Printer: writes each response either as readable text or, with --json, as
// one JSON object per line (the proto3 JSON mapping, as
// google::protobuf::util::MessageToJsonString prints it: lowerCamelCase
// names, default values left out, 64-bit integers as strings). Every write
// is flushed, so that a stream of updates reaches a pipe as it happens.
//
// Thread-compatible. The stream is not owned.

#ifndef OMNIROUTE_TOOLS_CLI_PRINTER_H_
#define OMNIROUTE_TOOLS_CLI_PRINTER_H_

#include <ostream>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace omniroute::cli {

class Printer {
 public:
  Printer(std::ostream& out, bool json) : out_(out), json_(json) {}

  bool json() const { return json_; }

  // Writes `message` as one JSON line with --json; otherwise writes what
  // `readable` returns (whole lines; a missing final "\n" is added). A local
  // error when the output cannot be written (a closed pipe) or the message
  // cannot be converted.
  absl::Status Print(const google::protobuf::Message& message,
                     absl::FunctionRef<std::string()> readable);

  // The JSON line of `message`, without its "\n".
  static absl::StatusOr<std::string> JsonLine(const google::protobuf::Message& message);

 private:
  absl::Status Write(absl::string_view text);

  std::ostream& out_;
  const bool json_;
};

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_PRINTER_H_
