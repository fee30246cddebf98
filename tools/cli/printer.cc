// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/printer.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cli/errors.h"
#include "google/protobuf/util/json_util.h"

namespace omniroute::cli {

absl::StatusOr<std::string> Printer::JsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;  // Compact: one line.
  std::string line;
  const auto status = google::protobuf::util::MessageToJsonString(message, &line, options);
  if (!status.ok()) {
    return LocalError(absl::InternalError(absl::StrCat(
        "cannot print a ", message.GetDescriptor()->full_name(), " as JSON: ", status.ToString())));
  }
  return line;
}

absl::Status Printer::Print(const google::protobuf::Message& message,
                            absl::FunctionRef<std::string()> readable) {
  if (json_) {
    absl::StatusOr<std::string> line = JsonLine(message);
    if (!line.ok()) return line.status();
    line->push_back('\n');
    return Write(*line);
  }
  std::string text = readable();
  if (text.empty() || text.back() != '\n') text.push_back('\n');
  return Write(text);
}

absl::Status Printer::Write(absl::string_view text) {
  out_.write(text.data(), static_cast<std::streamsize>(text.size()));
  out_.flush();
  if (!out_.good()) {
    return LocalError(absl::UnavailableError("cannot write the output (standard output failed)"));
  }
  return absl::OkStatus();
}

}  // namespace omniroute::cli
