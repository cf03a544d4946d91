#include "feeds/html_text.h"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "feeds/byte_scan.h"
#include "feeds/html_entities.h"

namespace raqib::feeds {
namespace {

// What windows-1252 puts at 0x80-0x9F (0: nothing).
constexpr char16_t kWindows1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

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
      // Runs of ordinary characters (no control, C1 lead byte or run of spaces) are copied at once.
      const std::size_t run = VerbatimRunEnd(text, i);
      if (run > i) {
        Flush();
        out_.append(text.substr(i, run - i));
        i = run;
        continue;
      }
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

  // Room for `size` bytes of output, when the caller knows about how much is coming.
  void Reserve(std::size_t size) { out_.reserve(size); }

  std::string Take() { return std::move(out_); }

 private:
  // Bytes copied as they are: not white space, control, DEL or the lead byte of U+0080-U+00BF
  // (no-break space and C1 controls), which all need a closer look.
  static constexpr std::array<bool, 256> kOrdinary = [] {
    std::array<bool, 256> table{};
    for (int c = 0x21; c < 0x100; ++c) table[c] = c != 0x7F && c != 0xC2;
    return table;
  }();

  // The end of the run at text[i] that comes out exactly as it is written: Ordinary bytes, and
  // single spaces between them (one space is what a run of white space becomes anyway). Copying
  // such runs whole, rather than word by word, is most of what makes this pass cheap.
  static std::size_t VerbatimRunEnd(std::string_view text, std::size_t i) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    const std::size_t start = i;
#if defined(__SSE2__)
    // Sixteen bytes at a time, to the exact end: bit k of each mask is byte k of the chunk. The
    // last chunk is the last sixteen bytes of the text, its bits before i (already read) ignored.
    if (size - start >= 16) {
      while (i < size) {
        const bool tail = size - i < 16;
        const std::size_t at = tail ? size - 16 : i;
        const __m128i chunk = byte_scan::Load16(text.data() + at);
        const unsigned bad = byte_scan::Mask(
            _mm_or_si128(_mm_or_si128(byte_scan::Less(chunk, 0x20), byte_scan::Equal(chunk, 0x7F)),
                         byte_scan::Equal(chunk, 0xC2)));
        const unsigned spaces = byte_scan::Mask(byte_scan::Equal(chunk, ' '));
        const unsigned ordinary = ~(bad | spaces) & 0xFFFFu;
        // A space belongs to the run when an Ordinary byte follows it and it is not the first.
        unsigned ends = bad | (spaces & ~(ordinary >> 1));
        if (at == start) ends |= spaces & 1u;
        ends &= 0xFFFFu << (i - at);
        if (ends == 0) {
          if (tail) return size;
          i += 16;
          continue;
        }
        const auto first = static_cast<unsigned>(std::countr_zero(ends));
        const std::size_t k = at + first;
        // A space last in the chunk: what follows it is in the next one.
        if (first == 15 && (spaces >> 15) != 0 && k + 1 < size && kOrdinary[bytes[k + 1]]) {
          i = k + 2;
          continue;
        }
        return k;
      }
      return size;
    }
#endif
    while (true) {
      // Eight bytes at a time while they are plainly part of the run: no byte that is not
      // Ordinary but a space, no space first in the run, last in the word or next to another.
      // The tests may flag a byte that is fine (see byte_scan.h), never miss one that is not;
      // whatever they flag is decided byte by byte below.
      if constexpr (std::endian::native == std::endian::little) {
        while (i + 8 <= size) {
          const std::uint64_t word = byte_scan::Load(text.data() + i);
          if (byte_scan::HasLess(word, 0x20) | byte_scan::HasByte(word, 0x7F) |
              byte_scan::HasByte(word, 0xC2)) {
            break;
          }
          const std::uint64_t spaces = byte_scan::HasByte(word, ' ');
          if ((spaces & (spaces >> 8)) != 0 || (spaces >> 56) != 0 ||
              (i == start && (spaces & 0x80) != 0)) {
            break;
          }
          i += 8;
        }
      }
      const std::size_t stop = std::min(size, i + 8);
      while (i < stop) {
        if (kOrdinary[bytes[i]]) {
          ++i;
        } else if (bytes[i] == ' ' && i > start && i + 1 < size && kOrdinary[bytes[i + 1]]) {
          i += 2;
        } else {
          return i;
        }
      }
      if (i >= size) return size;
    }
  }

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

// A bump allocator for one gumbo parse. gumbo makes many small allocations, and malloc/free
// were most of its cost; more importantly, gumbo_destroy_output frees the tree recursively,
// which overflows the stack on deeply nested input. With the arena nothing is freed one by
// one: Reset() drops the whole parse at once and the tree is never destroyed node by node.
// Peak size is a small multiple of the input (bounded by kMaxHtmlBytes).
class Arena {
 public:
  static void* Allocate(void* self, std::size_t size) {
    return static_cast<Arena*>(self)->Take(size);
  }
  static void Deallocate(void*, void*) {}

  // Frees every block but the first, which is kept for the next parse.
  void Reset() {
    if (blocks_.size() > 1) blocks_.resize(1);
    used_ = 0;
  }

  std::size_t Allocated() const {
    std::size_t total = 0;
    for (const Block& block : blocks_) total += block.capacity;
    return total;
  }

 private:
  static constexpr std::size_t kBlockSize = 256 * 1024;
  struct Block {
    std::unique_ptr<std::max_align_t[]> memory;
    std::size_t capacity;
  };

  void* Take(std::size_t size) {
    size = (size + 15) & ~std::size_t{15};
    if (blocks_.empty() || used_ + size > blocks_.back().capacity) {
      // Growing blocks keep the count logarithmic for big inputs.
      const std::size_t capacity =
          std::max(size, blocks_.empty() ? kBlockSize : blocks_.back().capacity * 2);
      blocks_.push_back(
          {std::make_unique<std::max_align_t[]>(capacity / sizeof(std::max_align_t) + 1),
           capacity});
      used_ = 0;
    }
    void* out = reinterpret_cast<char*>(blocks_.back().memory.get()) + used_;
    used_ += size;
    return out;
  }

  std::vector<Block> blocks_;
  std::size_t used_ = 0;  // in blocks_.back()
};

// True when '&' never starts a character reference: then the text needs no HTML parser.
bool HasReference(std::string_view text) {
  for (std::size_t i = text.find('&'); i != std::string_view::npos; i = text.find('&', i + 1)) {
    if (i + 1 < text.size()) {
      const char next = text[i + 1];
      if (next == '#' || (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z')) {
        return true;
      }
    }
  }
  return false;
}

bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Elements whose contents or placement the HTML5 tree builder treats specially (raw text,
// captions and columns, foreign content, the document's own elements): their presence sends the
// fragment to gumbo. (<pre> is read like a block: its spacing collapses.) Tables, rows and cells
// are followed by TableTracker, which sends the fragment to gumbo where they are not simple.
bool NeedsTreeBuilder(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_XMP:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_PLAINTEXT:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_OPTGROUP:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_IMAGE: return true;
    default: return false;
  }
}

bool IsVoid(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_KEYGEN:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_META:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_WBR: return true;
    default: return false;
  }
}

bool IsTablePart(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH: return true;
    default: return false;
  }
}

// Follows tables for the direct path, which may read one only when the HTML5 tree builder would
// keep everything where it is and add no break of its own: text and elements only inside cells
// (anything else is "foster parented" out of the table: gumbo's job), every element opened in a
// cell closed in it, in order, before the cell ends (so no end tag is implied at a place where
// it would add a break), and no stray end tags of table parts (gumbo ignores them). The one
// element the tree builder adds itself, a row around a cell written without one, is mirrored as
// the line break that row brings.
class TableTracker {
 public:
  // True inside a table (between <table> and its end tag).
  bool InTable() const { return !tables_.empty(); }

  // False when the text at hand, in the current context, is not for the direct path.
  bool TextAllowed(std::string_view text) const {
    if (tables_.empty() || tables_.back().in_cell) return true;
    for (char c : text) {
      if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) return false;
    }
    return true;  // white space between table parts stays where it is
  }

  // Takes a start or end tag; false when the fragment must go to gumbo.
  bool Tag(GumboTag tag, std::string_view name, bool end_tag, TextBuilder& builder) {
    if (tables_.empty()) {
      if (!IsTablePart(tag)) return true;
      if (tag != GUMBO_TAG_TABLE || end_tag) return false;  // a part outside a table is ignored
      tables_.emplace_back();
      return true;
    }
    Table& table = tables_.back();
    if (!IsTablePart(tag)) {
      if (!table.in_cell) return false;  // would be foster parented
      if (IsVoid(tag)) return !end_tag;  // </br> is read as <br>
      if (!end_tag) {
        table.open.push_back({tag, name});
        return true;
      }
      if (table.open.empty() || table.open.back().tag != tag ||
          (tag == GUMBO_TAG_UNKNOWN && !SameName(table.open.back().name, name))) {
        return false;
      }
      table.open.pop_back();
      return true;
    }
    if (tag == GUMBO_TAG_TABLE && !end_tag) {
      if (!table.in_cell) return false;  // a table in a table closes the first
      tables_.emplace_back();            // (invalidates `table`)
      return true;
    }
    if (table.in_cell && !table.open.empty()) return false;  // would close elements at a break
    switch (tag) {
      case GUMBO_TAG_TABLE:  // end tag
        tables_.pop_back();
        return true;
      case GUMBO_TAG_TD:
      case GUMBO_TAG_TH:
        if (end_tag) {
          if (!table.in_cell || table.cell != tag) return false;
          table.in_cell = false;
          return true;
        }
        if (!table.row_open) {
          builder.RequestBreak(BreakFor(GUMBO_TAG_TR));  // the row the tree builder adds
          table.row_open = true;
          if (table.section == GUMBO_TAG_UNKNOWN) table.section = GUMBO_TAG_TBODY;
        }
        table.in_cell = true;
        table.cell = tag;
        return true;
      case GUMBO_TAG_TR:
        if (end_tag && !table.row_open) return false;
        table.row_open = !end_tag;
        table.in_cell = false;
        if (!end_tag && table.section == GUMBO_TAG_UNKNOWN) table.section = GUMBO_TAG_TBODY;
        return true;
      default:  // TBODY, THEAD, TFOOT
        if (end_tag && table.section != tag) return false;
        if (table.row_open) builder.RequestBreak(BreakFor(GUMBO_TAG_TR));  // the row it closes
        table.row_open = false;
        table.in_cell = false;
        table.section = end_tag ? GUMBO_TAG_UNKNOWN : tag;
        return true;
    }
  }

 private:
  struct Open {
    GumboTag tag;
    std::string_view name;  // as written: unknown elements are told apart by name
  };

  static bool SameName(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto lower = [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      };
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  }
  struct Table {
    GumboTag section = GUMBO_TAG_UNKNOWN;  // tbody, thead or tfoot when one is open
    bool row_open = false;
    bool in_cell = false;
    GumboTag cell = GUMBO_TAG_TD;
    std::vector<Open> open;  // elements opened in the current cell, innermost last
  };
  std::vector<Table> tables_;  // innermost last
};

// HTML5 reads the "legacy" references without their ';' as well: HTML 4's Latin-1 ones
// (&nbsp; to &yuml;) and &amp; &lt; &gt; &quot; (and upper-case &AMP; &COPY; &GT; &LT; &QUOT;
// &REG;, which are not in kNamedReferences: a name starting with one of those is gumbo's).
bool IsLegacy(const NamedReference& reference) {
  const auto lead = static_cast<unsigned char>(reference.text.empty() ? 0 : reference.text[0]);
  return (reference.text.size() == 2 && (lead == 0xC2 || lead == 0xC3)) ||
         reference.name == "amp" || reference.name == "lt" || reference.name == "gt" ||
         reference.name == "quot";
}

// The legacy names kNamedReferences does not have.
bool StartsWithUpperCaseLegacy(std::string_view name) {
  for (const std::string_view upper : {"AMP", "COPY", "GT", "LT", "QUOT", "REG"}) {
    if (name.starts_with(upper)) return true;
  }
  return false;
}

// In text, "&" + `name` without ';' is the longest legacy name `name` starts with (and the
// rest is text); null when there is none.
const NamedReference* LongestLegacyReference(std::string_view name) {
  constexpr std::size_t kLongestLegacyName = 6;  // "frac12", "middot", ...
  for (std::size_t length = std::min(name.size(), kLongestLegacyName); length >= 2; --length) {
    const std::string_view prefix = name.substr(0, length);
    const auto* found = std::lower_bound(
        std::begin(kNamedReferences), std::end(kNamedReferences), prefix,
        [](const NamedReference& named, std::string_view key) { return named.name < key; });
    if (found != std::end(kNamedReferences) && found->name == prefix && IsLegacy(*found)) {
      return found;
    }
  }
  return nullptr;
}

// Where the raw text of a script or style element that starts at `from` ends: the '<' of the
// first "</" + the element's name (`lower`, `length` bytes, lower case; the text's case does
// not matter) + white space, '/' or '>'; npos when there is none.
std::size_t RawTextEnd(std::string_view html, std::size_t from, std::size_t length,
                       const char* lower) {
  for (std::size_t at = html.find("</", from); at != std::string_view::npos;
       at = html.find("</", at + 2)) {
    const std::size_t after = at + 2 + length;
    if (after >= html.size()) return std::string_view::npos;
    bool same = true;
    for (std::size_t k = 0; k < length && same; ++k) {
      const char c = html[at + 2 + k];
      same = ((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c) == lower[k];
    }
    if (same && (IsHtmlSpace(html[after]) || html[after] == '/' || html[after] == '>')) return at;
  }
  return std::string_view::npos;
}

// gumbo_tagn_enum (of a lower-case name), with the commonest tags of feed HTML answered here:
// it is a call and a hash for every tag.
GumboTag TagEnum(const char* lower, std::size_t length) {
  const auto is = [lower](const char* name) { return std::memcmp(lower, name, 2) == 0; };
  switch (length) {
    case 1:
      switch (lower[0]) {
        case 'p': return GUMBO_TAG_P;
        case 'a': return GUMBO_TAG_A;
        case 'b': return GUMBO_TAG_B;
        case 'i': return GUMBO_TAG_I;
        default: break;
      }
      break;
    case 2:
      if (is("br")) return GUMBO_TAG_BR;
      if (is("em")) return GUMBO_TAG_EM;
      if (is("li")) return GUMBO_TAG_LI;
      break;
    case 3:
      if (std::memcmp(lower, "img", 3) == 0) return GUMBO_TAG_IMG;
      if (std::memcmp(lower, "div", 3) == 0) return GUMBO_TAG_DIV;
      break;
    case 4:
      if (std::memcmp(lower, "span", 4) == 0) return GUMBO_TAG_SPAN;
      break;
    case 6:
      if (std::memcmp(lower, "strong", 6) == 0) return GUMBO_TAG_STRONG;
      break;
    default: break;
  }
  return gumbo_tagn_enum(lower, static_cast<unsigned>(length));
}

// The common case without gumbo: text, ordinary tags with well-formed attributes, tables that
// TableTracker accepts, simple comments, numeric references and HTML 4's named ones. Anything
// else returns nullopt and gumbo decides. Where this one answers, its characters are gumbo's; only
// the spacing may differ (a stray end tag of a block element, which gumbo ignores, still separates
// here; <pre> collapses). The fuzz target checks exactly that.
std::optional<std::string> SimpleHtmlToText(std::string_view html) {
  TextBuilder builder;
  builder.Reserve(html.size());  // the text is at most about the markup's size
  TableTracker tables;
  std::size_t text_start = 0;
  std::size_t i = 0;
  std::string decoded;
  // False when the text may not stay where it is (inside a table, outside its cells).
  const auto flush_text = [&](std::size_t end) {
    if (end <= text_start) return true;
    const std::string_view text = html.substr(text_start, end - text_start);
    if (!tables.TextAllowed(text)) return false;
    builder.AppendText(text, false);
    return true;
  };
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      if (!flush_text(i) || !tables.TextAllowed("&")) return std::nullopt;
      std::size_t j = i + 1;
      decoded.clear();
      if (j < html.size() && html[j] == '#') {
        ++j;
        const bool hex = j < html.size() && (html[j] == 'x' || html[j] == 'X');
        if (hex) ++j;
        char32_t value = 0;
        std::size_t digits = 0;
        while (j < html.size() && digits < 7) {
          const char d = html[j];
          int v = -1;
          if (d >= '0' && d <= '9')
            v = d - '0';
          else if (hex && d >= 'a' && d <= 'f')
            v = d - 'a' + 10;
          else if (hex && d >= 'A' && d <= 'F')
            v = d - 'A' + 10;
          if (v < 0) break;
          value = value * (hex ? 16 : 10) + static_cast<char32_t>(v);
          ++digits;
          ++j;
        }
        // HTML5 reads windows-1252's punctuation for the C1 range (&#146; is U+2019).
        if (value >= 0x80 && value <= 0x9F && kWindows1252[value - 0x80] != 0) {
          value = kWindows1252[value - 0x80];
        }
        const bool plain = (value >= 0x20 && value < 0x7F) || (value >= 0xA0 && value < 0xD800) ||
                           (value >= 0xE000 && value < 0xFDD0) ||
                           (value > 0xFDEF && value < 0xFFFE) ||
                           (value >= 0x10000 && value <= 0x10FFFF && (value & 0xFFFE) != 0xFFFE);
        if (digits == 0 || !plain) return std::nullopt;
        // Without its ';' a reference still counts where its digits end ("70&#39s" is "70's");
        // more digits than were read are gumbo's.
        if (j < html.size() && html[j] != ';') {
          const char d = html[j];
          if ((d >= '0' && d <= '9') ||
              (hex && ((d >= 'a' && d <= 'f') || (d >= 'A' && d <= 'F')))) {
            return std::nullopt;
          }
        }
        AppendUtf8(decoded, value);
        i = (j < html.size() && html[j] == ';') ? j + 1 : j;
      } else if (j < html.size() && (IsAsciiAlpha(html[j]) || (html[j] >= '0' && html[j] <= '9'))) {
        // A name and its ';' (longer names than HTML 4's are left to gumbo), or a legacy name
        // without one.
        std::size_t end = j;
        while (end < html.size() && end - j <= kLongestReferenceName &&
               (IsAsciiAlpha(html[end]) || (html[end] >= '0' && html[end] <= '9'))) {
          ++end;
        }
        if (end >= html.size() || html[end] != ';') {
          const std::string_view name = html.substr(j, end - j);
          if (const NamedReference* legacy = LongestLegacyReference(name)) {
            builder.AppendText(legacy->text, false);
            i = j + legacy->name.size();
          } else if (StartsWithUpperCaseLegacy(name)) {
            return std::nullopt;
          } else {
            builder.AppendText("&", false);  // no reference ("?a=1&b=2"): the '&' is text
            i = j;
          }
          text_start = i;
          continue;
        }
        const std::string_view name = html.substr(j, end - j);
        const auto* found = std::lower_bound(
            std::begin(kNamedReferences), std::end(kNamedReferences), name,
            [](const NamedReference& named, std::string_view key) { return named.name < key; });
        if (found == std::end(kNamedReferences) || found->name != name) return std::nullopt;
        decoded.assign(found->text);
        i = end + 1;
      } else {
        decoded.push_back('&');  // a bare ampersand is text
        i = j;
      }
      builder.AppendText(decoded, false);
      text_start = i;
      continue;
    }
    if (c != '<') {
      i = byte_scan::SkipWithout(html, i + 1, '&', '<');
      continue;
    }
    // '<': a tag, a comment, or text.
    if (i + 1 >= html.size()) return std::nullopt;
    const char next = html[i + 1];
    if (next == '!') {
      if (html.compare(i, 4, "<!--") != 0) return std::nullopt;
      const std::size_t body = i + 4;
      if (html.compare(body, 1, ">") == 0 || html.compare(body, 2, "->") == 0) return std::nullopt;
      const std::size_t end = html.find("-->", body);
      if (end == std::string_view::npos) return std::nullopt;
      const std::string_view comment = html.substr(body, end - body);
      if (comment.find("--!") != std::string_view::npos || comment.ends_with("-")) {
        return std::nullopt;
      }
      if (!flush_text(i)) return std::nullopt;
      i = end + 3;
      text_start = i;
      continue;
    }
    const bool end_tag = next == '/';
    std::size_t j = i + (end_tag ? 2 : 1);
    if (j >= html.size() || !IsAsciiAlpha(html[j])) {
      if (end_tag || next == '?') return std::nullopt;
      ++i;  // "<" before anything but a letter, '/', '!' or '?' is text
      continue;
    }
    if (!flush_text(i)) return std::nullopt;
    const std::size_t name_start = j;
    while (j < html.size() && !IsHtmlSpace(html[j]) && html[j] != '/' && html[j] != '>') {
      if (html[j] == '<' || html[j] == '\0' || html[j] == '"' || html[j] == '\'')
        return std::nullopt;
      ++j;
    }
    const std::string_view name = html.substr(name_start, j - name_start);
    if (name.size() > 16) return std::nullopt;
    char lower[17];
    for (std::size_t k = 0; k < name.size(); ++k) {
      lower[k] = (name[k] >= 'A' && name[k] <= 'Z') ? static_cast<char>(name[k] + 32) : name[k];
    }
    const GumboTag tag = TagEnum(lower, name.size());
    const bool raw_text = !end_tag && (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE);
    if (NeedsTreeBuilder(tag) && !(raw_text && !tables.InTable())) return std::nullopt;
    // Attributes: names, then optional values, quoted or not, up to the closing '>'.
    while (true) {
      while (j < html.size() && (IsHtmlSpace(html[j]) || html[j] == '/')) ++j;
      if (j >= html.size()) return std::nullopt;
      if (html[j] == '>') break;
      if (end_tag) return std::nullopt;  // attributes on an end tag: leave it to gumbo
      if (html[j] == '=') return std::nullopt;
      while (j < html.size() && !IsHtmlSpace(html[j]) && html[j] != '/' && html[j] != '>' &&
             html[j] != '=') {
        if (html[j] == '"' || html[j] == '\'' || html[j] == '<' || html[j] == '\0') {
          return std::nullopt;
        }
        ++j;
      }
      while (j < html.size() && IsHtmlSpace(html[j])) ++j;
      if (j < html.size() && html[j] == '=') {
        ++j;
        while (j < html.size() && IsHtmlSpace(html[j])) ++j;
        if (j >= html.size()) return std::nullopt;
        if (html[j] == '"' || html[j] == '\'') {
          const std::size_t close = html.find(html[j], j + 1);
          if (close == std::string_view::npos) return std::nullopt;
          j = close + 1;
          if (j < html.size() && !IsHtmlSpace(html[j]) && html[j] != '/' && html[j] != '>') {
            return std::nullopt;
          }
        } else {
          if (html[j] == '>') return std::nullopt;
          while (j < html.size() && !IsHtmlSpace(html[j]) && html[j] != '>') {
            if (html[j] == '\0') return std::nullopt;
            ++j;
          }
        }
      }
    }
    if (raw_text) {
      // Script and style outside tables: their text is invisible, and it ends at the first
      // "</script" or "</style" followed by white space, '/' or '>', unless a script holds
      // "<!--" (HTML's escaped script states, where "<script" nests: gumbo's job). The end tag
      // must be plain ("</script>", white space allowed before the '>').
      const std::size_t end = RawTextEnd(html, j + 1, name.size(), lower);
      if (end == std::string_view::npos) return std::nullopt;
      if (tag == GUMBO_TAG_SCRIPT &&
          html.substr(j + 1, end - (j + 1)).find("<!--") != std::string_view::npos) {
        return std::nullopt;
      }
      std::size_t k = end + 2 + name.size();
      while (k < html.size() && IsHtmlSpace(html[k])) ++k;
      if (k >= html.size() || html[k] != '>') return std::nullopt;
      i = k + 1;
      text_start = i;
      continue;
    }
    if (!tables.Tag(tag, name, end_tag, builder)) return std::nullopt;
    builder.RequestBreak(BreakFor(tag));
    i = j + 1;
    text_start = i;
  }
  if (!flush_text(html.size())) return std::nullopt;
  return builder.Take();
}

// Characters that are not text: C0 controls but white space, DEL, noncharacters. gumbo turns
// them into U+FFFD and the direct path would drop them, and a NUL could join the bytes around
// it into markup, so both paths read the input without them. C1 controls become the
// windows-1252 punctuation they stand for (feeds write &#146; for ’), as HTML5 does for
// references. Returns `html`, or `storage` holding the cleaned copy.
std::string_view WithoutControls(std::string_view html, std::string& storage) {
  const auto bad_at = [html](std::size_t i) -> int {  // bytes to replace at i, 0 if none
    const auto c = static_cast<unsigned char>(html[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F) return 1;
    if (i + 1 < html.size()) {
      const auto c1 = static_cast<unsigned char>(html[i + 1]);
      if (c == 0xC2 && c1 >= 0x80 && c1 <= 0x9F) return 2;
      if (i + 2 < html.size() && c == 0xEF) {
        const auto c2 = static_cast<unsigned char>(html[i + 2]);
        if ((c1 == 0xB7 && c2 >= 0x90 && c2 <= 0xAF) || (c1 == 0xBF && c2 >= 0xBE)) return 3;
      }
    }
    return 0;
  };
  // Only these bytes can start something to remove: look closer at them alone.
  const auto suspect = [](unsigned char c) {
    return c < 0x20 || c == 0x7F || c == 0xC2 || c == 0xEF;
  };
  // Sixteen or eight bytes at a time while none of them is suspect (most text has none at all).
  const auto skip_clean = [html](std::size_t i) {
#if defined(__SSE2__)
    while (i + 16 <= html.size()) {
      const __m128i bytes = byte_scan::Load16(html.data() + i);
      const unsigned hits = byte_scan::Mask(
          _mm_or_si128(_mm_or_si128(byte_scan::Less(bytes, 0x20), byte_scan::Equal(bytes, 0x7F)),
                       _mm_or_si128(byte_scan::Equal(bytes, 0xC2), byte_scan::Equal(bytes, 0xEF))));
      if (hits != 0) return i + static_cast<std::size_t>(std::countr_zero(hits));
      i += 16;
    }
#endif
    while (i + 8 <= html.size()) {
      const std::uint64_t word = byte_scan::Load(html.data() + i);
      if (byte_scan::HasLess(word, 0x20) | byte_scan::HasByte(word, 0x7F) |
          byte_scan::HasByte(word, 0xC2) | byte_scan::HasByte(word, 0xEF)) {
        break;
      }
      i += 8;
    }
    return i;
  };
  std::size_t first = skip_clean(0);
  while (first < html.size() &&
         (!suspect(static_cast<unsigned char>(html[first])) || bad_at(first) == 0)) {
    first = skip_clean(first + 1);
  }
  if (first == html.size()) return html;
  storage.assign(html.substr(0, first));
  for (std::size_t i = first; i < html.size();) {
    const int bad = bad_at(i);
    if (bad == 0) {
      storage.push_back(html[i++]);
      continue;
    }
    if (bad == 2) {
      const char16_t mapped = kWindows1252[static_cast<unsigned char>(html[i + 1]) - 0x80];
      if (mapped != 0) AppendUtf8(storage, mapped);
    }
    i += static_cast<std::size_t>(bad);
  }
  return storage;
}

// At most kMaxHtmlBytes, and no tag left half-written at the cut.
std::string_view Truncate(std::string_view html) {
  if (html.size() <= kMaxHtmlBytes) return html;
  html = html.substr(0, kMaxHtmlBytes);
  const std::size_t last_tag = html.rfind('<');
  const bool open =
      last_tag != std::string_view::npos && html.find('>', last_tag) == std::string_view::npos;
  return open ? html.substr(0, last_tag) : html;
}

// gumbo's work grows with the square of the nesting depth (it walks the stack of open elements
// for every tag), so 100,000 unclosed <div>s would take hours. Returns where to cut `html` so
// that the estimated depth (start tags minus end tags, void and self-closing-by-sibling
// elements not counted) stays under kMaxGumboDepth; the text after that is dropped.
std::size_t DepthBound(std::string_view html) {
  constexpr int kMaxGumboDepth = 2000;
  int depth = 0;
  for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    const bool end_tag = i + 1 < html.size() && html[i + 1] == '/';
    const std::size_t name_start = i + (end_tag ? 2 : 1);
    if (name_start >= html.size() || !IsAsciiAlpha(html[name_start])) continue;
    std::size_t name_end = name_start;
    while (name_end < html.size() && name_end - name_start < 16 &&
           (IsAsciiAlpha(html[name_end]) || (html[name_end] >= '0' && html[name_end] <= '9'))) {
      ++name_end;
    }
    char lower[17];
    const std::size_t length = name_end - name_start;
    for (std::size_t k = 0; k < length; ++k) {
      const char c = html[name_start + k];
      lower[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    switch (gumbo_tagn_enum(lower, static_cast<unsigned>(length))) {
      case GUMBO_TAG_AREA:
      case GUMBO_TAG_BASE:
      case GUMBO_TAG_BR:
      case GUMBO_TAG_COL:
      case GUMBO_TAG_EMBED:
      case GUMBO_TAG_HR:
      case GUMBO_TAG_IMG:
      case GUMBO_TAG_INPUT:
      case GUMBO_TAG_LINK:
      case GUMBO_TAG_META:
      case GUMBO_TAG_PARAM:
      case GUMBO_TAG_SOURCE:
      case GUMBO_TAG_TRACK:
      case GUMBO_TAG_WBR:
      case GUMBO_TAG_P:
      case GUMBO_TAG_LI:
      case GUMBO_TAG_DT:
      case GUMBO_TAG_DD:
      case GUMBO_TAG_OPTION:
      case GUMBO_TAG_TR:
      case GUMBO_TAG_TD:
      case GUMBO_TAG_TH: continue;
      default: break;
    }
    if (end_tag) {
      depth = std::max(0, depth - 1);
    } else if (++depth > kMaxGumboDepth) {
      return i;
    }
  }
  return html.size();
}

// gumbo's text of `html`, already cut to kMaxHtmlBytes and without controls.
std::string GumboText(std::string_view html) {
  html = html.substr(0, DepthBound(html));
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // we do not report HTML errors: do not collect them
  thread_local Arena arena;
  options.allocator = &Arena::Allocate;
  options.deallocator = &Arena::Deallocate;
  options.userdata = &arena;
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  std::string text = output != nullptr ? ExtractText(output->document) : CollapseSpace(html);
  arena.Reset();  // instead of gumbo_destroy_output: see Arena
  return text;
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  html = Truncate(html);
  std::string cleaned;
  html = WithoutControls(html, cleaned);
  if (html.find('<') == std::string_view::npos && !HasReference(html)) {
    TextBuilder builder;
    builder.Reserve(html.size());  // the text is the input, white space collapsed
    builder.AppendText(html, false);
    return builder.Take();
  }
  if (std::optional<std::string> simple = SimpleHtmlToText(html)) return std::move(*simple);
  // Cleaning the cleaned text again changes nothing (a removed control joins two whole
  // characters, which never make a C1 control or a noncharacter), but mapping C1 controls may
  // have grown it past the cut.
  return GumboText(Truncate(html));
}

std::string HtmlToTextWithGumbo(std::string_view html) {
  html = Truncate(html);
  std::string cleaned;
  return GumboText(WithoutControls(html, cleaned));
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
