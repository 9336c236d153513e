#include "node/archive/archive_writer.h"

#include <lz4frame.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

namespace ais::archive {
namespace {

constexpr size_t kTarBlock = 512;
constexpr size_t kStep = 256 * 1024;  // bytes read from a member's source per call

// v in octal, zero-padded to width - 1 digits and NUL-terminated (callers keep v in range).
void octal(char* field, size_t width, uint64_t v) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0; v >>= 3) field[i] = static_cast<char>('0' + (v & 7));
}

std::string ustar(const std::string& name, const std::string& prefix, uint64_t size, uint32_t mode,
                  int64_t mtimeSec, char type) {
  std::string h(kTarBlock, '\0');
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  octal(h.data() + 100, 8, mode & 07777);
  octal(h.data() + 108, 8, 0);
  octal(h.data() + 116, 8, 0);
  octal(h.data() + 124, 12, std::min<uint64_t>(size, 077777777777ULL));
  octal(h.data() + 136, 12, static_cast<uint64_t>(std::max<int64_t>(mtimeSec, 0)));
  h[156] = type;
  std::memcpy(h.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memcpy(h.data() + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  return h;
}

std::string blockPadded(std::string s) {
  s.resize((s.size() + kTarBlock - 1) / kTarBlock * kTarBlock, '\0');
  return s;
}

// "LEN key=value\n" where LEN counts the whole record, itself included.
std::string paxRecord(const std::string& key, const std::string& value) {
  size_t body = key.size() + value.size() + 3;
  size_t len = body + std::to_string(body).size();
  if (std::to_string(len).size() != std::to_string(body).size()) ++len;
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

// Feeds the member's source to `out` in steps, checking it gives exactly `size` bytes.
Status copySource(const std::string& name, uint64_t size, const ArchiveWriter::Source& source,
                  const std::function<Status(std::string_view)>& out) {
  std::string buf(kStep, '\0');
  uint64_t done = 0;
  for (;;) {
    auto n = source(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    done += *n;
    if (done > size) return Status(Code::kInvalidArgument, name + " grew while being archived");
    AIS_RETURN_IF_ERROR(out(std::string_view(buf.data(), *n)));
  }
  if (done != size) return Status(Code::kInvalidArgument, name + " shrank while being archived");
  return Status::OK();
}

// TAR into a byte sink (itself plain, or a compressor in front of the real sink).
class TarWriter : public ArchiveWriter {
 public:
  explicit TarWriter(Sink sink) : sink_(std::move(sink)) {}
  Status add(const std::string& name, uint64_t size, uint32_t mode, int64_t mtimeSec,
             const Source& source) override {
    AIS_RETURN_IF_ERROR(sink_(tarHeaders(name, size, mode, mtimeSec)));
    AIS_RETURN_IF_ERROR(copySource(name, size, source, sink_));
    size_t pad = static_cast<size_t>((kTarBlock - size % kTarBlock) % kTarBlock);
    return pad ? sink_(std::string(pad, '\0')) : Status::OK();
  }
  Status finish() override { return sink_(std::string(2 * kTarBlock, '\0')); }

 protected:
  Sink sink_;
};

class GzipSink {
 public:
  explicit GzipSink(ArchiveWriter::Sink out) : out_(std::move(out)) {
    ok_ = deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK;
  }
  ~GzipSink() { deflateEnd(&z_); }
  Status write(std::string_view in, int flush = Z_NO_FLUSH) {
    if (!ok_) return Status(Code::kInternal, "zlib deflateInit failed");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    std::string buf(kStep, '\0');
    int r;
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf.data());
      z_.avail_out = static_cast<uInt>(buf.size());
      r = deflate(&z_, flush);
      if (r == Z_STREAM_ERROR) return Status(Code::kInternal, "zlib deflate failed");
      size_t n = buf.size() - z_.avail_out;
      if (n) AIS_RETURN_IF_ERROR(out_(std::string_view(buf.data(), n)));
    } while (z_.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
    return Status::OK();
  }

 private:
  ArchiveWriter::Sink out_;
  z_stream z_{};
  bool ok_ = false;
};

class Lz4Sink {
 public:
  explicit Lz4Sink(ArchiveWriter::Sink out) : out_(std::move(out)) {
    ok_ = !LZ4F_isError(LZ4F_createCompressionContext(&ctx_, LZ4F_VERSION));
  }
  ~Lz4Sink() { LZ4F_freeCompressionContext(ctx_); }
  Status write(std::string_view in) {
    if (!ok_) return Status(Code::kInternal, "LZ4F context failed");
    if (!begun_) {
      std::string hdr(LZ4F_HEADER_SIZE_MAX, '\0');
      size_t n = LZ4F_compressBegin(ctx_, hdr.data(), hdr.size(), nullptr);
      if (LZ4F_isError(n)) return Status(Code::kInternal, LZ4F_getErrorName(n));
      AIS_RETURN_IF_ERROR(out_(std::string_view(hdr.data(), n)));
      begun_ = true;
    }
    for (size_t at = 0; at < in.size(); at += kStep) {
      size_t len = std::min(kStep, in.size() - at);
      std::string buf(LZ4F_compressBound(len, nullptr), '\0');
      size_t n = LZ4F_compressUpdate(ctx_, buf.data(), buf.size(), in.data() + at, len, nullptr);
      if (LZ4F_isError(n)) return Status(Code::kInternal, LZ4F_getErrorName(n));
      if (n) AIS_RETURN_IF_ERROR(out_(std::string_view(buf.data(), n)));
    }
    return Status::OK();
  }
  Status finish() {
    AIS_RETURN_IF_ERROR(write({}));
    std::string buf(LZ4F_compressBound(0, nullptr), '\0');
    size_t n = LZ4F_compressEnd(ctx_, buf.data(), buf.size(), nullptr);
    if (LZ4F_isError(n)) return Status(Code::kInternal, LZ4F_getErrorName(n));
    return out_(std::string_view(buf.data(), n));
  }

 private:
  ArchiveWriter::Sink out_;
  LZ4F_cctx* ctx_ = nullptr;
  bool ok_ = false, begun_ = false;
};

class TgzWriter final : public TarWriter {
 public:
  explicit TgzWriter(Sink sink)
      : TarWriter([this](std::string_view b) { return gz_.write(b); }), gz_(std::move(sink)) {}
  Status finish() override {
    AIS_RETURN_IF_ERROR(TarWriter::finish());
    return gz_.write({}, Z_FINISH);
  }

 private:
  GzipSink gz_;
};

class TarLz4Writer final : public TarWriter {
 public:
  explicit TarLz4Writer(Sink sink)
      : TarWriter([this](std::string_view b) { return lz_.write(b); }), lz_(std::move(sink)) {}
  Status finish() override {
    AIS_RETURN_IF_ERROR(TarWriter::finish());
    return lz_.finish();
  }

 private:
  Lz4Sink lz_;
};

void put16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v));
  s.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& s, uint32_t v) {
  put16(s, static_cast<uint16_t>(v));
  put16(s, static_cast<uint16_t>(v >> 16));
}
void put64(std::string& s, uint64_t v) {
  put32(s, static_cast<uint32_t>(v));
  put32(s, static_cast<uint32_t>(v >> 32));
}

// ZIP: each member deflated in memory first (its sizes and CRC go in its local header, so no data
// descriptors are needed), stored instead when deflate does not make it smaller; ZIP64 extra
// fields for every member (sizes and offsets of any size), as Info-ZIP reads them.
class ZipWriter final : public ArchiveWriter {
 public:
  explicit ZipWriter(Sink sink) : sink_(std::move(sink)) {}
  Status add(const std::string& name, uint64_t size, uint32_t mode, int64_t mtimeSec,
             const Source& source) override {
    std::string data;
    AIS_RETURN_IF_ERROR(copySource(name, size, source, [&](std::string_view b) {
      data.append(b);
      return Status::OK();
    }));
    uint32_t crc = 0;
    for (size_t at = 0; at < data.size(); at += UINT_MAX / 2) {
      size_t n = std::min<size_t>(data.size() - at, UINT_MAX / 2);
      crc = static_cast<uint32_t>(
          ::crc32(crc, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(n)));
    }
    std::string packed = deflated(data);
    bool stored = packed.size() >= data.size();
    const std::string& body = stored ? data : packed;
    Entry e{name, size,    body.size(), offset_, crc, static_cast<uint16_t>(stored ? 0 : 8),
            mode, mtimeSec};
    std::string local;
    put32(local, 0x04034b50);
    put16(local, 45);
    put16(local, 0x0800);  // UTF-8 names
    put16(local, e.method);
    dos(local, mtimeSec);
    put32(local, crc);
    put32(local, 0xffffffff);
    put32(local, 0xffffffff);
    put16(local, static_cast<uint16_t>(name.size()));
    put16(local, 20);
    local += name;
    put16(local, 0x0001);
    put16(local, 16);
    put64(local, size);
    put64(local, body.size());
    AIS_RETURN_IF_ERROR(sink_(local));
    AIS_RETURN_IF_ERROR(sink_(body));
    offset_ += local.size() + body.size();
    entries_.push_back(std::move(e));
    return Status::OK();
  }

  Status finish() override {
    std::string dir;
    for (const Entry& e : entries_) {
      put32(dir, 0x02014b50);
      put16(dir, 3 << 8 | 45);  // made by Unix, version 4.5
      put16(dir, 45);
      put16(dir, 0x0800);
      put16(dir, e.method);
      dos(dir, e.mtimeSec);
      put32(dir, e.crc);
      put32(dir, 0xffffffff);
      put32(dir, 0xffffffff);
      put16(dir, static_cast<uint16_t>(e.name.size()));
      put16(dir, 28);
      put16(dir, 0);
      put16(dir, 0);
      put16(dir, 0);
      put32(dir, (0100000u | (e.mode & 07777)) << 16);
      put32(dir, 0xffffffff);
      dir += e.name;
      put16(dir, 0x0001);
      put16(dir, 24);
      put64(dir, e.size);
      put64(dir, e.packed);
      put64(dir, e.offset);
    }
    uint64_t dirAt = offset_;
    std::string end;
    put32(end, 0x06064b50);  // ZIP64 end record
    put64(end, 44);
    put16(end, 45);
    put16(end, 45);
    put32(end, 0);
    put32(end, 0);
    put64(end, entries_.size());
    put64(end, entries_.size());
    put64(end, dir.size());
    put64(end, dirAt);
    put32(end, 0x07064b50);  // its locator
    put32(end, 0);
    put64(end, dirAt + dir.size());
    put32(end, 1);
    put32(end, 0x06054b50);
    put16(end, 0);
    put16(end, 0);
    put16(end, 0xffff);
    put16(end, 0xffff);
    put32(end, 0xffffffff);
    put32(end, 0xffffffff);
    put16(end, 0);
    AIS_RETURN_IF_ERROR(sink_(dir));
    return sink_(end);
  }

 private:
  struct Entry {
    std::string name;
    uint64_t size, packed, offset;
    uint32_t crc;
    uint16_t method;
    uint32_t mode;
    int64_t mtimeSec;
  };
  static void dos(std::string& s, int64_t t) {
    std::time_t tt = static_cast<std::time_t>(std::max<int64_t>(t, 315532800));  // >= 1980
    std::tm tm{};
    gmtime_r(&tt, &tm);
    put16(s, static_cast<uint16_t>(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2));
    put16(s, static_cast<uint16_t>((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday));
  }
  static std::string deflated(const std::string& in) {
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, in.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
  }
  Sink sink_;
  uint64_t offset_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace

std::string tarHeaders(const std::string& name, uint64_t size, uint32_t mode, int64_t mtimeSec,
                       char type) {
  std::string shortName = name, prefix;
  bool fits = name.size() <= 100;
  if (!fits && name.size() <= 256) {
    // ustar: split at a '/' so that the prefix is at most 155 bytes and the rest at most 100.
    for (size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1)) {
      if (slash <= 155 && name.size() - slash - 1 <= 100 && slash + 1 < name.size()) {
        prefix = name.substr(0, slash);
        shortName = name.substr(slash + 1);
        fits = true;
        break;
      }
    }
  }
  bool bigSize = size > 077777777777ULL;
  std::string out;
  if (!fits || bigSize) {
    std::string records;
    if (!fits) records += paxRecord("path", name);
    if (bigSize) records += paxRecord("size", std::to_string(size));
    out += ustar("PaxHeader", "", records.size(), 0644, mtimeSec, 'x');
    out += blockPadded(records);
    if (!fits) shortName = name.substr(0, 100), prefix.clear();
  }
  out += ustar(shortName, prefix, size, mode, mtimeSec, type);
  return out;
}

std::unique_ptr<ArchiveWriter> ArchiveWriter::make(Format format, Sink sink) {
  switch (format) {
    case Format::kTar:
      return std::make_unique<TarWriter>(std::move(sink));
    case Format::kTgz:
      return std::make_unique<TgzWriter>(std::move(sink));
    case Format::kTarLz4:
      return std::make_unique<TarLz4Writer>(std::move(sink));
    case Format::kZip:
      return std::make_unique<ZipWriter>(std::move(sink));
  }
  return nullptr;
}

}  // namespace ais::archive
