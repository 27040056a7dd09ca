// Clang thread-safety annotations (no-ops under GCC) and an annotated Mutex, LevelDB port/ style.
// Fields guarded by a lock say GUARDED_BY(mu_); clang checks them with -Wthread-safety.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define RMQ_TSA(x) __attribute__((x))
#else
#define RMQ_TSA(x)
#endif

#define CAPABILITY(x) RMQ_TSA(capability(x))
#define SCOPED_CAPABILITY RMQ_TSA(scoped_lockable)
#define GUARDED_BY(x) RMQ_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) RMQ_TSA(pt_guarded_by(x))
#define REQUIRES(...) RMQ_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) RMQ_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) RMQ_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) RMQ_TSA(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS RMQ_TSA(no_thread_safety_analysis)

namespace rmq::common {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace rmq::common
