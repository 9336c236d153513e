// `ais bucket ...`: create, list, remove buckets; show and set their properties.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "meta/bucket_props_edit.h"
#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

nlohmann::ordered_json propsJson(const meta::BucketProps& p) {
  return {{"checksum", p.checksumType},
          {"versioning", p.versioning},
          {"fsync", p.fsync},
          {"mirror", {{"enabled", p.mirrorCopies > 1}, {"copies", p.mirrorCopies}}},
          {"ec",
           {{"enabled", p.ec.enabled},
            {"data", p.ec.dataSlices},
            {"parity", p.ec.paritySlices},
            {"objsize_limit", p.ec.objSizeLimit}}},
          {"created", formatTime(p.createdNs)},
          {"s3",
           {{"owner", p.owner},
            {"acl", p.acl.empty() ? "private" : p.acl},
            {"versioning", p.objectVersioning.empty() ? "off" : p.objectVersioning}}}};
}

std::string onOff(bool b) { return b ? "true" : "false"; }

Status applyProp(meta::BucketProps& p, const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status(Code::kInvalidArgument, "expected key=value, got '" + kv + "'");
  }
  return meta::applyBucketProp(p, kv.substr(0, eq), kv.substr(eq + 1));
}

int createBuckets(Cli& cli, const std::vector<std::string>& args) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  int rc = kExitOk;
  for (const auto& arg : args) {
    auto uri = parseBucketUri(arg);
    Status st = uri.ok() ? (*client)->createBucket(uri->bucket) : uri.status();
    if (!st.ok()) {
      rc = fail(st);
      continue;
    }
    std::printf("Created bucket %s\n", uri->toString().c_str());
  }
  return rc;
}

int removeBuckets(Cli& cli, const std::vector<std::string>& args, bool force) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  int rc = kExitOk;
  for (const auto& arg : args) {
    auto uri = parseBucketUri(arg);
    Status st = uri.ok() ? (*client)->destroyBucket(uri->bucket, force) : uri.status();
    if (!st.ok()) {
      if (st.code() == Code::kBucketNotEmpty && st.message().find("--force") == std::string::npos) {
        st = Status(st.code(), (st.message().empty() ? uri->toString() : st.message()) +
                                   " (use --force to destroy it with its objects)");
      }
      rc = fail(st);
      continue;
    }
    std::printf("Removed bucket %s\n", uri->toString().c_str());
  }
  return rc;
}

// section: AIStore's `ais bucket props show ais://B mirror`: only the properties named so or
// under it ("mirror" shows mirror.enabled and mirror.copies); "" for all.
int showProps(Cli& cli, const std::string& arg, bool json, const std::string& section = "") {
  auto uri = parseBucketUri(arg);
  if (!uri.ok()) return fail(uri.status());
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto props = (*client)->bucketProps(uri->bucket);
  if (!props.ok()) return fail(props.status());
  auto wanted = [&](std::string_view name) {
    return section.empty() || name == section ||
           (name.starts_with(section) && name[section.size()] == '.');
  };
  if (json) {
    nlohmann::json all = propsJson(*props), out = nlohmann::json::object();
    for (auto& [k, v] : all.items()) {
      if (wanted(k)) out[k] = v;
      // (one property of a section: {"mirror": {"copies": 2}})
      if (!section.starts_with(k + ".") || !v.is_object()) continue;
      std::string leaf = section.substr(k.size() + 1);
      if (v.contains(leaf)) out[k][leaf] = v[leaf];
    }
    if (out.empty()) {
      return fail(Status(Code::kInvalidArgument, "no bucket property '" + section + "'"));
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  Table t({"PROPERTY", "VALUE"});
  t.addRow({"checksum", props->checksumType});
  t.addRow({"versioning", onOff(props->versioning)});
  t.addRow({"fsync", onOff(props->fsync)});
  t.addRow({"mirror.enabled", onOff(props->mirrorCopies > 1)});
  t.addRow({"mirror.copies", std::to_string(props->mirrorCopies)});
  t.addRow({"ec.enabled", onOff(props->ec.enabled)});
  t.addRow({"ec.data", std::to_string(props->ec.dataSlices)});
  t.addRow({"ec.parity", std::to_string(props->ec.paritySlices)});
  t.addRow({"ec.objsize_limit", std::to_string(props->ec.objSizeLimit)});
  t.addRow({"created", formatTime(props->createdNs)});
  t.addRow({"s3.owner", props->owner.empty() ? "-" : props->owner});
  t.addRow({"s3.acl", props->acl.empty() ? "private" : props->acl});
  t.addRow({"s3.versioning", props->objectVersioning.empty() ? "off" : props->objectVersioning});
  if (section.empty()) {
    std::fputs(t.render().c_str(), stdout);
    return kExitOk;
  }
  Table some({"PROPERTY", "VALUE"});
  for (const auto& row : t.rows()) {
    if (wanted(row[0])) some.addRow(row);
  }
  if (some.empty()) {
    return fail(Status(Code::kInvalidArgument, "no bucket property '" + section + "'"));
  }
  std::fputs(some.render().c_str(), stdout);
  return kExitOk;
}

int setProps(Cli& cli, const std::string& arg, const std::vector<std::string>& kvs) {
  auto uri = parseBucketUri(arg);
  if (!uri.ok()) return fail(uri.status());
  // Validate every key=value before touching the cluster.
  meta::BucketProps probe;
  for (const auto& kv : kvs) {
    if (auto st = applyProp(probe, kv); !st.ok()) return fail(st);
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto props = (*client)->bucketProps(uri->bucket);
  if (!props.ok()) return fail(props.status());
  meta::BucketProps updated = *props;
  for (const auto& kv : kvs) {
    if (auto st = applyProp(updated, kv); !st.ok()) return fail(st);
  }
  // Only over the props read above: a change made meanwhile (an S3 ACL, another `props set`) is
  // not silently undone.
  if (auto st = (*client)->setBucketProps(uri->bucket, updated, &*props); !st.ok()) {
    if (st.code() == Code::kVersionChanged) {
      return fail(Status(st.code(), st.message() + "; run the command again"));
    }
    return fail(st);
  }
  std::printf("Updated %s: %s\n", uri->toString().c_str(),
              fmt::format("{}", fmt::join(kvs, " ")).c_str());
  return kExitOk;
}

}  // namespace

int listBuckets(Cli& cli, bool json, bool noHeaders) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto buckets = (*client)->listBuckets();
  if (!buckets.ok()) return fail(buckets.status());
  if (json) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& b : *buckets) {
      out.push_back({{"name", b.name}, {"provider", "ais"}, {"props", propsJson(b.props)}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  Table t({"NAME", "CHECKSUM", "VERSIONING", "MIRROR", "EC", "CREATED"});
  for (const auto& b : *buckets) {
    const auto& p = b.props;
    t.addRow({"ais://" + b.name, p.checksumType, onOff(p.versioning),
              std::to_string(p.mirrorCopies),
              p.ec.enabled ? fmt::format("{}:{}", p.ec.dataSlices, p.ec.paritySlices) : "-",
              formatTime(p.createdNs)});
  }
  std::fputs(t.render(!noHeaders).c_str(), stdout);
  return kExitOk;
}

// `ais bucket summary [ais://B[/PREFIX]]`: objects and bytes per bucket, counted from a full
// listing (every target asked; a target that cannot be reached fails it rather than undercount).
int summarize(Cli& cli, const std::string& arg, bool json, bool noHeaders) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  std::vector<Uri> targets;
  if (arg.empty()) {
    auto buckets = (*client)->listBuckets();
    if (!buckets.ok()) return fail(buckets.status());
    for (const auto& b : *buckets) targets.push_back(Uri{b.name, ""});
  } else {
    auto uri = parseUri(arg);
    if (!uri.ok()) return fail(uri.status());
    targets.push_back(*uri);
  }
  auto out = nlohmann::ordered_json::array();
  Table t({"NAME", "OBJECTS", "SIZE", "BYTES"});
  for (const auto& u : targets) {
    ListOptions lo;
    lo.prefix = u.name;
    uint64_t objects = 0, bytes = 0;
    for (;;) {
      auto page = (*client)->list(u.bucket, lo);
      if (!page.ok()) return fail(page.status());
      for (const auto& e : page->entries) {
        ++objects;
        bytes += e.size;
      }
      if (page->continuationToken.empty()) break;
      lo.continuationToken = page->continuationToken;
    }
    out.push_back({{"name", u.toString()}, {"objects", objects}, {"bytes", bytes}});
    t.addRow({u.toString(), std::to_string(objects), humanSize(bytes), std::to_string(bytes)});
  }
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::fputs(t.render(!noHeaders).c_str(), stdout);
  }
  return kExitOk;
}

void addCreate(CLI::App& parent, Cli& cli, const std::string& name) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto* cmd = parent.add_subcommand(name, "Create buckets");
  cmd->add_option("BUCKET", *args, "ais://BUCKET ...")->required();
  cmd->callback([&cli, args] { cli.action = [&cli, args] { return createBuckets(cli, *args); }; });
}

void addRemove(CLI::App& parent, Cli& cli, const std::string& name) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* cmd = parent.add_subcommand(name, "Remove buckets (must be empty unless --force)");
  cmd->add_option("BUCKET", *args, "ais://BUCKET ...")->required();
  cmd->add_flag("--force,-f", *force, "Destroy non-empty buckets with all their objects");
  cmd->callback([&cli, args, force] {
    cli.action = [&cli, args, force] { return removeBuckets(cli, *args, *force); };
  });
  if (name == "rm") cmd->alias("destroy");
}

void addSummaryCommand(CLI::App& parent, Cli& cli) {
  auto json = std::make_shared<bool>(false), noHeaders = std::make_shared<bool>(false);
  auto arg = std::make_shared<std::string>();
  auto* sum =
      parent.add_subcommand("summary", "Objects and bytes per bucket (or of one, or a prefix)");
  sum->add_option("BUCKET", *arg, "ais://BUCKET[/PREFIX] (default: every bucket)");
  sum->add_flag("--json,-j", *json, "JSON output");
  sum->add_flag("--no-headers,-H", *noHeaders, "Table without headers");
  sum->callback([&cli, arg, json, noHeaders] {
    cli.action = [&cli, arg, json, noHeaders] { return summarize(cli, *arg, *json, *noHeaders); };
  });
}

void addBucketCommands(CLI::App& app, Cli& cli) {
  auto* bucket = app.add_subcommand("bucket", "Create, list, remove buckets; show/set properties");
  bucket->require_subcommand(1);
  addCreate(*bucket, cli, "create");
  addCreate(app, cli, "create");  // AIStore's `ais create`
  addRemove(*bucket, cli, "rm");
  addRemove(app, cli, "rmb");  // AIStore's `ais rmb`
  addSummaryCommand(*bucket, cli);
  {
    auto json = std::make_shared<bool>(false), noHeaders = std::make_shared<bool>(false);
    auto* cmd = bucket->add_subcommand("ls", "List buckets");
    cmd->alias("list");
    cmd->add_flag("--json,-j", *json, "JSON output");
    cmd->add_flag("--no-headers,-H", *noHeaders, "Table without headers");
    cmd->callback([&cli, json, noHeaders] {
      cli.action = [&cli, json, noHeaders] { return listBuckets(cli, *json, *noHeaders); };
    });
  }
  {
    auto arg = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto* props = bucket->add_subcommand("props", "Show bucket properties, or `props set`");
    props->add_option("BUCKET", *arg, "ais://BUCKET");
    props->add_flag("--json,-j", *json, "JSON output");

    auto setArg = std::make_shared<std::string>();
    auto kvs = std::make_shared<std::vector<std::string>>();
    auto* set = props->add_subcommand(
        "set", std::string("Set properties: key=value ... (keys: ") + meta::kBucketPropKeys + ")");
    set->add_option("BUCKET", *setArg, "ais://BUCKET")->required();
    set->add_option("KEY=VALUE", *kvs, "Properties to set")->required();
    set->callback([&cli, setArg, kvs] {
      cli.action = [&cli, setArg, kvs] { return setProps(cli, *setArg, *kvs); };
    });
    // AIStore's `ais bucket props show ais://B`.
    auto showArg = std::make_shared<std::string>();
    auto showSection = std::make_shared<std::string>();
    auto showJson = std::make_shared<bool>(false);
    auto* show = props->add_subcommand("show", "Show bucket properties (all, or one section)");
    show->add_option("BUCKET", *showArg, "ais://BUCKET")->required();
    show->add_option("PROPERTY", *showSection,
                     "only this property or section: checksum, versioning, fsync, mirror, ec, "
                     "created, s3, or one of theirs (mirror.copies)");
    show->add_flag("--json,-j", *showJson, "JSON output");
    show->callback([&cli, showArg, showSection, showJson] {
      cli.action = [&cli, showArg, showSection, showJson] {
        return showProps(cli, *showArg, *showJson, *showSection);
      };
    });

    // Children's callbacks run first: `props set|show` has already chosen its action.
    props->callback([&cli, props, set, show, arg, json] {
      if (set->parsed() || show->parsed()) return;
      if (arg->empty()) throw CLI::RequiredError("BUCKET");
      cli.action = [&cli, arg, json] { return showProps(cli, *arg, *json); };
    });
  }
}

}  // namespace ais::cli
