// ThreadSanitizer builds only (OMNIROUTE_SANITIZE=thread, cmake/sanitizers.cmake):
// Abseil's synchronization primitives, made visible to ThreadSanitizer.
//
// absl::Mutex, absl::CondVar and absl::Notification live in Debian's
// libabsl_synchronization, which is not instrumented: ThreadSanitizer would
// see neither the order a Mutex gives to the accesses it protects nor a
// Notification's, and would report every field guarded by a Mutex and
// touched by two threads. Abseil has the annotations for that
// (ABSL_TSAN_MUTEX_*), but only when Abseil itself is built with
// -fsanitize=thread.
//
// So this file, linked into every executable of a ThreadSanitizer build,
// defines the out-of-line members of those classes. The executable's
// definitions come first in the dynamic linker's lookup, so they are the ones
// that omniroute's code and the shared libraries (gRPC's locks are
// absl::Mutex) call; each forwards to Abseil's own, found with
// dlsym(RTLD_NEXT), and tells ThreadSanitizer what the call did with the
// annotations Abseil uses itself. Conditions (absl::Condition) are evaluated
// inside the forwarded call, where ThreadSanitizer ignores memory accesses,
// as Abseil's annotated build does. Nothing here changes what the primitives
// do.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define OMNIROUTE_STRINGIFY_(x) #x
#define OMNIROUTE_STRINGIFY(x) OMNIROUTE_STRINGIFY_(x)

// The mangled name of absl::<inline namespace>::<rest>: `rest` is what follows
// the namespace in the mangled name (e.g. "5Mutex4LockEv"), `prefix` is "_ZN"
// or "_ZNK" (const members).
std::string AbslSymbol(const char* prefix, const char* rest) {
  const std::string ns = OMNIROUTE_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return std::string(prefix) + "4absl" + std::to_string(ns.size()) + ns + rest;
}

// Abseil's own definition of a symbol this file defines too.
template <typename Fn>
Fn Real(const char* prefix, const char* rest) {
  const std::string name = AbslSymbol(prefix, rest);
  void* function = dlsym(RTLD_NEXT, name.c_str());
  if (function == nullptr) {
    std::fprintf(stderr, "tsan_abseil_sync: %s not found: %s\n", name.c_str(), dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(function);
}

// How many of the functions below the calling thread is in. Abseil calls
// some of them from others (CondVar::WaitWithTimeout calls
// WaitWithDeadline, Notification's members lock their Mutex): only the
// outermost call tells ThreadSanitizer what it did.
thread_local int depth = 0;

struct Nested {
  Nested() { ++depth; }
  ~Nested() { --depth; }
  Nested(const Nested&) = delete;
  Nested& operator=(const Nested&) = delete;
};

// Declares `real`, Abseil's definition of the function, and calls it at once
// (returning what it returns) when the calling thread is already inside one
// of the functions below; the rest of the function's body tells
// ThreadSanitizer what the call does, calling `real` with `depth` raised.
#define REAL(type, prefix, rest, ...)                         \
  static const auto real = Real<type>(prefix, rest);          \
  if (depth > 0) return real(__VA_ARGS__);                    \
  const Nested nested

// Abseil's kMuWriter: the Mutex is held exclusively (mutex.cc).
constexpr intptr_t kMuWriter = 0x0008;

// How `mu`, held by the calling thread, is held: ThreadSanitizer's flags for
// its release and reacquisition in Await and CondVar::Wait.
unsigned HeldFlags(const absl::Mutex* mu) {
  static_assert(sizeof(absl::Mutex) == sizeof(std::atomic<intptr_t>));
  const auto* word = reinterpret_cast<const std::atomic<intptr_t>*>(mu);
  return (word->load(std::memory_order_relaxed) & kMuWriter) != 0 ? 0 : __tsan_mutex_read_lock;
}

// A call that releases `mu` (held as `flags` says), waits, and returns with it
// held again.
template <typename Call>
auto ReleaseAndReacquire(absl::Mutex* mu, unsigned flags, Call call) {
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
  auto result = call();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

// A call that acquires `mu` as `flags` says.
template <typename Call>
auto Acquire(absl::Mutex* mu, unsigned flags, Call call) {
  __tsan_mutex_pre_lock(mu, flags);
  auto result = call();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

// The address a Notification's state is published at: its notified_yet_
// flag, which the inline HasBeenNotified() reads with an acquire load, so that
// ThreadSanitizer orders that load after Notify().
const void* NotificationFlag(const absl::Notification* notification) {
  return reinterpret_cast<const char*>(notification) + sizeof(absl::Mutex);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// ------------------------------------------------------------------- Mutex

Mutex::~Mutex() {
  static const auto real = Real<void (*)(Mutex*)>("_ZN", "5MutexD2Ev");
  if (depth == 0) __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

void Mutex::Lock() {
  REAL(void (*)(Mutex*), "_ZN", "5Mutex4LockEv", this);
  __tsan_mutex_pre_lock(this, 0);
  real(this);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::ReaderLock() {
  REAL(void (*)(Mutex*), "_ZN", "5Mutex10ReaderLockEv", this);
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  real(this);
  __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
}

bool Mutex::TryLock() {
  REAL(bool (*)(Mutex*), "_ZN", "5Mutex7TryLockEv", this);
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = real(this);
  __tsan_mutex_post_lock(this, locked ? __tsan_mutex_try_lock : __tsan_mutex_try_lock_failed, 0);
  return locked;
}

bool Mutex::ReaderTryLock() {
  REAL(bool (*)(Mutex*), "_ZN", "5Mutex13ReaderTryLockEv", this);
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_read_lock);
  const bool locked = real(this);
  __tsan_mutex_post_lock(
      this, locked ? __tsan_mutex_try_read_lock : __tsan_mutex_try_read_lock_failed, 0);
  return locked;
}

void Mutex::Unlock() {
  REAL(void (*)(Mutex*), "_ZN", "5Mutex6UnlockEv", this);
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderUnlock() {
  REAL(void (*)(Mutex*), "_ZN", "5Mutex12ReaderUnlockEv", this);
  __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  real(this);
  __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

void Mutex::LockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "_ZN", "5Mutex8LockWhenERKNS0_9ConditionE", this, cond);
  Acquire(this, 0, [&] { return real(this, cond), 0; });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&),
       "_ZN", "5Mutex14ReaderLockWhenERKNS0_9ConditionE", this, cond);
  Acquire(this, __tsan_mutex_read_lock, [&] { return real(this, cond), 0; });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "_ZN", "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE", this, cond, timeout);
  return Acquire(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "_ZN", "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE", this, cond, deadline);
  return Acquire(this, 0, [&] { return real(this, cond, deadline); });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "_ZN", "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE",
       this, cond, timeout);
  return Acquire(this, __tsan_mutex_read_lock, [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "_ZN", "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
       this, cond, deadline);
  return Acquire(this, __tsan_mutex_read_lock, [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "_ZN", "5Mutex5AwaitERKNS0_9ConditionE", this, cond);
  ReleaseAndReacquire(this, HeldFlags(this), [&] { return real(this, cond), 0; });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "_ZN", "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE", this, cond, timeout);
  return ReleaseAndReacquire(this, HeldFlags(this), [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "_ZN", "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE", this, cond, deadline);
  return ReleaseAndReacquire(this, HeldFlags(this), [&] { return real(this, cond, deadline); });
}

// ----------------------------------------------------------------- CondVar

void CondVar::Wait(Mutex* mu) {
  REAL(void (*)(CondVar*, Mutex*), "_ZN", "7CondVar4WaitEPNS0_5MutexE", this, mu);
  ReleaseAndReacquire(mu, HeldFlags(mu), [&] { return real(this, mu), 0; });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  REAL(bool (*)(CondVar*, Mutex*, Duration),
       "_ZN", "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE", this, mu, timeout);
  return ReleaseAndReacquire(mu, HeldFlags(mu), [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  REAL(bool (*)(CondVar*, Mutex*, Time),
       "_ZN", "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE", this, mu, deadline);
  return ReleaseAndReacquire(mu, HeldFlags(mu), [&] { return real(this, mu, deadline); });
}

// ------------------------------------------------------------ Notification

void Notification::Notify() {
  REAL(void (*)(Notification*), "_ZN", "12Notification6NotifyEv", this);
  __tsan_release(const_cast<void*>(NotificationFlag(this)));
  real(this);
}

void Notification::WaitForNotification() const {
  REAL(void (*)(const Notification*), "_ZNK", "12Notification19WaitForNotificationEv", this);
  real(this);
  __tsan_acquire(const_cast<void*>(NotificationFlag(this)));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  REAL(bool (*)(const Notification*, Duration),
       "_ZNK", "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE", this, timeout);
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<void*>(NotificationFlag(this)));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  REAL(bool (*)(const Notification*, Time),
       "_ZNK", "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE", this, deadline);
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<void*>(NotificationFlag(this)));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
