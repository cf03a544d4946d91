// Classifier throughput in MB/s of Arabic text per core, JSON I/O excluded, plus peak memory.
//
//   bench_classify [--data-dir DIR] [--seconds S] [--threads N] FILE.json...
//
// Each FILE is a SaudiNewsNet JSON array of {title, content} (bench/bench_classify.sh unzips
// ../shared/data/news/saudinewsnet/*.zip into a temporary directory and runs this). All
// articles are parsed into memory first; only Classifier::Classify is timed, in passes over
// the whole set until S seconds have gone by. With N > 1 threads each thread classifies the
// whole set, and the figure is also given per core. Besides the average over all passes it
// prints the fastest pass, the steadier figure on a machine other jobs share.
#include <sys/resource.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "classifiers/classifier.h"

namespace {

struct Doc {
  std::string title;
  std::string text;
};

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Resident memory now (not the peak), from /proc/self/statm, in MiB.
double CurrentRssMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  double seconds = 3;
  int threads = 1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--data-dir" && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(
        stderr,
        "usage: bench_classify [--data-dir DIR] [--seconds S] [--threads N] FILE.json...\n");
    return 2;
  }
  std::vector<Doc> docs;
  std::size_t bytes = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (!json.is_array()) {
      std::fprintf(stderr, "%s: not a JSON array\n", file.c_str());
      return 2;
    }
    for (const auto& a : json) {
      Doc d;
      if (a.contains("title") && a["title"].is_string()) d.title = a["title"].get<std::string>();
      if (a.contains("content") && a["content"].is_string())
        d.text = a["content"].get<std::string>();
      bytes += d.title.size() + d.text.size();
      docs.push_back(std::move(d));
    }
  }
  const double rss_loaded = PeakRssMiB();
  const double rss_before_classifier = CurrentRssMiB();
  auto loaded = raqib::classifiers::LoadClassifier(
      data_dir.empty() ? raqib::classifiers::DefaultDataDir() : std::filesystem::path(data_dir));
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().c_str());
    return 2;
  }
  const auto classifier = *loaded;
  const double classifier_mib = CurrentRssMiB() - rss_before_classifier;

  std::atomic<long> flagged{0};
  // Per-core figures use the thread's CPU time: on a shared, loaded machine wall time would
  // measure the other processes too.
  std::vector<double> cpu(threads);
  // The CPU time of each thread's fastest pass: on a machine shared with other jobs, the
  // pass least disturbed by them (cache and core sharing) is the steadiest figure.
  std::vector<double> best_pass(threads);
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  };
  auto run = [&](long& passes, double& elapsed, double& cpu_seconds, double& best) {
    const double cpu_start = cpu_now();
    const auto start = std::chrono::steady_clock::now();
    passes = 0;
    long local_flagged = 0;
    best = 0;
    do {
      const double pass_start = cpu_now();
      for (const Doc& d : docs) {
        const auto c = classifier->Classify({d.title, d.text});
        local_flagged += !c.labels.empty();
      }
      const double pass_cpu = cpu_now() - pass_start;
      if (passes == 0 || pass_cpu < best) best = pass_cpu;
      ++passes;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds);
    cpu_seconds = cpu_now() - cpu_start;
    flagged += local_flagged / passes;
  };
  std::vector<long> passes(threads);
  std::vector<double> elapsed(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { run(passes[t], elapsed[t], cpu[t], best_pass[t]); });
  for (auto& th : pool) th.join();

  double total_mb = 0;
  double max_elapsed = 0;
  for (int t = 0; t < threads; ++t) {
    total_mb += static_cast<double>(bytes) * static_cast<double>(passes[t]) / 1e6;
    max_elapsed = std::max(max_elapsed, elapsed[t]);
  }
  double cpu_total = 0;
  for (const double c : cpu) cpu_total += c;
  const double per_core = total_mb / cpu_total;  // MB per CPU-second
  const double per_thread = total_mb / max_elapsed / threads;
  std::printf("articles=%zu text_mb=%.1f threads=%d passes=%ld seconds=%.2f\n", docs.size(),
              static_cast<double>(bytes) / 1e6, threads, passes[0], max_elapsed);
  std::printf(
      "throughput_mb_s=%.1f per_thread_mb_s=%.1f articles_per_s=%.0f flagged=%.1f%%\n",
      total_mb / max_elapsed, per_thread,
      static_cast<double>(docs.size()) * static_cast<double>(passes[0]) * threads / max_elapsed,
      100.0 * static_cast<double>(flagged.load()) / threads / static_cast<double>(docs.size()));
  std::printf("per_core_cpu_mb_s=%.1f (MB of text per CPU-second of classification)\n", per_core);
  double best_cpu = best_pass[0];
  for (const double b : best_pass) best_cpu = std::min(best_cpu, b);
  std::printf("best_pass_cpu_mb_s=%.1f (the fastest single pass over the set, per CPU-second)\n",
              static_cast<double>(bytes) / 1e6 / best_cpu);
  std::printf("peak_rss_mib=%.1f (of which the parsed articles: %.1f) classifier_rss_mib=%.1f\n",
              PeakRssMiB(), rss_loaded, classifier_mib);
  return 0;
}
