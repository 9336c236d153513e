// AIStore's shapes of /v1/cluster and /v1/daemon (its http_api document): the ?what= queries
// (smap, bmd, config, snode, stats, sysinfo, mountpaths, and the jobs' status, status_all,
// running_all, qryxstats) and the action messages PUT to /v1/cluster (membership, set-config,
// start and stop of jobs). docs/api.md has the table.
#pragma once

#include <string>

#include "node/gateway/gateway.h"
#include "node/gateway/http_server.h"
#include "node/gateway/s3_auth.h"
#include "node/gateway/url.h"
#include "proto/client.h"

namespace ais::gateway {

// GET /v1/daemon?what=W (wholeCluster false: this node) or /v1/cluster?what=W (every node). The
// job queries read their arguments from a JSON body ({"ID": ..., "Kind": ...}) or the query
// (id=, kind=).
void aisWhat(Gateway& gw, Exchange& ex, Client& c, const std::string& what, bool wholeCluster,
             const Query& q, const S3Auth& auth);

// PUT (or POST) /v1/cluster with {"action": A, ...}: start-maintenance, stop-maintenance,
// decommission-node (decommission), set-config, start, stop.
void aisClusterAction(Exchange& ex, Client& c, const S3Auth& auth);

// PUT /v1/cluster/set-config?KEY=VALUE&...: every pair set at once (meta/config_edit.h).
void setConfigFromQuery(Exchange& ex, Client& c, const Query& q);

}  // namespace ais::gateway
