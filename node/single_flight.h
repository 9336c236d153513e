// SingleFlight: concurrent callers asking for the same key share one run of the work. The first
// starts it; the others get branches of its promise; the key is dropped once the work ends,
// however it ends (a run that threw is never handed to later callers; its exception goes to the
// task set, which logs it). Loop-thread only, like the promises it holds.
#pragma once

#include <kj/async.h>

#include <map>
#include <utility>

namespace ais::node {

template <typename Key, typename T>
class SingleFlight {
 public:
  // `ends` runs the clean-up of each finished run; it must outlive this object's runs.
  explicit SingleFlight(kj::TaskSet& ends) : ends_(ends) {}

  // The run under way for key, or start()'s promise (a kj::Promise<T>) as a new one.
  template <typename Start>
  kj::Promise<T> run(const Key& key, Start&& start) {
    if (auto it = running_.find(key); it != running_.end()) return it->second.addBranch();
    auto fork = start().fork();
    auto mine = fork.addBranch();
    ends_.add(fork.addBranch().ignoreResult().then([this, key]() { running_.erase(key); },
                                                   [this, key](kj::Exception&& e) {
                                                     running_.erase(key);
                                                     kj::throwRecoverableException(kj::mv(e));
                                                   }));
    running_.emplace(key, kj::mv(fork));
    return mine;
  }

 private:
  kj::TaskSet& ends_;
  std::map<Key, kj::ForkedPromise<T>> running_;
};

}  // namespace ais::node
