// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// ChangeFeed: fans each tenant's committed events out to the streams that
// watch it (the change feed, agents' offer streams). The engine publishes
// every commit, in sequence order, once it is durable; a watcher that starts
// from an older sequence reads the past from the event store first.
//
// No gap, no repeat: a subscription is registered before the store is read,
// so an event is either already in the store when the reader gets there, or
// arrives in the subscription's buffer; the reader keeps the next sequence it
// wants and drops anything below it.
//
// Thread-safe. Publish() runs on the committing thread while the tenant's
// commands are serialized, so it only appends and wakes: it never reads the
// store or calls the engine. A commit's events are copied once and shared,
// read-only, by every subscription (an agent's offer stream per agent: a
// copy each would cost the committing thread a copy of every event per
// agent).

#ifndef OMNIROUTE_LIB_SERVICE_CHANGE_FEED_H_
#define OMNIROUTE_LIB_SERVICE_CHANGE_FEED_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::service {

// The events of one commit, in sequence order; immutable, shared by the
// subscriptions that buffer them.
using EventBatch = std::shared_ptr<const std::vector<::omniroute::v1::Event>>;

// Live events of one tenant for one watcher, in sequence order.
class Subscription {
 public:
  // Which events the watcher wants; null: all of them.
  using Interest = std::function<bool(const ::omniroute::v1::Event&)>;

  // `overflows`, if not null, counts the subscriptions that overflowed; it
  // must outlive this.
  Subscription(size_t max_buffered, Interest interest, std::atomic<uint64_t>* overflows = nullptr)
      : max_buffered_(max_buffered), interest_(std::move(interest)), overflows_(overflows) {}

  // Moves the buffered events out. Sets *overflowed when the watcher fell so
  // far behind that events were dropped (the stream must then end, and the
  // client resume from its last sequence).
  // Sets *ended, read together with the events taken, to why no more
  // events will come (ChangeFeed::End), OK while they may: once it is set,
  // every event appended before the end is in what was taken.
  std::deque<EventBatch> Take(bool* overflowed, absl::Status* ended);

  // Called (without locks held by the feed) after events were appended.
  void SetWake(std::function<void()> wake);

  // Events buffered and not taken yet: how far the watcher is behind.
  size_t buffered_events() const;

 private:
  friend class ChangeFeed;
  void Append(const EventBatch& batch);
  void End(const absl::Status& why);

  const size_t max_buffered_;
  const Interest interest_;
  std::atomic<uint64_t>* const overflows_;
  mutable absl::Mutex mu_;
  std::deque<EventBatch> buffer_ ABSL_GUARDED_BY(mu_);
  size_t buffered_events_ ABSL_GUARDED_BY(mu_) = 0;
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status ended_ ABSL_GUARDED_BY(mu_);
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
};

class ChangeFeed {
 public:
  // A watcher more than `max_buffered` events behind is dropped.
  explicit ChangeFeed(size_t max_buffered = 100000) : max_buffered_(max_buffered) {}

  // Hands a commit's events to every subscription of the tenant.
  void Publish(absl::string_view tenant_id, absl::Span<const ::omniroute::v1::Event> events);

  // A watcher subscribes before it checks that the tenant is served here,
  // so that an End after the check always reaches it. With an `interest`,
  // a commit none of whose events it wants is neither buffered nor
  // signalled to the watcher (an agent's offer stream wants its agent's
  // events: the committing thread skips the others' streams); the interest
  // runs on the committing thread and must be cheap.
  std::shared_ptr<Subscription> Subscribe(absl::string_view tenant_id,
                                          Subscription::Interest interest = nullptr);
  void Unsubscribe(absl::string_view tenant_id, const std::shared_ptr<Subscription>& subscription);

  // Ends every current subscription of the tenant with `why` (not OK): the
  // tenant is no longer served here (handed off, or its lease lost), so no
  // event of it will be published here again. Each watcher sends what it
  // has, then ends with `why`, and its client resumes from the next
  // sequence where the tenant is served now.
  void End(absl::string_view tenant_id, const absl::Status& why);

  size_t subscriber_count() const;

  struct Stats {
    // Subscriptions now, over every tenant.
    size_t subscribers = 0;
    // Events buffered for them and not yet sent: in all, and for the one
    // furthest behind.
    size_t buffered_events = 0;
    size_t most_buffered_events = 0;
    // Subscriptions dropped for falling too far behind, since the feed began.
    uint64_t overflows = 0;
  };
  Stats stats() const;

 private:
  const size_t max_buffered_;
  std::atomic<uint64_t> overflows_{0};
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<std::shared_ptr<Subscription>>, std::less<>> tenants_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_CHANGE_FEED_H_
