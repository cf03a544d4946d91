// A Kafka cluster for tests: librdkafka's mock cluster (real Kafka protocol over TCP on
// 127.0.0.1) hosted in its own process, so producers, kcat and kafka-python can all talk to it
// and a test can kill the producer without killing the cluster.
//
//   mock_kafka_cluster [--brokers N] [--partitions P] [--replication R] TOPIC...
//
// Prints the bootstrap servers as the first stdout line, then reads commands on stdin, one per
// line, answering each with "ok" or "error: ..." on stdout:
//   down BROKER                  broker disconnects and refuses connections
//   up BROKER                    broker accepts connections again
//   leader TOPIC PARTITION BROKER  moves a partition's leadership
//   error API COUNT CODE         the next COUNT requests of API (Produce, Metadata, ... or its
//                                number) fail with Kafka error CODE
//   rtt BROKER MS                adds MS of round-trip latency to a broker
//   quit                         (or end of stdin) stops the cluster
// Brokers are numbered from 1.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

// Kafka protocol API keys the tests use by name.
const std::map<std::string, int16_t> kApis = {
    {"Produce", 0},          {"Fetch", 1},        {"ListOffsets", 2},     {"Metadata", 3},
    {"FindCoordinator", 10}, {"ApiVersions", 18}, {"InitProducerId", 22},
};

int16_t ApiKey(const std::string& name) {
  auto it = kApis.find(name);
  return it != kApis.end() ? it->second : static_cast<int16_t>(std::stoi(name));
}

// Runs one command line; returns false on "quit".
bool Run(rd_kafka_mock_cluster_t* cluster, const std::string& line) {
  std::istringstream in(line);
  std::string command;
  in >> command;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  try {
    if (command == "quit") return false;
    if (command == "down" || command == "up" || command == "rtt") {
      int broker = 0;
      if (!(in >> broker)) throw std::invalid_argument("missing broker id");
      if (command == "down") {
        err = rd_kafka_mock_broker_set_down(cluster, broker);
      } else if (command == "up") {
        err = rd_kafka_mock_broker_set_up(cluster, broker);
      } else {
        int ms = 0;
        if (!(in >> ms)) throw std::invalid_argument("missing milliseconds");
        err = rd_kafka_mock_broker_set_rtt(cluster, broker, ms);
      }
    } else if (command == "leader") {
      std::string topic;
      int partition = 0;
      int broker = 0;
      if (!(in >> topic >> partition >> broker)) throw std::invalid_argument("usage");
      err = rd_kafka_mock_partition_set_leader(cluster, topic.c_str(), partition, broker);
    } else if (command == "error") {
      std::string api;
      int count = 0;
      int code = 0;
      if (!(in >> api >> count >> code)) throw std::invalid_argument("usage");
      std::vector<rd_kafka_resp_err_t> errors(static_cast<std::size_t>(count),
                                              static_cast<rd_kafka_resp_err_t>(code));
      rd_kafka_mock_push_request_errors_array(cluster, ApiKey(api), errors.size(), errors.data());
    } else if (!command.empty()) {
      throw std::invalid_argument("unknown command");
    }
  } catch (const std::exception& e) {
    std::cout << "error: " << command << ": " << e.what() << std::endl;
    return true;
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::cout << "error: " << rd_kafka_err2str(err) << std::endl;
  } else {
    std::cout << "ok" << std::endl;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3;
  int partitions = 3;
  int replication = 3;
  std::vector<std::string> topics;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--brokers" || arg == "--partitions" || arg == "--replication") && i + 1 < argc) {
      const int value = std::atoi(argv[++i]);
      (arg == "--brokers" ? brokers : arg == "--partitions" ? partitions : replication) = value;
    } else if (arg.starts_with("--")) {
      std::cerr << "usage: mock_kafka_cluster [--brokers N] [--partitions P] [--replication R] "
                   "TOPIC...\n";
      return 2;
    } else {
      topics.push_back(arg);
    }
  }

  // The mock cluster lives on a client handle; this one is never used to produce.
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    std::cerr << "mock_kafka_cluster: " << errstr << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    std::cerr << "mock_kafka_cluster: cannot create the cluster\n";
    rd_kafka_destroy(rk);
    return 1;
  }
  for (const std::string& topic : topics) {
    const rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, replication);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "mock_kafka_cluster: topic " << topic << ": " << rd_kafka_err2str(err) << "\n";
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(rk);
      return 1;
    }
  }
  std::cout << rd_kafka_mock_cluster_bootstraps(cluster) << std::endl;

  std::string line;
  while (std::getline(std::cin, line) && Run(cluster, line)) {
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
