#include "server/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace weir::log {
namespace {

std::atomic<Level> current_level{Level::info};
std::atomic<Format> format_setting{Format::text};

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "?";
}

// RFC 3339 in UTC with milliseconds: sortable, and what log shippers parse without a hint.
}  // namespace

std::string current_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &parts);
  return fmt::format("{}.{:03d}Z", date, static_cast<int>(millis % 1000));
}

namespace {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          out += c;
    }
  }
  out += '"';
}

// Text values are quoted only when they would otherwise split the line into wrong pairs.
void append_text_value(std::string& out, std::string_view value) {
  bool needs_quotes =
      value.empty() || value.find_first_of(" =\"\\\n\r\t") != std::string_view::npos;
  if (needs_quotes)
    append_json_string(out, value);
  else
    out += value;
}

}  // namespace

void set_level(Level level) { current_level.store(level, std::memory_order_relaxed); }

void set_format(Format format) { format_setting.store(format, std::memory_order_relaxed); }

Format current_format() { return format_setting.load(std::memory_order_relaxed); }

bool enabled(Level level) { return level >= current_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view text, Level* level) {
  if (text == "debug")
    *level = Level::debug;
  else if (text == "info")
    *level = Level::info;
  else if (text == "warn" || text == "warning")
    *level = Level::warn;
  else if (text == "error")
    *level = Level::error;
  else
    return false;
  return true;
}

std::string format_line(Format format, Level level, std::string_view timestamp,
                        std::string_view message, std::initializer_list<Field> fields) {
  std::string line;
  if (format == Format::json) {
    line += "{\"ts\":";
    append_json_string(line, timestamp);
    line += ",\"level\":";
    append_json_string(line, level_name(level));
    line += ",\"msg\":";
    append_json_string(line, message);
    for (const auto& field : fields) {
      line += ',';
      append_json_string(line, field.key);
      line += ':';
      if (field.is_number)
        line += field.value;
      else
        append_json_string(line, field.value);
    }
    line += '}';
    return line;
  }
  line += "ts=";
  line += timestamp;
  line += " level=";
  line += level_name(level);
  line += " msg=";
  append_text_value(line, message);
  for (const auto& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    append_text_value(line, field.value);
  }
  return line;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  std::string line = format_line(current_format(), level, current_timestamp(), message, fields);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace weir::log
