//===- ModelDescription.cpp - read and validate a model JSON ---------------===//

#include "Import/ModelDescription.h"
#include "Import/OpImportRule.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

namespace cnnc {
namespace {

using json = nlohmann::json;

std::string typeName(const json &v) { return v.type_name(); }

/// False for an unsigned JSON integer that an int64_t cannot hold (it would
/// otherwise wrap around to a negative value).
bool fitsInt64(const json &v) {
  return !v.is_number_unsigned() ||
         v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

/// Resolves one attribute value; returns an error message or "".
std::string parseAttr(const AttrSpec &spec, const json &v, AttrValue &out) {
  auto asInt = [](const json &x, int64_t &r) {
    if (!x.is_number_integer() || !fitsInt64(x))
      return false;
    r = x.get<int64_t>();
    return true;
  };
  if (!fitsInt64(v) || (v.is_array() && !std::all_of(v.begin(), v.end(), fitsInt64)))
    return "is out of the 64-bit integer range, got " + v.dump();
  switch (spec.kind) {
  case AttrKind::Int: {
    int64_t r;
    if (!asInt(v, r))
      return "must be an integer, got " + typeName(v) + " " + v.dump();
    out.ints = {r};
    return "";
  }
  case AttrKind::Ints:
  case AttrKind::Pair:
  case AttrKind::Padding: {
    std::vector<int64_t> vals;
    if (v.is_array()) {
      for (const auto &x : v) {
        int64_t r;
        if (!asInt(x, r))
          return "must hold integers, got " + v.dump();
        vals.push_back(r);
      }
    } else {
      int64_t r;
      if (!asInt(v, r))
        return std::string("must be an integer or a list of integers, got ") + v.dump();
      vals = {r};
    }
    if (spec.kind == AttrKind::Ints) {
      // Any length, as written.
    } else if (spec.kind == AttrKind::Pair) {
      if (vals.size() == 1)
        vals = {vals[0], vals[0]};
      if (vals.size() != 2)
        return "must be an integer or [h, w], got " + v.dump();
    } else {
      if (vals.size() == 1)
        vals = {vals[0], vals[0], vals[0], vals[0]};
      else if (vals.size() == 2)
        vals = {vals[0], vals[1], vals[0], vals[1]};
      if (vals.size() != 4)
        return "must be an integer, [ph, pw] or [top, left, bottom, right], got " + v.dump();
    }
    out.ints = vals;
    return "";
  }
  case AttrKind::Bool:
    if (!v.is_boolean())
      return "must be true or false, got " + v.dump();
    out.flag = v.get<bool>();
    return "";
  case AttrKind::String: {
    if (!v.is_string())
      return "must be a string, got " + v.dump();
    out.text = v.get<std::string>();
    if (!spec.choices.empty() &&
        std::find(spec.choices.begin(), spec.choices.end(), out.text) == spec.choices.end()) {
      std::string allowed;
      for (const auto &c : spec.choices)
        allowed += (allowed.empty() ? "\"" : ", \"") + c + "\"";
      return "must be one of " + allowed + ", got " + v.dump();
    }
    return "";
  }
  case AttrKind::Float:
    if (!v.is_number())
      return "must be a number, got " + v.dump();
    out.number = v.get<double>();
    if (!std::isfinite(out.number))
      return "must be finite";
    return "";
  }
  return "";
}

/// Line and column of a byte offset, for JSON syntax errors.
std::pair<size_t, size_t> lineColumn(const std::string &text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

bool readShape(const json &v, std::vector<int64_t> &shape) {
  if (!v.is_array() || v.empty())
    return false;
  for (const auto &d : v) {
    if (!d.is_number_integer())
      return false;
    // Too large for int64_t: keep it too large (the range check reports it).
    shape.push_back(fitsInt64(d) ? d.get<int64_t>() : std::numeric_limits<int64_t>::max());
  }
  return true;
}

constexpr int kMaxJsonDepth = 256;

/// Thrown by the parser callback at the first level nested too deep.
struct TooDeep {};

/// `text` with bytes that are not printable ASCII written as \xNN: parser
/// messages quote what they last read, which may be binary or not UTF-8.
std::string printable(const std::string &text) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

constexpr int64_t kMaxDim = int64_t(1) << 31;
constexpr int64_t kMaxElements = int64_t(1) << 40; // as the importer's output check

std::string formatNumber(double v) { return json(v).dump(); }

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Reports every cycle among the nodes Kahn's algorithm could not order
/// (`pending` > 0). Those nodes are either on a cycle or downstream of one;
/// each strongly connected component of them with several nodes holds a
/// cycle, reported once, at its first node in file order, as the shortest
/// cycle through that node. Nodes merely downstream are not reported.
void reportCycles(const std::vector<NodeDesc> &nodes,
                  const std::vector<std::vector<size_t>> &users,
                  const std::vector<int> &pending, ErrorList &errors) {
  size_t n = nodes.size();
  constexpr size_t kNone = ~size_t(0);
  std::vector<size_t> index(n, kNone), low(n, 0), component(n, kNone);
  std::vector<bool> onStack(n, false);
  std::vector<size_t> stack;
  std::vector<std::vector<size_t>> components;
  size_t counter = 0;
  // Iterative Tarjan (a model may have many nodes; no deep recursion).
  for (size_t root = 0; root < n; ++root) {
    if (pending[root] == 0 || index[root] != kNone)
      continue;
    std::vector<std::pair<size_t, size_t>> work{{root, 0}};
    index[root] = low[root] = counter++;
    stack.push_back(root);
    onStack[root] = true;
    while (!work.empty()) {
      size_t v = work.back().first;
      if (work.back().second < users[v].size()) {
        size_t w = users[v][work.back().second++];
        if (pending[w] == 0)
          continue;
        if (index[w] == kNone) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          onStack[w] = true;
          work.push_back({w, 0});
        } else if (onStack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        std::vector<size_t> comp;
        size_t w;
        do {
          w = stack.back();
          stack.pop_back();
          onStack[w] = false;
          component[w] = components.size();
          comp.push_back(w);
        } while (w != v);
        components.push_back(std::move(comp));
      }
      work.pop_back();
      if (!work.empty())
        low[work.back().first] = std::min(low[work.back().first], low[v]);
    }
  }
  // One report per cycle, in file order of their first nodes.
  std::vector<size_t> starts;
  for (const auto &comp : components)
    if (comp.size() >= 2) // a single node is downstream of a cycle, not on one
      starts.push_back(*std::min_element(comp.begin(), comp.end()));
  std::sort(starts.begin(), starts.end());
  for (size_t start : starts) {
    // Breadth-first search inside the component, back to `start`.
    std::vector<size_t> parent(n, kNone);
    std::vector<size_t> queue{start};
    size_t last = kNone;
    for (size_t q = 0; q < queue.size() && last == kNone; ++q)
      for (size_t w : users[queue[q]]) {
        if (component[w] != component[start])
          continue;
        if (w == start) {
          last = queue[q];
          break;
        }
        if (parent[w] == kNone) {
          parent[w] = queue[q];
          queue.push_back(w);
        }
      }
    std::vector<size_t> path;
    for (size_t v = last; v != kNone && v != start; v = parent[v])
      path.push_back(v);
    std::string text = nodes[start].name;
    for (auto it = path.rbegin(); it != path.rend(); ++it)
      text += " -> " + nodes[*it].name;
    text += " -> " + nodes[start].name;
    errors.addNode(nodes[start].name, nodes[start].op, "is on a cycle: " + text);
  }
}

/// The attributes' ranges (AttrRange). Counts (Int) are checked even as
/// defaults; other kinds only as written in the file: defaults are valid, and
/// a value taken from another attribute is checked as that one.
template <typename ErrorFn>
void checkRanges(const OpImportRule &rule, const json &given, const NodeDesc &node,
                 ErrorFn &&nodeErr) {
  for (const auto &a : rule.attrs) {
    if (a.range == AttrRange::Any)
      continue;
    std::string prefix = std::string("attribute '") + a.name + "' ";
    const AttrValue &v = node.attrs.at(a.name);
    switch (a.kind) {
    case AttrKind::Int: {
      int64_t x = v.ints.at(0);
      if ((a.range == AttrRange::Positive && x <= 0) ||
          (a.range == AttrRange::NonNegative && x < 0))
        nodeErr(prefix + (a.range == AttrRange::Positive ? "must be positive" : "must be non-negative") +
                ", got " + std::to_string(x));
      else if (x > kMaxDim)
        nodeErr(prefix + "is absurdly large (more than 2^31), got " + std::to_string(x));
      break;
    }
    case AttrKind::Pair:
    case AttrKind::Padding:
    case AttrKind::Ints:
      if (!given.contains(a.name))
        break;
      for (int64_t x : v.ints) {
        if (a.range == AttrRange::Positive && x <= 0) {
          nodeErr(prefix + "must be positive, got " + given.at(a.name).dump());
          break;
        }
        if (a.range == AttrRange::NonNegative && x < 0) {
          nodeErr(prefix + "must be non-negative, got " + given.at(a.name).dump());
          break;
        }
        if (x > kMaxDim) {
          nodeErr(prefix + "is absurdly large (more than 2^31), got " + given.at(a.name).dump());
          break;
        }
      }
      break;
    case AttrKind::Float:
      if (a.range == AttrRange::NonNegative && v.number < 0)
        nodeErr(prefix + "must be non-negative, got " + formatNumber(v.number));
      else if (a.range == AttrRange::Probability && !(v.number >= 0 && v.number < 1))
        nodeErr(prefix + "must be in [0, 1), got " + formatNumber(v.number));
      else if (a.range == AttrRange::Positive && !(v.number > 0))
        nodeErr(prefix + "must be positive, got " + formatNumber(v.number));
      break;
    case AttrKind::Bool:
    case AttrKind::String:
      break;
    }
  }
}

} // namespace

const std::vector<std::string> &knownOps() {
  static std::vector<std::string> ops = [] {
    std::vector<std::string> v;
    for (const auto &r : importRules())
      v.push_back(r.name);
    return v;
  }();
  return ops;
}

std::vector<std::string> parameterRoles(const NodeDesc &node) {
  std::vector<std::string> names;
  if (node.rule && node.rule->params)
    for (const auto &role : node.rule->params(node))
      names.push_back(role.name);
  return names;
}

std::optional<std::string> readModelFile(const std::string &path, ErrorList &errors) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    errors.add("no such file");
    return std::nullopt;
  }
  if (fs::is_directory(path, ec)) {
    errors.add("is a directory, not a model file");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.add("cannot open");
    return std::nullopt;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    errors.add("cannot read");
    return std::nullopt;
  }
  return buf.str();
}

std::optional<json> parseModelJson(const std::string &path, ErrorList &errors) {
  std::optional<std::string> file = readModelFile(path, errors);
  if (!file)
    return std::nullopt;
  const std::string &text = *file;
  json root;
  try {
    // Stops at the first level too deep: the parser itself would go on
    // through the whole nesting (and report an unclosed one as a syntax error).
    root = json::parse(text, [&](int depth, json::parse_event_t, json &) {
      if (depth > kMaxJsonDepth)
        throw TooDeep();
      return true;
    });
  } catch (const TooDeep &) {
    errors.add("JSON is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
    return std::nullopt;
  } catch (const json::parse_error &e) {
    auto [line, col] = lineColumn(text, e.byte ? e.byte - 1 : 0);
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 1, column 2: ".
    size_t colon = what.find(": ");
    if (colon != std::string::npos)
      what = what.substr(colon + 2);
    errors.add(std::to_string(line) + ":" + std::to_string(col) +
               ": JSON syntax error: " + printable(what));
    return std::nullopt;
  } catch (const json::exception &e) {
    // E.g. "[json.exception.out_of_range.406] number overflow parsing '1e400'":
    // no byte offset, so locate the quoted token in the text for line:column.
    std::string what = e.what();
    if (!what.empty() && what[0] == '[' && what.find("] ") != std::string::npos)
      what = what.substr(what.find("] ") + 2);
    std::string where;
    size_t open = what.find(" '");
    size_t close = what.rfind('\'');
    if (open != std::string::npos && close > open + 2) {
      size_t at = text.find(what.substr(open + 2, close - open - 2));
      if (at != std::string::npos) {
        auto [line, col] = lineColumn(text, at);
        where = std::to_string(line) + ":" + std::to_string(col) + ": ";
      }
    }
    errors.add(where + "invalid JSON: " + printable(what));
    return std::nullopt;
  }
  return root;
}

std::optional<NodeDesc> describeNode(const json &n, size_t index, ErrorList &errors,
                                     std::set<std::string> *names) {
  if (!n.is_object() || !n.contains("name") || !n["name"].is_string() ||
      n["name"].get<std::string>().empty()) {
    errors.add("node #" + std::to_string(index) + " needs a non-empty \"name\" string");
    return std::nullopt;
  }
  NodeDesc node;
  node.index = index;
  node.name = n["name"].get<std::string>();
  if (!n.contains("op") || !n["op"].is_string()) {
    errors.addNode(node.name, "", "needs an \"op\" string");
    return std::nullopt;
  }
  node.op = n["op"].get<std::string>();
  bool ok = true;
  auto nodeErr = [&](const std::string &msg) {
    errors.addNode(node.name, node.op, msg);
    ok = false;
  };
  if (names && !names->insert(node.name).second)
    nodeErr("duplicate name '" + node.name + "'");
  for (auto it = n.begin(); it != n.end(); ++it)
    if (it.key() != "name" && it.key() != "op" && it.key() != "inputs" &&
        it.key() != "attrs" && it.key() != "params")
      errors.addNode(node.name, node.op, "unknown key '" + it.key() + "'");
  const OpImportRule *rule = findImportRule(node.op);
  if (!rule) {
    nodeErr("unknown op '" + node.op + "'");
    return std::nullopt;
  }
  node.rule = rule;
  if (!n.contains("inputs") || !n["inputs"].is_array()) {
    nodeErr("\"inputs\" must be a list of names");
  } else {
    for (const auto &i : n["inputs"]) {
      if (!i.is_string()) {
        nodeErr("\"inputs\" must hold names, got " + i.dump());
        continue;
      }
      node.inputs.push_back(i.get<std::string>());
    }
    int count = (int)n["inputs"].size();
    if (count < rule->minInputs || (rule->maxInputs >= 0 && count > rule->maxInputs)) {
      std::string want = rule->maxInputs < 0 ? "at least " + std::to_string(rule->minInputs)
                         : rule->minInputs == rule->maxInputs
                             ? std::to_string(rule->minInputs)
                             : std::to_string(rule->minInputs) + " to " +
                                   std::to_string(rule->maxInputs);
      nodeErr("takes " + want + " input(s), got " + std::to_string(count));
    }
  }
  json attrs = n.contains("attrs") ? n["attrs"] : json::object();
  if (!attrs.is_object()) {
    nodeErr("\"attrs\" must be an object");
    attrs = json::object();
  }
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    bool known = false;
    for (const auto &a : rule->attrs)
      known |= it.key() == a.name;
    if (!known)
      // Reported, but the node is kept: its shape is still known, so
      // the problems of the nodes after it are reported too.
      errors.addNode(node.name, node.op, "unknown attribute '" + it.key() + "'");
  }
  for (const auto &a : rule->attrs) {
    AttrValue v;
    if (attrs.contains(a.name)) {
      std::string e = parseAttr(a, attrs[a.name], v);
      if (!e.empty()) {
        nodeErr("attribute '" + std::string(a.name) + "' " + e);
        continue;
      }
    } else if (a.required) {
      nodeErr("missing required attribute '" + std::string(a.name) + "'");
      continue;
    } else {
      v.ints = a.defInts;
      v.number = a.defNumber;
      v.flag = a.defFlag;
      v.text = a.choices.empty() ? std::string() : a.choices.front();
    }
    node.attrs[a.name] = v;
  }
  if (!ok)
    return std::nullopt;
  for (const auto &a : rule->attrs)
    if (a.defaultFrom && !attrs.contains(a.name))
      node.attrs[a.name] = node.attrs.at(a.defaultFrom);
  checkRanges(*rule, attrs, node, nodeErr);
  // Parameter renaming.
  if (n.contains("params")) {
    if (!n["params"].is_object()) {
      nodeErr("\"params\" must map roles to tensor names");
    } else {
      std::vector<std::string> roles = parameterRoles(node);
      for (auto it = n["params"].begin(); it != n["params"].end(); ++it) {
        if (std::find(roles.begin(), roles.end(), it.key()) == roles.end()) {
          nodeErr("\"params\" names unknown role '" + it.key() + "'");
        } else if (!it.value().is_string()) {
          nodeErr("\"params\"." + it.key() + " must be a tensor name");
        } else {
          node.params[it.key()] = it.value().get<std::string>();
        }
      }
    }
  }
  for (const auto &role : parameterRoles(node))
    if (!node.params.count(role))
      node.params[role] = node.name + "." + role;
  if (!ok)
    return std::nullopt;
  return node;
}

std::optional<ModelDescription> describeModel(json root, const std::string &path,
                                              std::optional<int64_t> batch,
                                              ErrorList &errors) {
  namespace fs = std::filesystem;

  if (!root.is_object()) {
    errors.add("the model must be a JSON object, got " + typeName(root));
    return std::nullopt;
  }

  ModelDescription model;
  model.path = path;
  static const std::set<std::string> topKeys = {"format", "version", "name", "weights",
                                                "inputs", "outputs", "nodes", "training"};
  for (auto it = root.begin(); it != root.end(); ++it)
    if (!topKeys.count(it.key()))
      errors.add("unknown top-level key '" + it.key() + "'");

  if (!root.contains("format") || root["format"] != "cnnc-model")
    errors.add("\"format\" must be \"cnnc-model\"" +
               (root.contains("format") ? ", got " + root["format"].dump()
                                        : std::string(" (missing)")));
  if (!root.contains("version"))
    errors.add("\"version\" is missing (this cnnc reads version 1)");
  else if (!root["version"].is_number_integer() || root["version"].get<int64_t>() != 1)
    errors.add("unsupported \"version\" " + root["version"].dump() +
               "; this cnnc reads version 1");

  if (root.contains("name")) {
    if (root["name"].is_string())
      model.name = root["name"].get<std::string>();
    else
      errors.add("\"name\" must be a string");
  }
  if (model.name.empty())
    model.name = fs::path(path).stem().string();

  if (root.contains("weights")) {
    if (!root["weights"].is_string() || root["weights"].get<std::string>().empty()) {
      errors.add("\"weights\" must be a non-empty string path, got " + root["weights"].dump());
    } else {
      fs::path w = root["weights"].get<std::string>();
      if (w.is_relative())
        w = fs::path(path).parent_path() / w;
      model.weights = w.string();
    }
  }
  if (root.contains("training")) {
    if (root["training"].is_object())
      model.training = root["training"];
    else
      errors.add("\"training\" must be an object");
  }

  std::set<std::string> names;
  // Inputs.
  if (!root.contains("inputs") || !root["inputs"].is_array() || root["inputs"].empty()) {
    errors.add("\"inputs\" must be a non-empty list");
  } else {
    for (const auto &inp : root["inputs"]) {
      if (!inp.is_object() || !inp.contains("name") || !inp["name"].is_string() ||
          inp["name"].get<std::string>().empty()) {
        errors.add("each input needs a non-empty \"name\" string, got " + inp.dump());
        continue;
      }
      InputDesc d;
      d.name = inp["name"].get<std::string>();
      std::string where = "input '" + d.name + "': ";
      for (auto it = inp.begin(); it != inp.end(); ++it)
        if (it.key() != "name" && it.key() != "shape" && it.key() != "dtype")
          errors.add(where + "unknown key '" + it.key() + "'");
      if (inp.contains("dtype") && inp["dtype"] != "f32")
        errors.add(where + "dtype " + inp["dtype"].dump() + " is not supported (only \"f32\")");
      if (!inp.contains("shape") || !readShape(inp["shape"], d.shape)) {
        errors.add(where + "\"shape\" must be a non-empty list of integers");
        continue;
      }
      if (batch)
        d.shape[0] = *batch;
      bool ok = true;
      for (int64_t dim : d.shape)
        if (dim <= 0 || dim > kMaxDim) {
          errors.add(where + "dimensions must be in [1, 2^31], got " +
                     (batch ? shapeText(d.shape) + " (with --batch=" + std::to_string(*batch) + ")"
                            : inp["shape"].dump()));
          ok = false;
          break;
        }
      if (ok) {
        int64_t count = 1;
        for (int64_t dim : d.shape)
          if (__builtin_mul_overflow(count, dim, &count) || count > kMaxElements) {
            errors.add(where + "shape " + shapeText(d.shape) +
                       " is absurdly large (more than 2^40 elements)");
            ok = false;
            break;
          }
      }
      if (!names.insert(d.name).second)
        errors.add(where + "duplicate name");
      if (ok)
        model.inputs.push_back(d);
    }
  }

  // Nodes.
  std::vector<NodeDesc> nodes;
  if (!root.contains("nodes") || !root["nodes"].is_array()) {
    errors.add("\"nodes\" must be a list");
  } else {
    size_t index = 0;
    for (const auto &n : root["nodes"])
      if (auto node = describeNode(n, ++index, errors, &names))
        nodes.push_back(std::move(*node));
  }

  // Outputs.
  if (!root.contains("outputs") || !root["outputs"].is_array() || root["outputs"].empty()) {
    errors.add("\"outputs\" must be a non-empty list of node names");
  } else {
    for (const auto &o : root["outputs"]) {
      if (!o.is_string()) {
        errors.add("\"outputs\" must hold node names, got " + o.dump());
        continue;
      }
      std::string name = o.get<std::string>();
      if (!names.count(name))
        errors.add("output '" + name + "' is not an input or node");
      else if (std::find(model.outputs.begin(), model.outputs.end(), name) !=
               model.outputs.end())
        errors.add("output '" + name + "' is listed twice");
      model.outputs.push_back(name);
    }
  }

  // Topological order (Kahn), keeping file order among ready nodes.
  std::map<std::string, size_t> byName;
  for (size_t i = 0; i < nodes.size(); ++i)
    byName[nodes[i].name] = i;
  std::set<std::string> inputNames;
  for (const auto &i : model.inputs)
    inputNames.insert(i.name);
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<size_t>> users(nodes.size());
  std::vector<bool> broken(nodes.size(), false);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const auto &in : nodes[i].inputs) {
      if (in == nodes[i].name) {
        errors.addNode(nodes[i].name, nodes[i].op, "uses its own output (cycle)");
        broken[i] = true;
      } else if (byName.count(in)) {
        ++pending[i];
        users[byName[in]].push_back(i);
      } else if (!inputNames.count(in)) {
        // A name that exists but was dropped (a bad input or node) is already reported.
        if (!names.count(in))
          errors.addNode(nodes[i].name, nodes[i].op, "input '" + in + "' is not defined");
        broken[i] = true;
      }
    }
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (pending[i] == 0)
      ready.insert(i);
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (size_t u : users[i])
      if (--pending[u] == 0)
        ready.insert(u);
  }
  if (order.size() != nodes.size())
    reportCycles(nodes, users, pending, errors);
  for (size_t i : order)
    if (!broken[i])
      model.nodes.push_back(nodes[i]);

  // Returned even with errors: the importer still checks the shapes of the
  // well-formed nodes so that one run reports every problem.
  return model;
}

std::optional<ModelDescription> readModelDescription(const std::string &path,
                                                     std::optional<int64_t> batch,
                                                     ErrorList &errors) {
  std::optional<json> root = parseModelJson(path, errors);
  if (!root)
    return std::nullopt;
  return describeModel(*root, path, batch, errors);
}

} // namespace cnnc
