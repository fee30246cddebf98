# A throwaway PostgreSQL server (initdb in a temporary directory, served on a
# unix socket): tests/store/postgres_test_server.h. The PostgreSQL store's
# tests start one (through omniroute_postgres_test_server, tests/), and so
# does its benchmark, which the release preset builds without the tests; so
# this library is defined when either is built, and needs no test framework.
set(OMNIROUTE_POSTGRES_BIN_DIR "/usr/lib/postgresql/15/bin" CACHE PATH
  "Where the tests and benchmarks find initdb and postgres (Debian's postgresql-15)")
add_library(omniroute_postgres_server STATIC
  ${PROJECT_SOURCE_DIR}/tests/store/postgres_test_server.cc)
target_include_directories(omniroute_postgres_server PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_compile_features(omniroute_postgres_server PUBLIC cxx_std_20)
target_compile_definitions(omniroute_postgres_server PRIVATE
  OMNIROUTE_POSTGRES_BIN_DIR="${OMNIROUTE_POSTGRES_BIN_DIR}")
target_link_libraries(omniroute_postgres_server
  PUBLIC PostgreSQL::PostgreSQL absl::status absl::statusor absl::strings absl::synchronization
    absl::time)
