// `raqib classify` and `raqib eval`: the classifier on JSON lines, and its scores on gold data.
#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "classifiers/classification_json.h"
#include "classifiers/classifier.h"
#include "daemon/commands.h"

namespace raqib::daemon {
namespace {

using classifiers::Classifier;
using classifiers::EventType;
using classifiers::kEventTypes;

std::shared_ptr<const Classifier> LoadOrComplain(const std::string& data_dir, const char* who) {
  const std::filesystem::path dir =
      data_dir.empty() ? classifiers::DefaultDataDir() : std::filesystem::path(data_dir);
  auto loaded = classifiers::LoadClassifier(dir);
  if (!loaded) {
    std::cerr << "raqib " << who << ": " << loaded.error() << "\n";
    return nullptr;
  }
  return *loaded;
}

// One input line as (id, title, text), or an error message.
struct Item {
  nlohmann::json id;
  std::string title;
  std::string text;
  nlohmann::json labels;
};
std::expected<Item, std::string> ParseItem(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected("not valid JSON");
  if (!j.is_object()) return std::unexpected("not a JSON object");
  Item item;
  item.id = j.contains("id") ? j["id"] : nlohmann::json();
  const auto title = j.find("title");
  if (title != j.end() && !title->is_null()) {
    if (!title->is_string()) return std::unexpected("\"title\" is not a string");
    item.title = title->get<std::string>();
  }
  const auto text = j.find("text");
  if (text == j.end() || !text->is_string())
    return std::unexpected("\"text\" missing or not a string");
  item.text = text->get<std::string>();
  if (j.contains("labels")) item.labels = j["labels"];
  return item;
}

// The fixed split of a gold set into a tuning half and a held-out half: FNV-1a of the id.
bool InTuningHalf(const nlohmann::json& id) {
  const std::string key = id.is_string() ? id.get<std::string>() : id.dump();
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return (h & 1) == 0;
}

int RunClassify(const std::string& file, const std::string& data_dir) {
  const auto classifier = LoadOrComplain(data_dir, "classify");
  if (!classifier) return 2;
  std::ifstream file_in;
  if (!file.empty() && file != "-") {
    file_in.open(file);
    if (!file_in) {
      std::cerr << "raqib classify: cannot open " << file << "\n";
      return 2;
    }
  }
  std::istream& in = file_in.is_open() ? file_in : std::cin;
  std::string line;
  long line_no = 0;
  long bad = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto item = ParseItem(line);
    if (!item) {
      std::cerr << "raqib classify: line " << line_no << ": " << item.error() << "\n";
      ++bad;
      continue;
    }
    const classifiers::Article article{item->title, item->text};
    nlohmann::json out = {{"id", item->id}};
    out.update(classifiers::ToJson(classifier->Classify(article), article));
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  std::cout.flush();
  return bad > 0 ? 1 : 0;
}

int RunEval(const std::string& gold, const std::string& data_dir, const std::string& split,
            bool show_errors) {
  const auto classifier = LoadOrComplain(data_dir, "eval");
  if (!classifier) return 2;
  std::ifstream in(gold);
  if (!in) {
    std::cerr << "raqib eval: cannot open " << gold << "\n";
    return 2;
  }
  std::array<long, 3> tp{}, fp{}, fn{};
  long items = 0;
  long bad = 0;
  std::string line;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto item = ParseItem(line);
    if (!item || !item->labels.is_array()) {
      std::cerr << "raqib eval: line " << line_no << ": "
                << (item ? "\"labels\" missing or not an array" : item.error()) << "\n";
      ++bad;
      continue;
    }
    if (split == "tune" && !InTuningHalf(item->id)) continue;
    if (split == "held" && InTuningHalf(item->id)) continue;
    ++items;
    const auto result = classifier->Classify({item->title, item->text});
    for (const EventType type : kEventTypes) {
      const auto k = static_cast<std::size_t>(type);
      bool want = false;
      for (const auto& l : item->labels) want = want || (l.is_string() && l == EventTypeName(type));
      const bool got = result.Has(type);
      tp[k] += want && got;
      fp[k] += !want && got;
      fn[k] += want && !got;
      if (show_errors && want != got) {
        std::cerr << (got ? "FP " : "FN ") << EventTypeName(type) << " " << item->id.dump()
                  << " score=" << result.Score(type) << " | " << item->title << " | "
                  << item->text.substr(0, 600) << "\n";
      }
    }
  }
  std::printf("items=%ld split=%s\n", items, split.c_str());
  double macro = 0;
  for (const EventType type : kEventTypes) {
    const auto k = static_cast<std::size_t>(type);
    const double p = tp[k] + fp[k] > 0 ? double(tp[k]) / double(tp[k] + fp[k]) : 0;
    const double r = tp[k] + fn[k] > 0 ? double(tp[k]) / double(tp[k] + fn[k]) : 0;
    const double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
    macro += f1 / 3;
    std::printf("%-9s precision=%.3f recall=%.3f f1=%.3f tp=%ld fp=%ld fn=%ld\n",
                EventTypeName(type), p, r, f1, tp[k], fp[k], fn[k]);
  }
  std::printf("macro_f1=%.3f\n", macro);
  if (bad > 0) return 1;
  return items > 0 ? 0 : 1;
}

}  // namespace

void AddClassifyCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "classify",
      "Classify JSON lines (id, title, text) from FILE or stdin; one JSON line out per input. "
      "A bad line is reported on stderr with its number and skipped; exit 1 if any was bad");
  static std::string file;
  static std::string data_dir;
  cmd->add_option("FILE", file, "JSON lines file (default: stdin)");
  cmd->add_option("--data-dir", data_dir, "classifier data directory (default: built-in)");
  cmd->callback([&exit_code] { exit_code = RunClassify(file, data_dir); });
}

void AddEvalCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate the classifier on gold JSON lines (id, title, text, labels): P/R/F1 per "
      "type, last line macro_f1=");
  static std::string gold;
  static std::string data_dir;
  static std::string split = "all";
  static bool show_errors = false;
  cmd->add_option("GOLD", gold, "gold JSON lines file")->required();
  cmd->add_option("--data-dir", data_dir, "classifier data directory (default: built-in)");
  cmd->add_option("--split", split,
                  "all, or the fixed halves by a hash of id: tune (even) or held (odd)")
      ->check(CLI::IsMember({"all", "tune", "held"}));
  cmd->add_flag("--errors", show_errors, "list misclassified items on stderr");
  cmd->callback([&exit_code] { exit_code = RunEval(gold, data_dir, split, show_errors); });
}

}  // namespace raqib::daemon
