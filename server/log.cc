#include "server/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace weir::log {
namespace {

std::atomic<Level> current_level{Level::info};

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug: return "DEBUG";
    case Level::info: return "INFO";
    case Level::warn: return "WARN";
    case Level::error: return "ERROR";
  }
  return "?";
}

}  // namespace

void set_level(Level level) { current_level.store(level, std::memory_order_relaxed); }

bool enabled(Level level) { return level >= current_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view text, Level* level) {
  if (text == "debug") *level = Level::debug;
  else if (text == "info") *level = Level::info;
  else if (text == "warn" || text == "warning") *level = Level::warn;
  else if (text == "error") *level = Level::error;
  else return false;
  return true;
}

void write(Level level, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::string line = fmt::format("{}.{:03d} {} {}\n", millis / 1000, static_cast<int>(millis % 1000),
                                 level_name(level), message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace weir::log
