// omniroute-crash-driver: drives a fixed script of commands against an engine
// on a SQLite store and prints "ack <n>" (flushed) once command n has been
// acknowledged. The crash test kills it with SIGKILL at random points,
// restarts it, and checks the store against what was acknowledged.
//
//   omniroute-crash-driver <database> [--max-commands N]
//
// Every run starts the script from command 1: commands the store already has
// come back as redeliveries (same channel and external id), which is also how
// a real client retries after a crash. Command n is an inbound message with
// external id "cmd-<n>"; every 7th command also links the sender's other
// identity, which merges two customers the first time.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "omniroute/engine.h"
#include "omniroute/sqlite_event_store.h"

namespace {

namespace v1 = ::omniroute::v1;

constexpr char kTenant[] = "crash";

[[noreturn]] void Die(const absl::Status& status, const std::string& what) {
  std::fprintf(stderr, "omniroute-crash-driver: %s: %s\n", what.c_str(),
               status.ToString().c_str());
  std::exit(1);
}

// One write(2) per line, so the line has left the process before the next
// command starts.
void Ack(uint64_t n) {
  const std::string line = absl::StrCat("ack ", n, "\n");
  if (write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::exit(0);  // The reader is gone.
  }
}

omniroute::RawIdentity EmailOf(uint64_t person) {
  return {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("person", person, "@example.com")};
}
omniroute::RawIdentity HandleOf(uint64_t person) {
  return {v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", absl::StrCat("person", person)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: omniroute-crash-driver <database> [--max-commands N]\n");
    return 2;
  }
  uint64_t max_commands = UINT64_MAX;
  if (argc == 4 && std::strcmp(argv[2], "--max-commands") == 0) {
    if (!absl::SimpleAtoi(argv[3], &max_commands)) {
      std::fprintf(stderr, "omniroute-crash-driver: --max-commands: not a number\n");
      return 2;
    }
  }
  omniroute::SqliteStoreOptions store_options;
  store_options.path = argv[1];
  store_options.durability = omniroute::Durability::kSyncEachCommit;
  auto store = omniroute::OpenSqliteEventStore(store_options);
  if (!store.ok()) Die(store.status(), "open store");
  auto engine = omniroute::Engine::Open({.store = store->get(), .snapshot_every_events = 200});
  if (!engine.ok()) Die(engine.status(), "open engine");
  if (absl::Status s = (*engine)->CreateTenant(kTenant, {}); !s.ok() && !absl::IsAlreadyExists(s)) {
    Die(s, "create tenant");
  }

  for (uint64_t n = 1; n <= max_commands; ++n) {
    const uint64_t person = n % 23;
    omniroute::InboundMessage message;
    const bool by_email = n % 2 == 0;
    message.channel = by_email ? v1::CHANNEL_EMAIL : v1::CHANNEL_PUBLIC_SOCIAL;
    message.sender = by_email ? EmailOf(person) : HandleOf(person);
    message.external_id = absl::StrCat("cmd-", n);
    message.body = absl::StrCat("message ", n, " of person ", person);
    auto ingested = (*engine)->IngestMessage(kTenant, message);
    if (!ingested.ok()) Die(ingested.status(), message.external_id);
    if (n % 7 == 0) {
      auto linked = (*engine)->LinkIdentity(kTenant, ingested->customer,
                                            by_email ? HandleOf(person) : EmailOf(person),
                                            omniroute::Actor::Agent("crash-agent"));
      if (!linked.ok()) Die(linked.status(), absl::StrCat("link of cmd-", n));
    }
    Ack(n);
  }
  return 0;
}
