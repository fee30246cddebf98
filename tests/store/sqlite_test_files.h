// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Files for the SQLite store's tests: scratch directories, and damage done
// to a store through SQLite's own API, as a tool or a disk would do it.

#ifndef OMNIROUTE_TESTS_STORE_SQLITE_TEST_FILES_H_
#define OMNIROUTE_TESTS_STORE_SQLITE_TEST_FILES_H_

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace omniroute::testing_internal {

// A fresh directory under the test's temporary directory, removed with
// everything in it when the object goes.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::path(testing::TempDir()) / "omniroute-sqlite-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << pattern << ") failed";
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string File(absl::string_view name) const { return (path_ / std::string(name)).string(); }

 private:
  std::filesystem::path path_;
};

// Runs `sql` on the file at `path` through SQLite directly, as a tool (or a
// disk) that damages the store would.
inline void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close_v2(db);
}

// The first column of the first row of `sql` on the file at `path`, read
// through SQLite directly; -1 if there is no row.
inline int64_t QueryInt64(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  int64_t value = -1;
  if (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close_v2(db);
  return value;
}

// Flips one bit in the middle of the stored payload of (tenant, sequence),
// keeping its checksum.
inline void FlipPayloadByte(const std::string& path, absl::string_view tenant, uint64_t sequence) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* select = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT payload FROM events WHERE tenant = ?1 AND sequence = ?2",
                               -1, &select, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(select, 1, tenant.data(), static_cast<int>(tenant.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(select, 2, static_cast<int64_t>(sequence));
  ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
  std::string payload(static_cast<const char*>(sqlite3_column_blob(select, 0)),
                      static_cast<size_t>(sqlite3_column_bytes(select, 0)));
  sqlite3_finalize(select);
  ASSERT_FALSE(payload.empty());
  payload[payload.size() / 2] ^= 0x04;

  sqlite3_stmt* update = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "UPDATE events SET payload = ?3 WHERE tenant = ?1 AND sequence = ?2",
                         -1, &update, nullptr),
      SQLITE_OK);
  sqlite3_bind_text(update, 1, tenant.data(), static_cast<int>(tenant.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(update, 2, static_cast<int64_t>(sequence));
  sqlite3_bind_blob(update, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(update), SQLITE_DONE);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_finalize(update);
  sqlite3_close_v2(db);
}

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_STORE_SQLITE_TEST_FILES_H_
