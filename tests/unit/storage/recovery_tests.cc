#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/store.h"
#include "test_support.h"

extern char** environ;

namespace weir::storage {
namespace {

using test::append_and_wait;
using test::open_store;
using test::split_batches;
using test::TempDir;

constexpr int child_appends = 100;

// Runs the named test case of this binary in a child process with `db` in the
// environment; returns its wait status.
int run_child(const std::string& test_name, const std::string& db) {
  REQUIRE(::setenv("WEIR_STORAGE_CHILD_DB", db.c_str(), 1) == 0);
  std::string self(4096, '\0');
  const auto length = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  REQUIRE(length > 0);
  self.resize(static_cast<std::size_t>(length));
  std::string name = test_name;
  char* argv[] = {self.data(), name.data(), nullptr};
  pid_t child = 0;
  REQUIRE(::posix_spawn(&child, self.c_str(), nullptr, nullptr, argv, environ) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::unsetenv("WEIR_STORAGE_CHILD_DB");
  return status;
}

// Each append is its own group, so each is one WAL record; the process then dies with
// its WAL unflushed.
TEST_CASE("torn child: append one group at a time then die", "[.torn-child]") {
  const char* path = std::getenv("WEIR_STORAGE_CHILD_DB");
  REQUIRE(path != nullptr);
  auto store = open_store(path);
  REQUIRE(store->create_topic("t", 1, {}, nullptr) == StorageErrc::ok);
  PartitionLog* log = store->partition("t", 0);
  for (int i = 0; i < child_appends; ++i)
    append_and_wait(*store, log, 1, i, 2000, Durability::written);
  ::kill(::getpid(), SIGKILL);
}

std::filesystem::path newest_wal(const std::string& db) {
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(db))
    if (entry.path().extension() == ".log" &&
        (newest.empty() || entry.path().filename() > newest.filename()))
      newest = entry.path();
  return newest;
}

TEST_CASE("a batch torn at the end of the WAL is never visible and offsets stay contiguous",
          "[storage][recovery]") {
  TempDir dir;
  const int status = run_child("torn child: append one group at a time then die", dir.db());
  REQUIRE(WIFSIGNALED(status));
  const auto wal = newest_wal(dir.db());
  REQUIRE_FALSE(wal.empty());
  // Cut the last group's record in the middle of its batch, as a crash during the write
  // (or a disk that lost the unsynced tail) leaves it.
  const auto size = std::filesystem::file_size(wal);
  REQUIRE(size > 1000);
  std::filesystem::resize_file(wal, size - 1000);

  auto store = open_store(dir.db());
  PartitionLog* log = store->partition("t", 0);
  REQUIRE(log != nullptr);
  CHECK(log->high_watermark() == 2 * (child_appends - 1));
  auto batches = split_batches(store->read(log, 0, 64 << 20).records);
  REQUIRE(batches.size() == child_appends - 1);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    CHECK(batches[i].base_offset == static_cast<std::int64_t>(2 * i));
    CHECK(batches[i].size == 61 + 2000);
  }
  CHECK(append_and_wait(*store, log, 0, 0).base_offset == 2 * (child_appends - 1));
}

TEST_CASE("reopening after a clean close recovers high watermarks of many partitions",
          "[storage][recovery]") {
  TempDir dir;
  {
    auto store = open_store(dir.db());
    REQUIRE(store->create_topic("many", 64, {}, nullptr) == StorageErrc::ok);
    for (int p = 0; p < 64; ++p)
      for (int i = 0; i <= p % 5; ++i) append_and_wait(*store, store->partition("many", p), 3, i);
  }
  auto store = open_store(dir.db());
  for (int p = 0; p < 64; ++p) {
    PartitionLog* log = store->partition("many", p);
    CHECK(log->high_watermark() == 4 * (p % 5 + 1));
    CHECK(log->log_start_offset() == 0);
  }
}

}  // namespace
}  // namespace weir::storage
