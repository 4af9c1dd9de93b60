#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "metrics/registry.h"

namespace weir::metrics {
namespace {

// The fields of /proc/self/stat after the command name, which may itself hold spaces
// and parentheses, so parsing starts after its closing parenthesis.
std::vector<std::string> proc_stat_fields() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  std::getline(file, line);
  std::vector<std::string> fields;
  auto name_end = line.rfind(')');
  if (name_end == std::string::npos) return fields;
  std::istringstream rest(line.substr(name_end + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

// Field numbers of proc(5), counted from `state` (field 3) as index 0.
constexpr std::size_t utime_index = 14 - 3;
constexpr std::size_t stime_index = 15 - 3;
constexpr std::size_t starttime_index = 22 - 3;
constexpr std::size_t rss_pages_index = 24 - 3;

double stat_field(std::size_t index) {
  auto fields = proc_stat_fields();
  return index < fields.size() ? std::stod(fields[index]) : 0;
}

double cpu_seconds() {
  auto fields = proc_stat_fields();
  if (fields.size() <= stime_index) return 0;
  return (std::stod(fields[utime_index]) + std::stod(fields[stime_index])) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double boot_time_seconds() {
  std::ifstream file("/proc/stat");
  for (std::string key; file >> key;) {
    if (key == "btime") {
      double btime = 0;
      file >> btime;
      return btime;
    }
    file.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double open_fds() {
  std::error_code error;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error))
    ++count;
  return count;
}

}  // namespace

void add_process_metrics(Registry& registry) {
  using Type = Registry::CallbackType;
  registry.add_callback("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
                        Type::counter, {}, cpu_seconds);
  registry.add_callback(
      "process_resident_memory_bytes", "Resident memory size in bytes.", Type::gauge, {},
      [] { return stat_field(rss_pages_index) * static_cast<double>(::sysconf(_SC_PAGESIZE)); });
  registry.add_callback("process_open_fds", "Number of open file descriptors.", Type::gauge, {},
                        open_fds);
  registry.add_callback("process_max_fds", "Limit on open file descriptors.", Type::gauge, {},
                        [] { return static_cast<double>(::sysconf(_SC_OPEN_MAX)); });
  const double start_time = boot_time_seconds() + stat_field(starttime_index) /
                                                      static_cast<double>(::sysconf(_SC_CLK_TCK));
  registry.add_callback("process_start_time_seconds",
                        "Start time of the process since the Unix epoch, in seconds.", Type::gauge,
                        {}, [start_time] { return start_time; });
}

}  // namespace weir::metrics
