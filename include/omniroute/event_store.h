// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Where a tenant's events are kept. The engine appends a command's events
// here before it applies them and answers, and rebuilds tenants from here at
// start-up.

#ifndef OMNIROUTE_EVENT_STORE_H_
#define OMNIROUTE_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "omniroute/ids.h"
#include "omniroute/types.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute {

// An append-only log of events per tenant, and the history derived from it.
//
// The history. Besides the log, a store keeps an index of every message,
// derived from the events it appends and written in the same transaction
// (so the history never disagrees with the log): for each MessageRecorded
// event, a row with the message id, the conversation it is in now, when it
// was recorded, its channel, external id, thread key and the sequence of its
// event. Events that move messages (CustomersMerged.thread_merges,
// CustomerUnmerged.restored_threads, ConversationsMerged, ConversationSplit)
// update the rows' conversations: a merged message is read in the
// conversation that holds it now. Message bodies are read from the events
// themselves, so the engine need not keep them in memory.
//
// Erasure. The log is append-only, with one exception: RedactCustomer
// rewrites, in place, the events that carry an erased customer's personal
// data (GDPR art. 17), so that it is gone from the store while the log
// still replays to the same state (apart from the erased data). A store
// keeps, with the log, the erasures it has not finished redacting: a
// CustomerErased event appended is listed by ListUnredactedErasures (the
// row is written in the same transaction as the event) until a
// RedactCustomer of its customer returns OK, so that an erasure interrupted
// between the two (a crash, a failed redaction) is found and finished at
// start-up without reading the log.
//
// Thread-safety: all methods may be called concurrently; appends to one
// tenant are expected to come from one caller at a time (the engine
// serializes each tenant's commands).
class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends `events`, whose sequence numbers must continue the tenant's log
  // without a gap (the first event of a tenant has sequence 1). All of them
  // are stored or none. Returns FAILED_PRECONDITION on a sequence gap or
  // overlap, UNAVAILABLE or INTERNAL when the medium fails.
  virtual absl::Status Append(absl::string_view tenant_id,
                              absl::Span<const ::omniroute::v1::Event> events) = 0;

  // Calls `visitor` with the tenant's events whose sequence is at least
  // `from_sequence`, in order, until it returns false. An unknown tenant has
  // no events.
  virtual absl::Status Read(
      absl::string_view tenant_id, uint64_t from_sequence,
      const std::function<bool(const ::omniroute::v1::Event&)>& visitor) const = 0;

  // The sequence number of the tenant's last stored event; 0 if none.
  virtual absl::StatusOr<uint64_t> LastSequence(absl::string_view tenant_id) const = 0;

  // The tenants that have at least one event, sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListTenants() const = 0;

  // Keeps `state` (an opaque serialized tenant state) as the tenant's state
  // after event `sequence`, replacing any older snapshot. INVALID_ARGUMENT if
  // `sequence` is beyond the tenant's last event.
  virtual absl::Status SaveSnapshot(absl::string_view tenant_id, uint64_t sequence,
                                    absl::string_view state) = 0;

  // The tenant's latest snapshot, or NOT_FOUND if it has none.
  struct Snapshot {
    uint64_t sequence = 0;
    std::string state;
  };
  virtual absl::StatusOr<Snapshot> LoadSnapshot(absl::string_view tenant_id) const = 0;

  // ------------------------------------------------------------ history

  // A message as the history keeps it.
  struct StoredMessage {
    MessageId id;
    // The conversation that holds it now (after merges, unmerges, splits).
    ConversationId conversation;
    // Its MessageRecorded event as stored: `time` is when it was recorded.
    ::omniroute::v1::Event event;
  };
  // A position in a conversation's timeline: messages are ordered by the
  // time they were recorded, then by id.
  struct MessageCursor {
    absl::Time recorded_at;
    MessageId id;
  };

  // Up to `limit` messages of `conversation` in timeline order, strictly
  // after `after` (from the first when nullopt). An unknown tenant or
  // conversation has none. DATA_LOSS if a stored event is damaged.
  virtual absl::StatusOr<std::vector<StoredMessage>> ReadConversationMessages(
      absl::string_view tenant_id, ConversationId conversation,
      std::optional<MessageCursor> after, size_t limit) const = 0;

  // The same messages, handed to `visitor` one at a time, in order, until
  // it returns false; the message it sees is valid during the call only.
  // A store may parse every message into the same object, which saves a
  // page the allocations of its events (the timeline reads this way). The
  // errors of ReadConversationMessages. By default, collects them with
  // ReadConversationMessages.
  virtual absl::Status VisitConversationMessages(
      absl::string_view tenant_id, ConversationId conversation, std::optional<MessageCursor> after,
      size_t limit, const std::function<bool(const StoredMessage&)>& visitor) const {
    absl::StatusOr<std::vector<StoredMessage>> messages =
        ReadConversationMessages(tenant_id, conversation, after, limit);
    if (!messages.ok()) return messages.status();
    for (const StoredMessage& message : *messages) {
      if (!visitor(message)) break;
    }
    return absl::OkStatus();
  }

  // One message; NOT_FOUND if the tenant has no such message.
  virtual absl::StatusOr<StoredMessage> ReadMessage(absl::string_view tenant_id,
                                                    MessageId message) const = 0;

  // Where a message is now, found by an index rather than read.
  struct MessageLocation {
    MessageId id;
    ConversationId conversation;
  };
  // The message recorded with this channel and (non-empty) external id, or
  // nullopt.
  virtual absl::StatusOr<std::optional<MessageLocation>> FindMessageByExternalId(
      absl::string_view tenant_id, Channel channel, absl::string_view external_id) const = 0;
  // The latest message (highest id) recorded with this channel and
  // (non-empty) thread key, or nullopt.
  virtual absl::StatusOr<std::optional<MessageLocation>> FindLatestMessageByThreadKey(
      absl::string_view tenant_id, Channel channel, absl::string_view thread_key) const = 0;

  // ------------------------------------------------------------ archive
  //
  // A closed conversation leaves the engine's memory with a
  // ConversationArchived event that carries its records (the conversation,
  // those merged into it, its tasks and commitments). The store indexes
  // each of them by id, written in the transaction of the event, and reads
  // of them are served from that event.
  enum class ArchivedKind { kConversation = 1, kTask = 2, kCommitment = 3 };

  // The ConversationArchived event that archived this conversation, task or
  // commitment; nullopt if none did. DATA_LOSS if the event is damaged.
  virtual absl::StatusOr<std::optional<::omniroute::v1::Event>> FindArchive(
      absl::string_view tenant_id, ArchivedKind kind, uint64_t id) const = 0;

  // The same event, parsed into `event` (which may live on an arena: the
  // archive of a long conversation holds hundreds of records, each an
  // allocation off one); whether there was one (`event` is left alone if
  // not). The errors of FindArchive. By default, moves FindArchive's answer.
  virtual absl::StatusOr<bool> FindArchiveInto(absl::string_view tenant_id, ArchivedKind kind,
                                               uint64_t id, ::omniroute::v1::Event& event) const {
    absl::StatusOr<std::optional<::omniroute::v1::Event>> found = FindArchive(tenant_id, kind, id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return false;
    event = **std::move(found);
    return true;
  }

  // The archived conversations that belonged to one of `customers` when
  // they were archived (conversations merged into another are not listed),
  // with ids above `after`, by id, at most `limit`.
  virtual absl::StatusOr<std::vector<ConversationId>> ListArchivedConversations(
      absl::string_view tenant_id, absl::Span<const CustomerId> customers, ConversationId after,
      size_t limit) const = 0;
  // ------------------------------------------------------------ erasure

  // What a customer's erasure (a CustomerErased event) asks the store to
  // redact.
  struct CustomerRedaction {
    // The erased customers: the one asked for and those merged into it.
    std::vector<CustomerId> customers;
    // Their conversations: every message that is in one of them now is
    // redacted.
    std::vector<ConversationId> conversations;
    // The sequence of the CustomerErased event. Only events up to it are
    // rewritten, and the tenant's snapshots taken before it are deleted.
    uint64_t erased_at_sequence = 0;
  };

  // Rewrites in place every event of the tenant, up to
  // `redaction.erased_at_sequence`, that carries the customers' personal
  // data (lib/store/customer_redaction.h says how), with its checksum:
  //   CustomerCreated of the customers: display_name and language emptied;
  //   IdentityLinked of the customers: the identity's value replaced by the
  //     placeholder "erased:<customer>:<n>" (the customer it was linked to,
  //     the n-th identity linked to it), kind and network kept; every other
  //     occurrence of that identity in the events of these customers
  //     (CustomersMerged, CustomerUnmerged) and in their messages gets the
  //     same placeholder, so that a replay still finds the same owners;
  //   MessageRecorded of the messages in the conversations: body, tags,
  //     references, external_id and thread_key emptied (in the message
  //     index too: the message is no longer found by its keys), the
  //     sender's value replaced by its placeholder ("erased" if it has none).
  //   ConversationArchived of the conversations (FindArchive): the sender
  //     fingerprints of its message records zeroed, as the erasure does to
  //     the records of the conversations in memory.
  // Deletes the tenant's snapshots taken before erased_at_sequence. The data
  // is gone from the medium when this returns (the SQLite store zeroes freed
  // pages and truncates its write-ahead log). Idempotent: a second call
  // with the same redaction changes nothing more, so a failed one can be
  // retried. Returns the medium's error (nothing changed, or the rewrite
  // committed and only the cleanup of old pages failed; either way a retry
  // finishes it), DATA_LOSS for a damaged event.
  virtual absl::Status RedactCustomer(absl::string_view tenant_id,
                                      const CustomerRedaction& redaction) = 0;

  // The sequences of the tenant's CustomerErased events whose redaction is
  // not known to be complete, in order: each CustomerErased event appended
  // is listed from the moment it is stored until a RedactCustomer whose
  // `customers` include the event's customer_id and whose
  // erased_at_sequence is at least the event's returns OK (for the SQLite
  // store: once the rewrite is committed and the write-ahead log truncated).
  // A read of a small table, cheap enough for every start-up. Empty for an
  // unknown tenant, for a SQLite store written before this list existed
  // (schema version 3 or older: erasures interrupted before the upgrade are
  // finished by erasing the customer again), and for a store opened
  // read-only (which cannot redact).
  virtual absl::StatusOr<std::vector<uint64_t>> ListUnredactedErasures(
      absl::string_view tenant_id) const = 0;
};

// A store in memory: for tests and for running without durability.
std::unique_ptr<EventStore> NewMemoryEventStore();

}  // namespace omniroute

#endif  // OMNIROUTE_EVENT_STORE_H_
