// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine: the façade of omniroute's core. It holds tenants, turns commands
// into events, keeps them in the event store and applies them to each
// tenant's state.
//
//   auto engine = omniroute::Engine::Open({.clock = &clock});
//   (*engine)->CreateTenant("acme", options);
//   auto r = (*engine)->IngestMessage("acme", message);
//
// Every command is applied whole or not at all: on any error nothing changed.
// Errors name the field and the reason:
//   INVALID_ARGUMENT     malformed input (the field is named in the message)
//   NOT_FOUND            unknown tenant, customer, conversation or message
//   ALREADY_EXISTS       a tenant created twice, an external id reused
//   FAILED_PRECONDITION  the state does not allow it (merging a customer with
//                        itself, unmerging what was never merged, ...)
//   RESOURCE_EXHAUSTED   a body or list over its limit
//   UNAVAILABLE/INTERNAL the event store failed; nothing was applied
//
// Audit: the commands that merge, unmerge or erase customers or change a
// tenant's configuration (CreateTenant, LinkIdentity, MergeCustomers,
// UnmergeCustomer, EraseCustomer, ConfigureRouting, UpsertQueue,
// UpsertAgent) take the Caller whose credential asked for them (types.h)
// and record it in their events (TenantConfigured, IdentityLinked,
// CustomersMerged, CustomerUnmerged, CustomerErased, RoutingConfigured,
// QueueConfigured, AgentConfigured: their `caller`). It is not the Actor:
// the actor is who the caller says did it. The default Caller records
// nothing. No state depends on it, so replay and snapshots ignore it.
//
// Thread-safety: an Engine may be used from any number of threads. Commands of
// one tenant are serialized; different tenants proceed in parallel.
//
// Durability: a command's answer is given once its events are in the store.
// A tenant's commands are applied one at a time but written in batches: while
// one batch is being written (and synced), the commands that arrive are
// applied and gather in the next, so one sync serves many commands. A read
// answers only once every event it reflects is stored. When a write fails,
// the commands of that batch and of the next one (decided on top of it) all
// fail with the store's error and none of them stays applied.
//
// Memory and history: a tenant's memory holds what routing and threading
// read now (customers and the identity index, the conversations not yet
// archived with a compact record per message, agents, queues, their tasks,
// offers, commitments, timers). Message bodies, senders, references and
// keys are history, kept only by the event store with its index of messages
// (omniroute/event_store.h): the timeline is read from there a page at a
// time (GetTimelinePage), and redeliveries and replies are matched through
// the store's indexes. A conversation closed for longer than
// TenantOptions::closed_retention is archived by RunDueTimers: a
// ConversationArchived event hands it, with the conversations merged into
// it, their message records, ended tasks and closed commitments, to the
// store, and memory forgets them. Reads (GetConversation, GetTimelinePage,
// ListConversationsPage, GetTask, GetConversationRouting, GetCommitment,
// ListCommitments, ExportCustomerRecords) find archived items in the store
// and answer as before; CustomerView::conversations lists the working set's
// only. Customers stay in memory for ever, compactly: a small record, their
// display name, language and identities packed in one block, and an
// identity index that keeps no keys (about 256 bytes per customer with two
// identities). A snapshot holds the memory's part only and is built in the
// background from the store, so it never stops the tenant.
//
// Erasure (GDPR art. 17, EraseCustomer): the customer's personal data is
// redacted in place in the store, not made unreadable by deleting a key
// (crypto-shredding). Bodies, senders and identities already live only in
// the store, which already has an index to find each message; keys per
// customer would cost every read a decryption, and a table of keys that
// must itself be erased from the file and its backups. The erasure is an
// event, CustomerErased, that carries no personal data: applying it clears
// the working set's names, languages, identities and sender fingerprints of
// the customer and of every customer merged into it, closes their open
// conversations and makes them unmergeable. Once it is durable the store
// rewrites the events that carry the data (EventStore::RedactCustomer:
// names emptied, identities replaced by placeholders that keep the log's
// replay exact, message bodies, tags, references and keys emptied), deletes
// the snapshots taken before it, and the engine saves a fresh one.
// Conversations and message records (ids, times, channels) stay, so
// statistics and routing history stay whole; the same person writing again
// is a new customer.
//
// An erasure interrupted between its durable CustomerErased event and the
// end of the redaction (a crash, a failed redaction) is finished by Open,
// before the tenant serves. How Open knows, cheaply: the store lists the
// erasures it has not finished redacting (EventStore::ListUnredactedErasures:
// a row written in the transaction that appends the CustomerErased event,
// deleted once a redaction of that customer is complete, which for SQLite
// includes the truncation of the write-ahead log). Open reads that list, a
// small table, for each tenant; for each erasure on it, it reads the
// CustomerErased event and redacts again what the erasure covered (its
// customers, their conversations, those archived included). Redaction is
// idempotent: what is already redacted is rewritten to itself, so redoing
// a complete one changes nothing. The alternative, re-checking every erased
// customer at start-up, would need a read of the log per erasure.

#ifndef OMNIROUTE_ENGINE_H_
#define OMNIROUTE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "omniroute/clock.h"
#include "omniroute/conversation.h"
#include "omniroute/event_store.h"
#include "omniroute/identity.h"
#include "omniroute/ids.h"
#include "omniroute/routing.h"
#include "omniroute/tenant_options.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/export.pb.h"

namespace omniroute {

struct EngineOptions {
  // Time source for every event. Not owned; must outlive the engine.
  // Default: SystemClock().
  Clock* clock = nullptr;
  // Where events are kept. Not owned; must outlive the engine. Default: none,
  // and events are applied without being kept.
  EventStore* store = nullptr;
  // After this many events stored since a tenant's last snapshot, the engine
  // saves a new one to the store, so that start-up replays only the tail.
  // The snapshot is built by a background thread of the engine from the
  // store (the last snapshot and the events after it), never from the live
  // state: commands and reads of the tenant do not wait for it. A failed
  // snapshot fails no call (see GetSnapshotStats). Destroying the engine
  // waits for the snapshots already asked for. Default 0: never
  // (TakeSnapshot still works).
  uint64_t snapshot_every_events = 0;
  // Called after events are applied and durable, with the events of one or
  // more commands in log order, under the tenant's lock (so calls for one
  // tenant arrive in sequence order and never overlap). It must not call
  // back into the engine for the same tenant. Default: none. Used by change
  // feeds and the simulator.
  std::function<void(absl::string_view tenant_id,
                     absl::Span<const ::omniroute::v1::Event> events)>
      on_commit;
  // Called after each write of a batch of events to the store (one or more
  // commands' events in one transaction), with how many events, how long
  // the store took (its sync included) and its answer; on the writing
  // thread, without any lock of the engine. Must be quick and must not call
  // the engine. Default: none. Used by the server's metrics.
  std::function<void(size_t events, absl::Duration took, const absl::Status& stored)>
      on_store_write;
  // Called after each snapshot the engine builds (automatic or
  // TakeSnapshot), with its size in bytes (0 if it failed before it was
  // built), how long building and saving took, and the result; on the
  // thread that built it, without any lock of the engine. Same rules as
  // on_store_write.
  std::function<void(size_t bytes, absl::Duration took, const absl::Status& result)> on_snapshot;

  // Whether Open rebuilds every tenant of the store. A node of a cluster
  // (several engines on one shared store, one owner per tenant: see
  // omniroute/tenant_lease.h) sets it to false and holds only the tenants
  // it owns, brought in by AdoptTenant and let go by ReleaseTenant.
  // Default: true.
  bool open_tenants = true;
  // The status a call answers for a tenant this engine does not hold (never
  // had, or released). Called without any lock of the engine; must not call
  // the engine. A cluster node answers with where the owner is. Default:
  // none, and such calls answer NOT_FOUND (never had) or UNAVAILABLE
  // (released).
  std::function<absl::Status(absl::string_view tenant_id)> absent_tenant;
  // Called when the engine has let a tenant go (ReleaseTenant, or a write
  // refused for a lost lease), after the last on_commit of the events it
  // stored for it, under the tenant's lock. It must not call back into the
  // engine for the same tenant. Default: none. A cluster node ends the
  // tenant's change feeds here, so that their clients resume on its new
  // owner.
  std::function<void(absl::string_view tenant_id)> on_release;
};

// What the engine's snapshots (automatic and TakeSnapshot) have come to.
struct SnapshotStats {
  // Snapshots saved, and snapshots that could not be built or saved.
  uint64_t saved = 0;
  uint64_t failed = 0;
  // The sequence of the last snapshot saved (any tenant); 0 if none.
  uint64_t last_sequence = 0;
  // Why the last failed snapshot failed; OK if none has.
  absl::Status last_failure;
};

class Engine {
 public:
  // Opens an engine and rebuilds every tenant found in `options.store`: from
  // its latest snapshot and the events after it, or from all its events when
  // it has no usable snapshot, then finishes the erasures whose redaction
  // was interrupted (see "Erasure" above). Returns the store's error (that
  // of an unfinished redaction names the tenant, the customer and the
  // event), or DATA_LOSS if a stored event cannot be applied.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const EngineOptions& options);

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Creates a tenant. Tenant ids are 1 to 64 characters of [a-z0-9_-].
  // ALREADY_EXISTS if it exists; INVALID_ARGUMENT for a bad id or option.
  absl::Status CreateTenant(absl::string_view tenant_id, const TenantOptions& options,
                            const Caller& caller = {});

  // ------------------------------------------------------------ ownership
  //
  // For engines that share their store with others (a cluster node; see
  // EngineOptions::open_tenants). The engine itself never decides who owns
  // a tenant: its caller does, and a fenced store refuses the appends of a
  // tenant the node no longer owns (IsNotOwnerError). Such a refusal fails
  // the commands of the batch and of the next one with it, with UNAVAILABLE
  // (the store's reason, and where the tenant is now from absent_tenant, so
  // that a client retries there: nothing of them was stored), and the
  // engine lets the tenant go at once (as ReleaseTenant, without reading it
  // back): its later calls answer as for a tenant it does not hold.

  // Rebuilds the tenant from the store (its latest snapshot and the events
  // after it; a tenant without events is created empty by its first
  // CreateTenant) and finishes its interrupted erasures, then serves it.
  // Calls for the tenant wait meanwhile. ALREADY_EXISTS if the engine holds
  // it; the store's error otherwise (the tenant is not held then).
  absl::Status AdoptTenant(absl::string_view tenant_id);

  // Lets the tenant go: calls that arrive from now on answer as for a
  // tenant the engine does not hold (EngineOptions::absent_tenant); the
  // commands already applied are written (or fail) and answered first, so
  // no acknowledged command is lost and none is left unanswered; then its
  // memory is freed. OK if the engine does not hold it.
  absl::Status ReleaseTenant(absl::string_view tenant_id);

  // ------------------------------------------------------------ commands

  // Records a customer's message: resolves (or creates) the customer from the
  // sender identity and threads the message (explicit reference, then the
  // continuity window, then a new conversation). A redelivery (same channel
  // and external id) changes nothing and answers with the stored ids.
  absl::StatusOr<IngestResult> IngestMessage(absl::string_view tenant_id,
                                             const InboundMessage& message);

  // IngestMessage for callers that must not hold a thread while the store
  // syncs (a server's request handlers): the message is decided and applied
  // before this returns, and `done` is called exactly once with what
  // IngestMessage would have returned, when its events are durable. `done`
  // runs on this thread before the call returns, or later on the thread of
  // another call of the same tenant that is writing the batch the message
  // joined; it must be quick and must not call the engine. `message` is not
  // used after the call returns.
  void IngestMessageAsync(absl::string_view tenant_id, const InboundMessage& message,
                          absl::AnyInvocable<void(absl::StatusOr<IngestResult>) &&> done);

  // Records the brand's message on a conversation. The channel must be the
  // conversation's current channel, or that of a task routed for it and not
  // finished (the public answer that closes the loop); hand off first to
  // answer elsewhere.
  absl::StatusOr<MessageId> RecordOutbound(absl::string_view tenant_id,
                                           const OutboundMessage& message);

  // Links an identity to a customer. If the identity belongs to another
  // customer, the two merge: the older survives (LinkResult::customer).
  absl::StatusOr<LinkResult> LinkIdentity(absl::string_view tenant_id, CustomerId customer,
                                          const RawIdentity& identity, const Actor& actor,
                                          LinkMode mode = LinkMode::kExplicit,
                                          const Caller& caller = {});

  // Merges two customers; the older survives. An absorbed customer's id
  // stands for the customer it was merged into. FAILED_PRECONDITION when both
  // ids are, or already stand for, the same customer.
  absl::StatusOr<LinkResult> MergeCustomers(absl::string_view tenant_id, CustomerId a, CustomerId b,
                                            const Actor& actor, const Caller& caller = {});

  // Undoes the merge that absorbed `customer`: it is active again with its
  // own identities, its conversations (and those its identities alone opened
  // since), and the messages of threads the merge joined, including what its
  // identities wrote into them while merged. FAILED_PRECONDITION if it is not
  // merged into another customer.
  absl::Status UnmergeCustomer(absl::string_view tenant_id, CustomerId customer, const Actor& actor,
                               const Caller& caller = {});

  // Erases the personal data of `customer` and of every customer merged into
  // it (GDPR art. 17; see "Erasure" above): in memory, in the stored events
  // and in snapshots. Its open conversations are closed (reason "customer
  // erased", by `actor`) in the same command. Answers once the data is gone
  // from the store (for the SQLite store: from the file and its write-ahead
  // log). Erasing an erased customer is OK and records nothing more, but
  // runs the store's redaction again, so a retry finishes an erasure whose
  // redaction failed (as the next Open would).
  // NOT_FOUND for an unknown customer; FAILED_PRECONDITION for a customer
  // merged into another one (the message names it: unmerge first, or erase
  // that one, which erases both), or one whose conversations have a live
  // task or an open commitment (named); INVALID_ARGUMENT for a bad actor;
  // the store's error when the redaction fails (the erasure itself is
  // recorded then: call again). Thread-safe, as every command.
  absl::Status EraseCustomer(absl::string_view tenant_id, CustomerId customer, const Actor& actor,
                             const Caller& caller = {});

  // Moves a conversation to another channel. The whole thread travels and
  // the SLA clock runs on.
  absl::Status Handoff(absl::string_view tenant_id, ConversationId conversation,
                       Channel to_channel, absl::string_view reason, const Actor& actor);

  // OPEN, PENDING_CUSTOMER, RESOLVED or CLOSED. A closed conversation stays
  // closed; RESOLVED → OPEN is a reopen.
  absl::Status SetConversationStatus(absl::string_view tenant_id, ConversationId conversation,
                                     ConversationStatus status, const Actor& actor);

  // Moves every message of `source` into `target` (same customer).
  absl::Status MergeConversations(absl::string_view tenant_id, ConversationId target,
                                  ConversationId source, const Actor& actor);

  // Moves `messages` (some, not all, of the conversation's) into a new
  // conversation of the same customer and returns its id.
  absl::StatusOr<ConversationId> SplitConversation(absl::string_view tenant_id,
                                                   ConversationId source,
                                                   absl::Span<const MessageId> messages,
                                                   const Actor& actor);

  // ------------------------------------------------------------ routing
  //
  // Routing reacts to the commands above: a customer's message that needs an
  // answer creates a task (IngestResult::task), a handoff moves the work to
  // the new channel (the owner keeps it when they serve that channel and
  // have capacity), a resolved conversation that began in public leaves a
  // task to close the loop there (TenantOptions::close_public_loop), a
  // closed or merged conversation cancels its waiting tasks. Every decision
  // (an offer, an assignment, an expiry) is an event in the tenant's log.
  //
  // Agents and queues are named by the caller ("alice", "billing"); tasks
  // and commitments by ids the engine assigns.

  // Replaces the tenant's routing settings. INVALID_ARGUMENT naming the
  // field for a bad value or a rule whose queue does not exist.
  absl::Status ConfigureRouting(absl::string_view tenant_id, const RoutingSettings& settings,
                                const Caller& caller = {});

  // Creates or replaces a queue. INVALID_ARGUMENT for a bad value, an
  // overflow to an unknown queue, or an overflow cycle. Waiting tasks are
  // re-ranked under the new configuration.
  absl::Status UpsertQueue(absl::string_view tenant_id, const QueueConfig& queue,
                           const Caller& caller = {});

  // Registers an agent (OFFLINE) or replaces their skills, channels and
  // capacity (presence and work in progress stay). INVALID_ARGUMENT for a
  // bad value (negative capacity, unknown channel, ...).
  absl::Status UpsertAgent(absl::string_view tenant_id, const AgentConfig& agent,
                           const Caller& caller = {});

  // AVAILABLE agents are offered work. Leaving AVAILABLE withdraws a pending
  // offer (the task is routed again). NOT_FOUND for an unknown agent.
  absl::Status SetAgentPresence(absl::string_view tenant_id, absl::string_view agent_id,
                                AgentPresence presence);

  // The agent takes the task offered to them. NOT_FOUND for an unknown task
  // or agent; FAILED_PRECONDITION when the task is not offered to this agent
  // (never was, someone else's, declined, or expired: check the clock with
  // RunDueTimers first).
  absl::Status AcceptOffer(absl::string_view tenant_id, TaskId task, absl::string_view agent_id);

  // The agent refuses the offer: the task is routed again, never to them.
  // Errors as for AcceptOffer.
  absl::Status DeclineOffer(absl::string_view tenant_id, TaskId task, absl::string_view agent_id,
                            absl::string_view reason);

  // The agent finished the task; its capacity is freed after their wrap-up
  // time. FAILED_PRECONDITION when the task is not assigned to them. A
  // commitment's task completed fulfils the commitment.
  absl::Status CompleteTask(absl::string_view tenant_id, TaskId task, absl::string_view agent_id);

  // Moves the work to a queue or a named agent: the task ends for whoever
  // held it and a new task, on the same conversation and channel, carries
  // it on (returned). Counted per conversation. FAILED_PRECONDITION for a
  // task that is completed or cancelled; INVALID_ARGUMENT unless exactly one
  // of target.queue and target.agent is set.
  absl::StatusOr<TaskId> TransferTask(absl::string_view tenant_id, TaskId task,
                                      const TransferTarget& target, const Actor& actor);

  // The customer gave up (hung up, left the chat): the task is cancelled
  // and any offer withdrawn. FAILED_PRECONDITION unless it is waiting or
  // offered.
  absl::Status AbandonTask(absl::string_view tenant_id, TaskId task);

  // Records a promise made to the customer. When due it becomes a task
  // (RunDueTimers); if not fulfilled by its deadline it is missed: its task
  // gains RoutingSettings::missed_commitment_points and an event says so.
  absl::StatusOr<CommitmentId> RecordCommitment(absl::string_view tenant_id,
                                                const CommitmentRequest& request);

  // Closes a commitment as FULFILLED or CANCELLED; a task it has that is
  // not assigned yet is cancelled. FAILED_PRECONDITION if already closed.
  absl::Status CloseCommitment(absl::string_view tenant_id, CommitmentId commitment,
                               CommitmentStatus status, const Actor& actor,
                               absl::string_view reason);

  // Fires every timer due at the clock's current time, in time order (offer
  // expiry, preferred-agent wait, queue expansion, first-response breach,
  // commitments falling due or missed, wrap-up), as one command, and
  // archives up to 256 conversations whose closed_retention has run out.
  // Returns the number of timers fired and conversations archived (a
  // caller loops while it is positive and NextTimer() is due). No thread of the engine sleeps: the caller (the
  // server's timer loop, a test, the simulator) calls this when the clock
  // reaches NextTimer().
  absl::StatusOr<int> RunDueTimers(absl::string_view tenant_id);

  // When the tenant's next timer is due; nullopt when none is pending. Read
  // from the state as applied, without waiting for the commands in flight
  // to be stored (a timer of a command whose write then fails may show: the
  // RunDueTimers it leads to finds nothing due).
  absl::StatusOr<std::optional<absl::Time>> NextTimer(absl::string_view tenant_id) const;

  // A task waiting in a queue comes with its position and estimated wait
  // (TaskView::wait_estimate) as of the engine's clock.
  absl::StatusOr<TaskView> GetTask(absl::string_view tenant_id, TaskId task) const;
  absl::StatusOr<AgentView> GetAgent(absl::string_view tenant_id,
                                     absl::string_view agent_id) const;
  absl::StatusOr<QueueConfig> GetQueue(absl::string_view tenant_id,
                                       absl::string_view queue_id) const;
  absl::StatusOr<QueueStats> GetQueueStats(absl::string_view tenant_id,
                                           absl::string_view queue_id) const;
  absl::StatusOr<RoutingSettings> GetRoutingSettings(absl::string_view tenant_id) const;
  // Every queue's statistics and the agents by state, read at one point of
  // the tenant's log. Costs a walk of the tenant's tasks (those of the
  // working set) and agents under its lock: for dashboards and metrics
  // scrapes, not for every call. NOT_FOUND for an unknown tenant.
  absl::StatusOr<RoutingOverview> GetRoutingOverview(absl::string_view tenant_id) const;
  // The real-time statistics of the named queues (all, in configuration
  // order, when `queue_ids` is empty) as of the engine's clock, read at one
  // point of the tenant's log; a walk of the working set's tasks and the
  // agents. INVALID_ARGUMENT for a malformed queue id, NOT_FOUND naming the
  // first unknown one, or an unknown tenant.
  absl::StatusOr<std::vector<QueueStatistics>> GetQueueStatistics(
      absl::string_view tenant_id, absl::Span<const std::string> queue_ids) const;
  // The tenant's queues per 15-minute interval and channel over [from, to)
  // (widened to whole intervals), computed from its event log in the store:
  // the log is read from kReportLookback before `from` (the first event of
  // that time is found by bisection) to `to`, outside the tenant's lock.
  // INVALID_ARGUMENT naming `from` or `to` when either is infinite, `to` is
  // not after `from`, or the span exceeds kMaxReportSpan; NOT_FOUND for an
  // unknown tenant; the store's error if it cannot be read.
  absl::StatusOr<IntervalReport> GetIntervalReport(absl::string_view tenant_id, absl::Time from,
                                                   absl::Time to) const;
  // An agent's last 60 minutes. INVALID_ARGUMENT for a malformed id,
  // NOT_FOUND for an unknown agent or tenant.
  absl::StatusOr<AgentStatistics> GetAgentStatistics(absl::string_view tenant_id,
                                                     absl::string_view agent_id) const;
  absl::StatusOr<ConversationRouting> GetConversationRouting(absl::string_view tenant_id,
                                                             ConversationId conversation) const;
  absl::StatusOr<CommitmentView> GetCommitment(absl::string_view tenant_id,
                                               CommitmentId commitment) const;
  // The conversation's commitments, oldest first.
  absl::StatusOr<std::vector<CommitmentView>> ListCommitments(absl::string_view tenant_id,
                                                              ConversationId conversation) const;

  // ------------------------------------------------------------ queries

  absl::StatusOr<CustomerView> GetCustomer(absl::string_view tenant_id, CustomerId id) const;
  // The active customer that owns the (normalized) identity; NOT_FOUND if
  // none does.
  absl::StatusOr<CustomerView> FindCustomer(absl::string_view tenant_id,
                                            const RawIdentity& identity) const;
  absl::StatusOr<ConversationView> GetConversation(absl::string_view tenant_id,
                                                   ConversationId id) const;
  // Messages and handoffs across every channel, oldest first: the whole
  // thread, read page after page from the event store (message bodies are
  // history, never held in memory). Prefer GetTimelinePage for long threads.
  absl::StatusOr<std::vector<TimelineEntry>> GetTimeline(absl::string_view tenant_id,
                                                         ConversationId id) const;
  // One page of the timeline, from the entry after `request.page_token`.
  // A merged conversation's thread is read where it lives now. Entries
  // recorded after the first page was read appear in later pages if they
  // sort after the last entry seen. INVALID_ARGUMENT for a page_size out of
  // range or a page_token that is not one this engine gave for the same
  // tenant and conversation; NOT_FOUND for an unknown conversation.
  absl::StatusOr<TimelinePage> GetTimelinePage(absl::string_view tenant_id, ConversationId id,
                                               const PageRequest& request) const;
  // The customer's conversations (those merged into others left out), by
  // id; an absorbed customer's id reads the customer it was merged into.
  absl::StatusOr<std::vector<ConversationView>> ListConversations(absl::string_view tenant_id,
                                                                  CustomerId customer) const;
  // One page of ListConversations, after `request.page_token`. Errors as
  // for GetTimelinePage, NOT_FOUND for an unknown customer.
  absl::StatusOr<ConversationPage> ListConversationsPage(absl::string_view tenant_id,
                                                         CustomerId customer,
                                                         const PageRequest& request) const;
  // Writes everything the tenant holds about a customer (GDPR art. 15 and
  // 20) as JSON lines of omniroute.v1.CustomerExportRecord
  // (proto/omniroute/v1/export.proto), each passed to `write` without its
  // newline: the customer, then each customer merged into it, then each of
  // its conversations followed by that conversation's messages, oldest
  // first, read from the store. An absorbed customer's id exports the
  // customer it was merged into, which holds its data now. An erased
  // customer exports a single `erasure` record (its id, when, and the
  // customers erased with it). NOT_FOUND for an unknown customer; an error
  // of `write` or of the store stops the export and is returned (what was
  // written stays written). Lines reflect at least every command
  // acknowledged before the call. Thread-safe; `write` is called on the
  // caller's thread, without any lock of the engine held.
  absl::Status ExportCustomer(absl::string_view tenant_id, CustomerId customer,
                              const std::function<absl::Status(absl::string_view line)>& write)
      const;
  // ExportCustomer passing each record itself (for callers that send them
  // on, such as the gRPC server's stream) rather than its JSON line.
  absl::Status ExportCustomerRecords(
      absl::string_view tenant_id, CustomerId customer,
      const std::function<absl::Status(const ::omniroute::v1::CustomerExportRecord& record)>&
          write) const;
  // The sequence number of the tenant's last event.
  absl::StatusOr<uint64_t> LastSequence(absl::string_view tenant_id) const;
  // A canonical text dump of the tenant's whole state; equal dumps mean equal
  // states (used to check that a replay rebuilds the same state).
  absl::StatusOr<std::string> DumpState(absl::string_view tenant_id) const;
  // The tenants this engine holds (all of the store's, unless
  // open_tenants is false), sorted.
  std::vector<std::string> ListTenants() const;

  // Saves the tenant's stored state as a snapshot in the store: every event
  // applied before the call is in it (the call waits until they are
  // durable). The snapshot is built from the store on the caller's thread,
  // without holding the tenant's lock: the tenant's commands and reads go
  // on meanwhile. FAILED_PRECONDITION without a store; NOT_FOUND for an
  // unknown tenant; the store's error otherwise.
  absl::Status TakeSnapshot(absl::string_view tenant_id);

  // Counts of snapshots saved and failed since the engine was opened.
  SnapshotStats GetSnapshotStats() const;

  // Blocks until every automatic snapshot asked for before the call is saved
  // or has failed (for tests and orderly shutdowns). Returns at once without
  // a store or with snapshot_every_events 0.
  void WaitForSnapshots() const;

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  // Redacts again, for every tenant, the erasures the store lists as not
  // redacted (EventStore::ListUnredactedErasures). Called by Open.
  absl::Status FinishInterruptedErasures();
  // The same for one tenant.
  absl::Status FinishInterruptedErasuresOf(absl::string_view tenant_id);
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_ENGINE_H_
