# Wire and on-disk form of the cluster metadata. Never renumber or reuse an ordinal.
@0xf73dd3bdff37b655;

$import "/capnp/c++.capnp".namespace("ais::meta::wire");

enum Role { proxy @0; target @1; }

struct NodeInfo {
  id @0 :Text;
  role @1 :Role;
  rpcEndpoint @2 :Text;
  httpEndpoint @3 :Text;
  flags @4 :UInt32;
}

struct Smap {
  version @0 :UInt64;
  primaryId @1 :Text;
  uuid @2 :Text;
  nodes @3 :List(NodeInfo);
}

struct EcProps {
  enabled @0 :Bool;
  dataSlices @1 :UInt32;
  paritySlices @2 :UInt32;
  objSizeLimit @3 :UInt64;
}

struct BucketProps {
  checksumType @0 :Text;
  versioning @1 :Bool;
  fsync @2 :Bool;
  mirrorCopies @3 :UInt32;
  ec @4 :EcProps;
  createdNs @5 :Int64;
  owner @6 :Text;
  acl @7 :Text;
  cors @8 :Text;
  tags @9 :Text;
  # S3 object versioning: "" never enabled, "Enabled" (every write keeps the version it
  # replaces), "Suspended" (writes replace the "null" version; older ones stay).
  objectVersioning @10 :Text;
}

struct Bucket {
  name @0 :Text;
  props @1 :BucketProps;
}

struct Bmd {
  version @0 :UInt64;
  uuid @1 :Text;
  buckets @2 :List(Bucket);
}

struct ClusterConfig {
  version @0 :UInt64;
  keepaliveIntervalMs @1 :UInt32;
  keepaliveTimeoutMs @2 :UInt32;
  inlineMaxBytes @3 :UInt32;
  chunkBytes @4 :UInt32;
  # A target down this long leaves the Smap (placement moves to the others); 0: never.
  downGraceMs @5 :UInt32 = 120000;
}
