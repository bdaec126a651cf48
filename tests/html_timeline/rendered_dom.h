// Reading the DOM headless Chromium prints (--dump-dom) for the timeline test: the elements
// the page marks with data-kind="...", their attributes, and their text.
#ifndef HEAPTWIN_TESTS_HTML_TIMELINE_RENDERED_DOM_H_
#define HEAPTWIN_TESTS_HTML_TIMELINE_RENDERED_DOM_H_

#include <map>
#include <string>
#include <vector>

namespace heaptwin::html_test {

struct DomElement {
  std::map<std::string, std::string> attrs;
  std::string inner;  // the markup up to the element's first `close` tag (see elements())

  std::string attr(const std::string& name) const {
    auto it = attrs.find(name);
    return it == attrs.end() ? "" : it->second;
  }
};

// &amp; &lt; &gt; &quot; &#39; &nbsp; decoded.
inline std::string decode_entities(const std::string& s) {
  static const std::vector<std::pair<std::string, std::string>> kEntities = {
      {"&lt;", "<"},  {"&gt;", ">"},   {"&quot;", "\""},
      {"&#39;", "'"}, {"&nbsp;", " "}, {"&amp;", "&"}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool matched = false;
    for (const auto& [entity, text] : kEntities) {
      if (s.compare(i, entity.size(), entity) == 0) {
        out += text;
        i += entity.size();
        matched = true;
        break;
      }
    }
    if (!matched) out += s[i++];
  }
  return out;
}

// The text of some markup: tags dropped, entities decoded.
inline std::string text_of(const std::string& markup) {
  std::string out;
  bool in_tag = false;
  for (char c : markup) {
    if (c == '<')
      in_tag = true;
    else if (c == '>')
      in_tag = false;
    else if (!in_tag)
      out += c;
  }
  return decode_entities(out);
}

// Every element with data-kind="KIND", in document order. `close` ("</span>") ends `inner`; the
// page never nests an element of the same tag inside these.
inline std::vector<DomElement> elements(const std::string& dom, const std::string& kind,
                                        const std::string& close) {
  std::vector<DomElement> out;
  const std::string needle = "data-kind=\"" + kind + "\"";
  for (size_t at = dom.find(needle); at != std::string::npos; at = dom.find(needle, at + 1)) {
    const size_t open = dom.rfind('<', at);
    DomElement e;
    size_t i = dom.find_first_of(" >", open);
    // Attributes: name="value", values with their quotes escaped as &quot; by the serializer.
    while (i < dom.size() && dom[i] != '>') {
      if (dom[i] == ' ') {
        ++i;
        continue;
      }
      const size_t name_end = dom.find_first_of("= >", i);
      const std::string name = dom.substr(i, name_end - i);
      if (dom[name_end] == '=' && dom[name_end + 1] == '"') {
        const size_t value_end = dom.find('"', name_end + 2);
        e.attrs[name] = decode_entities(dom.substr(name_end + 2, value_end - name_end - 2));
        i = value_end + 1;
      } else {
        e.attrs[name] = "";
        i = name_end;
      }
    }
    const size_t end = dom.find(close, i);
    e.inner = dom.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
    out.push_back(std::move(e));
  }
  return out;
}

// The text of each <div class="lk"> inside some markup: a bin entry's links.
inline std::vector<std::string> link_lines(const std::string& markup) {
  std::vector<std::string> out;
  const std::string open = "<div class=\"lk\">";
  for (size_t at = markup.find(open); at != std::string::npos; at = markup.find(open, at + 1)) {
    const size_t begin = at + open.size();
    out.push_back(text_of(markup.substr(begin, markup.find("</div>", begin) - begin)));
  }
  return out;
}

}  // namespace heaptwin::html_test

#endif  // HEAPTWIN_TESTS_HTML_TIMELINE_RENDERED_DOM_H_
