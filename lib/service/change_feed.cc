// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/change_feed.h"

#include <algorithm>
#include <utility>

namespace omniroute::service {

std::deque<EventBatch> Subscription::Take(bool* overflowed, absl::Status* ended) {
  absl::MutexLock lock(&mu_);
  *overflowed = overflowed_;
  *ended = ended_;
  std::deque<EventBatch> out;
  out.swap(buffer_);
  buffered_events_ = 0;
  return out;
}

void Subscription::End(const absl::Status& why) {
  std::function<void()> wake;
  {
    absl::MutexLock lock(&mu_);
    if (!ended_.ok()) return;
    ended_ = why;
    wake = wake_;
  }
  if (wake) wake();
}

void Subscription::SetWake(std::function<void()> wake) {
  absl::MutexLock lock(&mu_);
  wake_ = std::move(wake);
}

void Subscription::Append(const EventBatch& batch) {
  if (interest_ && std::none_of(batch->begin(), batch->end(), interest_)) return;
  std::function<void()> wake;
  {
    absl::MutexLock lock(&mu_);
    if (overflowed_) return;
    if (buffered_events_ + batch->size() > max_buffered_) {
      // Holding more would let one slow reader exhaust the server's memory.
      overflowed_ = true;
      if (overflows_ != nullptr) overflows_->fetch_add(1, std::memory_order_relaxed);
      buffer_.clear();
      buffered_events_ = 0;
    } else {
      buffer_.push_back(batch);
      buffered_events_ += batch->size();
    }
    wake = wake_;
  }
  if (wake) wake();
}

void ChangeFeed::Publish(absl::string_view tenant_id,
                         absl::Span<const ::omniroute::v1::Event> events) {
  std::vector<std::shared_ptr<Subscription>> subscribers;
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(tenant_id);
    if (it == tenants_.end()) return;
    subscribers = it->second;
  }
  const EventBatch batch =
      std::make_shared<const std::vector<::omniroute::v1::Event>>(events.begin(), events.end());
  for (const auto& s : subscribers) s->Append(batch);
}

std::shared_ptr<Subscription> ChangeFeed::Subscribe(absl::string_view tenant_id,
                                                    Subscription::Interest interest) {
  auto subscription =
      std::make_shared<Subscription>(max_buffered_, std::move(interest), &overflows_);
  absl::MutexLock lock(&mu_);
  auto it = tenants_.find(tenant_id);
  if (it == tenants_.end()) {
    it = tenants_.emplace(std::string(tenant_id), std::vector<std::shared_ptr<Subscription>>{})
             .first;
  }
  it->second.push_back(subscription);
  return subscription;
}

void ChangeFeed::Unsubscribe(absl::string_view tenant_id,
                             const std::shared_ptr<Subscription>& subscription) {
  subscription->SetWake(nullptr);
  absl::MutexLock lock(&mu_);
  auto it = tenants_.find(tenant_id);
  if (it == tenants_.end()) return;
  auto& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), subscription), list.end());
  if (list.empty()) tenants_.erase(it);
}

void ChangeFeed::End(absl::string_view tenant_id, const absl::Status& why) {
  std::vector<std::shared_ptr<Subscription>> subscribers;
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(tenant_id);
    if (it == tenants_.end()) return;
    subscribers = it->second;
  }
  for (const auto& s : subscribers) s->End(why);
}

size_t ChangeFeed::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [tenant, list] : tenants_) n += list.size();
  return n;
}

size_t Subscription::buffered_events() const {
  absl::MutexLock lock(&mu_);
  return buffered_events_;
}

ChangeFeed::Stats ChangeFeed::stats() const {
  std::vector<std::shared_ptr<Subscription>> subscribers;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [tenant, list] : tenants_) {
      subscribers.insert(subscribers.end(), list.begin(), list.end());
    }
  }
  Stats stats;
  stats.subscribers = subscribers.size();
  for (const auto& s : subscribers) {
    const size_t buffered = s->buffered_events();
    stats.buffered_events += buffered;
    stats.most_buffered_events = std::max(stats.most_buffered_events, buffered);
  }
  stats.overflows = overflows_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace omniroute::service
