#include "feeds/html_text.h"

#include <gumbo.h>

#include <utility>
#include <vector>

namespace raqib::feeds {
namespace {

// Builds the text with at most one pending separator between two runs of visible text: the
// strongest one asked for wins, leading and trailing ones are dropped.
class TextBuilder {
 public:
  enum Break { kNone = 0, kSpace = 1, kLine = 2, kParagraph = 3 };

  void RequestBreak(Break level) {
    if (level > pending_) pending_ = level;
  }

  // Appends text, collapsing its white space (a run holding a blank line is a paragraph break).
  void AppendText(std::string_view text, bool preformatted) {
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t space = SpaceLength(text, i);
      if (space == 0) {
        AppendChar(text, i);
        continue;
      }
      if (preformatted) {
        Flush();
        const bool newline = text[i] == '\n';
        if (newline) {
          out_.push_back('\n');
        } else {
          out_.push_back(' ');
        }
        i += space;
        continue;
      }
      int newlines = 0;
      while (i < text.size()) {
        const std::size_t n = SpaceLength(text, i);
        if (n == 0) break;
        if (text[i] == '\n') ++newlines;
        i += n;
      }
      RequestBreak(newlines >= 2 ? kParagraph : kSpace);
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  // Length of the white-space character at text[i] (ASCII white space or U+00A0), else 0.
  static std::size_t SpaceLength(std::string_view text, std::size_t i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
    if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') return 2;
    return 0;
  }

  // Appends the character at text[i] and advances i. Control characters (illegal in XML, noise
  // in text) are dropped; C1 controls are what windows-1252 punctuation becomes when a feed
  // writes it as &#146; and friends, so they are mapped back like HTML5 does.
  void AppendChar(std::string_view text, std::size_t& i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      ++i;
      return;
    }
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        static constexpr char16_t kWindows1252[32] = {
            0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
            0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
            0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
        const char16_t mapped = kWindows1252[next - 0x80];
        i += 2;
        if (mapped == 0) return;
        Flush();
        if (mapped < 0x800) {
          out_.push_back(static_cast<char>(0xC0 | (mapped >> 6)));
        } else {
          out_.push_back(static_cast<char>(0xE0 | (mapped >> 12)));
          out_.push_back(static_cast<char>(0x80 | ((mapped >> 6) & 0x3F)));
        }
        out_.push_back(static_cast<char>(0x80 | (mapped & 0x3F)));
        return;
      }
    }
    Flush();
    out_.push_back(text[i++]);
  }

  void Flush() {
    if (!out_.empty()) {
      switch (pending_) {
        case kSpace: out_.push_back(' '); break;
        case kLine: out_.push_back('\n'); break;
        case kParagraph: out_.append("\n\n"); break;
        case kNone: break;
      }
    }
    pending_ = kNone;
  }

  std::string out_;
  Break pending_ = kNone;
};

TextBuilder::Break BreakFor(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_BR: return TextBuilder::kLine;
    case GUMBO_TAG_LI:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_OPTION: return TextBuilder::kLine;
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH: return TextBuilder::kSpace;
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_FIELDSET: return TextBuilder::kParagraph;
    default: return TextBuilder::kNone;
  }
}

bool Invisible(GumboTag tag) {
  return tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_TEMPLATE;
}

// Walks the tree without recursion: hostile input may nest elements very deeply.
std::string ExtractText(const GumboNode* root) {
  TextBuilder builder;
  struct Frame {
    const GumboNode* node;
    unsigned next_child;
    bool preformatted;
  };
  std::vector<Frame> stack;
  stack.push_back({root, 0, false});
  while (!stack.empty()) {
    Frame& frame = stack.back();
    const GumboNode* node = frame.node;
    const GumboVector* children = nullptr;
    if (node->type == GUMBO_NODE_DOCUMENT) children = &node->v.document.children;
    if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
      children = &node->v.element.children;
    }
    if (children == nullptr || frame.next_child >= children->length) {
      if (node->type == GUMBO_NODE_ELEMENT) builder.RequestBreak(BreakFor(node->v.element.tag));
      stack.pop_back();
      continue;
    }
    const auto* child = static_cast<const GumboNode*>(children->data[frame.next_child++]);
    const bool preformatted = frame.preformatted;
    switch (child->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE: builder.AppendText(child->v.text.text, preformatted); break;
      case GUMBO_NODE_ELEMENT: {
        const GumboTag tag = child->v.element.tag;
        if (Invisible(tag)) break;
        builder.RequestBreak(BreakFor(tag));
        stack.push_back({child, 0, preformatted || tag == GUMBO_TAG_PRE});
        break;
      }
      default: break;  // comments, templates' contents
    }
  }
  return builder.Take();
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  if (html.size() > kMaxHtmlBytes) html = html.substr(0, kMaxHtmlBytes);
  if (html.find_first_of("<&") == std::string_view::npos) {
    TextBuilder builder;
    builder.AppendText(html, false);
    return builder.Take();
  }
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // we do not report HTML errors: do not collect them
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  if (output == nullptr) return CollapseSpace(html);
  std::string text = ExtractText(output->document);
  gumbo_destroy_output(&options, output);
  return text;
}

std::string CollapseSpace(std::string_view text) {
  TextBuilder builder;
  builder.AppendText(text, false);
  std::string out = builder.Take();
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  // Paragraph breaks became two spaces: make them one.
  std::string collapsed;
  collapsed.reserve(out.size());
  for (char c : out) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed.push_back(c);
  }
  return collapsed;
}

}  // namespace raqib::feeds
