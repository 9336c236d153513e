// Client::listArchive: a shard's members, from the index its owner target keeps;
// Client::memberToRead: the member a read of one gets.
#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {

using namespace client_detail;

namespace {

Result<ArchiveListing> listingFromWire(capnp::Response<wire::Node::ListArchiveResults>& r) {
  Status s = toStatus(r.getStatus());
  if (!s.ok()) return s;
  ArchiveListing out;
  out.shard = proto::fromWire(r.getAttrs());
  out.format = proto::str(r.getFormat());
  for (auto m : r.getMembers()) {
    ArchiveMember a;
    a.name = proto::str(m.getName());
    a.offset = m.getOffset();
    a.size = m.getSize();
    a.mtimeSec = m.getMtimeSec();
    a.mode = m.getMode();
    a.type = static_cast<ArchiveMember::Type>(std::min<uint8_t>(m.getType(), 4));
    a.linkTarget = proto::str(m.getLinkTarget());
    out.members.push_back(std::move(a));
  }
  return out;
}

}  // namespace

const char* memberTypeName(ArchiveMember::Type t) {
  switch (t) {
    case ArchiveMember::Type::kFile:
      return "file";
    case ArchiveMember::Type::kDir:
      return "dir";
    case ArchiveMember::Type::kSymlink:
      return "symlink";
    case ArchiveMember::Type::kHardlink:
      return "hardlink";
    default:
      return "other";
  }
}

Result<ArchiveListing> Client::listArchive(const std::string& bucket, const std::string& name,
                                           const std::string& archpath,
                                           const std::string& archiveMime) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  std::set<std::string> silent;  // targets that did not answer an attempt
  return impl_->withRetry<ArchiveListing>(
      [&](const meta::Smap& smap) -> kj::Promise<Result<ArchiveListing>> {
        auto ask = [this, &smap, &bucket, &name, &archpath, &archiveMime](
                       const std::string& ep, bool localOnly, bool degraded) {
          auto req = impl_->pool_->get(ep).listArchiveRequest();
          impl_->fillRef(req.initRef(), smap, bucket, name);
          req.getRef().setLocalOnly(localOnly);
          req.getRef().setDegraded(degraded);
          req.setArchpath(archpath);
          if (!archiveMime.empty()) req.setArchiveMime(archiveMime);
          return impl_->guard<ArchiveListing>(
              ep, req.send().then(
                      [](auto&& r) -> Result<ArchiveListing> { return listingFromWire(r); }));
        };
        // The owner down in a bucket with EC: the target after it indexes a restored copy.
        auto route = impl_->putRoute(smap, bucket, name, silent);
        if (!route.ok()) return Result<ArchiveListing>(route.status());
        return Impl::noteSilent(ask(route->target->rpcEndpoint, false, route->degraded), silent,
                                route->target->id)
            .then([&smap, ask](Result<ArchiveListing> r) -> kj::Promise<Result<ArchiveListing>> {
              // A rebalance has not moved it to its owner yet: the holder's copy.
              if (r.code() != Code::kObjectMoved) return r;
              const meta::NodeInfo* holder = smap.find(r.status().message(), meta::Role::kTarget);
              if (!holder)
                return Result<ArchiveListing>(Status(Code::kStaleSmap, "unknown holder"));
              return ask(holder->rpcEndpoint, true, false);
            });
      });
}

Result<ArchiveListing> Client::memberToRead(const std::string& bucket, const std::string& name,
                                            const std::string& archpath,
                                            const std::string& archiveMime) {
  auto listing = listArchive(bucket, name, archpath, archiveMime);
  if (!listing.ok() || listing->members.at(0).type != ArchiveMember::Type::kHardlink) {
    return listing;
  }
  auto target = listArchive(bucket, name, listing->members.at(0).linkTarget, archiveMime);
  if (target.ok() && target->members.at(0).type == ArchiveMember::Type::kFile) return target;
  return listing;
}

}  // namespace ais
