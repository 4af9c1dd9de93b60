// mock-cluster: librdkafka's in-memory mock cluster (rd_kafka_mock_cluster_new) as a
// process, the side-by-side peer of bench/run.sh. It never writes to disk nor syncs, so
// it is an upper bound for a broker that persists.
//
//   mock-cluster [--brokers N] [--topic NAME:PARTITIONS ...]
//
// Prints the bootstrap address on one line, then serves until SIGTERM or SIGINT. Topics
// the mock auto-creates get its default partition count, so benchmarks name theirs.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  CLI::App app{"librdkafka's mock Kafka cluster, until SIGTERM"};
  int brokers = 1;
  std::vector<std::string> topics;
  app.add_option("--brokers", brokers, "number of mock brokers")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--topic", topics, "NAME:PARTITIONS to create up front (repeatable)");
  CLI11_PARSE(app, argc, argv);

  // Block the signals before librdkafka starts its threads, so they inherit the mask and
  // sigwait below is the only receiver.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  char reason[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; its notice about having no bootstrap.servers is noise.
  rd_kafka_conf_set(conf, "log_level", "4", reason, sizeof reason);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (!handle) {
    std::fprintf(stderr, "cannot create the librdkafka handle: %s\n", reason);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, brokers);
  if (!cluster) {
    std::fprintf(stderr, "cannot start the mock cluster\n");
    rd_kafka_destroy(handle);
    return 1;
  }
  for (const auto& topic : topics) {
    const auto colon = topic.rfind(':');
    int partitions = 0;
    try {
      partitions = colon == std::string::npos ? 0 : std::stoi(topic.substr(colon + 1));
    } catch (const std::exception&) {
    }
    if (partitions <= 0) {
      std::fprintf(stderr, "--topic wants NAME:PARTITIONS, got '%s'\n", topic.c_str());
      return 2;
    }
    const std::string name = topic.substr(0, colon);
    if (const auto error = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1)) {
      std::fprintf(stderr, "cannot create topic %s: %s\n", name.c_str(), rd_kafka_err2str(error));
      return 1;
    }
  }
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
