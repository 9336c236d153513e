// AIStore's shapes of the native API (its http_api document), beside ours (docs/api.md has the
// table of both): JSON action messages on /v1/buckets[/B] and /v1/objects/B/NAME, bucket props in
// AIStore's JSON (HEAD's Ais-Bucket-Props header, set-bprops), and its Smap JSON (?what=smap).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "meta/bmd.h"
#include "meta/smap.h"
#include "node/gateway/http_server.h"
#include "node/gateway/s3_auth.h"
#include "node/gateway/url.h"
#include "proto/client.h"

namespace ais::gateway {

// The request carries a body to read as an action message (any method but PUT, which carries an
// object's bytes).
bool hasActionMessage(const Exchange& ex);
// /v1/buckets (bucket "") or /v1/buckets/B with an action message: list (GET), create-bck
// (POST), destroy-bck (DELETE), set-bprops and reset-bprops (PATCH), make-n-copies and ec-encode
// (POST, answer the job's id); anything else is a 400 naming those.
// copy-bck and move-bck (POST, the destination in ?bck_to=) answer the job's id; the source of a
// move is destroyed once the job has moved everything (a thread with a client to
// fabricEndpoint waits for it: Client::finishMove).
void bucketAction(Exchange& ex, Client& c, const std::string& bucket, const Query& q,
                  const std::string& fabricEndpoint, const S3Auth& auth);
// POST /v1/objects/B/NAME {"action": "rename", "name": NEW}.
void objectAction(Exchange& ex, Client& c, const std::string& bucket, const std::string& name,
                  const S3Auth& auth);
// AIStore's bucket props JSON (the Ais-Bucket-Props header of HEAD /v1/buckets/B).
nlohmann::json aisBucketProps(const meta::BucketProps& p);
// AIStore's snode JSON: one node of the Smap (daemon_id, daemon_type, public_net, ...).
nlohmann::json aisSnode(const meta::NodeInfo& n);
// AIStore's Smap JSON (GET /v1/daemon?what=smap, GET /v1/cluster?what=smap).
nlohmann::json aisSmap(const meta::Smap& smap);

}  // namespace ais::gateway
