// Leveled, structured logging to stderr: one event per line, so log shippers can split
// on newlines. Each event has a timestamp, a level, a message and optional key=value
// fields; the line is either text (`ts=... level=info msg="..." peer=...`) or one JSON
// object (LOG_FORMAT=json). Thread-safe: a line is formatted first and written with one
// call. Settings are process-wide and meant to be set once at start-up.
#pragma once

#include <fmt/format.h>

#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>

namespace weir::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };
enum class Format { text, json };

void set_level(Level level);
void set_format(Format format);
Format current_format();
// Now, as RFC 3339 UTC with milliseconds.
std::string current_timestamp();
bool enabled(Level level);
// Parses "debug", "info", "warn" (or "warning") or "error"; returns false for anything else.
bool parse_level(std::string_view text, Level* level);

// One key=value pair of an event. Numbers stay numbers in JSON.
struct Field {
  Field(std::string_view key, std::string_view value) : key(key), value(value) {}
  Field(std::string_view key, const char* value) : key(key), value(value) {}
  Field(std::string_view key, const std::string& value) : key(key), value(value) {}
  template <typename Number>
  requires std::integral<Number> Field(std::string_view key, Number number)
      : key(key), value(fmt::to_string(number)), is_number(true) {}

  std::string_view key;
  std::string value;
  bool is_number = false;
};

void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});
// The line `write` would print, without the trailing newline; exposed for tests.
std::string format_line(Format format, Level level, std::string_view timestamp,
                        std::string_view message, std::initializer_list<Field> fields);

// A structured event: a short fixed message and the facts as fields, e.g.
// log::event(Level::info, "connection closed", {{"peer", peer}, {"reason", "idle timeout"}}).
inline void event(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (enabled(level)) write(level, message, fields);
}

template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::info)) write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::warn)) write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::error)) write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace weir::log
