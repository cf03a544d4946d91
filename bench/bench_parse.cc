// Parse throughput: ParseFeed (charset decoding, XML, HTML -> text, dates) over every file of a
// directory tree, in memory, repeated until enough time has passed to measure.
//   bench_parse [DIR] [--seconds S] [--list FILE]
// DIR defaults to ../shared/data/feeds. --list names the files to read (one path a line), so
// scripts/bench-parse.sh can give feedparser exactly the same set. Prints MB/s and files/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "feeds/parser.h"

namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = "../shared/data/feeds";
  std::string list;
  double seconds = 3.0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
    } else if (arg == "--list" && i + 1 < argc) {
      list = argv[++i];
    } else {
      dir = arg;
    }
  }

  std::vector<std::string> paths;
  if (!list.empty()) {
    std::ifstream in(list);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) paths.push_back(line);
    }
  } else if (std::filesystem::is_directory(dir)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
  }
  if (paths.empty()) {
    std::cerr << "bench_parse: no files (give a directory of feeds or --list FILE)\n";
    return 1;
  }
  std::vector<std::string> files;
  std::size_t bytes = 0;
  for (const auto& path : paths) {
    files.push_back(ReadFile(path));
    bytes += files.back().size();
  }

  // Wall time, and CPU time: on a shared machine the CPU time is the fairer figure.
  using Clock = std::chrono::steady_clock;
  std::size_t rounds = 0;
  std::size_t items = 0;
  const std::clock_t cpu_start = std::clock();
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    for (const std::string& file : files) {
      items += raqib::feeds::ParseFeed(file).feed.items.size();
    }
    ++rounds;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);

  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const double megabytes = static_cast<double>(bytes * rounds) / 1e6;
  std::printf(
      "bench_parse: %zu files, %.2f MB, %zu rounds, %.2f s wall, %.2f s CPU, %zu items/round\n",
      files.size(), static_cast<double>(bytes) / 1e6, rounds, elapsed, cpu, items / rounds);
  std::printf("raqib MB/s (wall): %.2f\n", megabytes / elapsed);
  std::printf("raqib MB/s (CPU): %.2f\n", megabytes / cpu);
  std::printf("raqib files/s (CPU): %.0f\n", static_cast<double>(files.size() * rounds) / cpu);
  return 0;
}
