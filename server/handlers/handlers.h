// One handler per Kafka API family. Each decodes its request, does the work and replies.
#pragma once

#include "server/handlers/request_context.h"

namespace weir::handlers {

void api_versions(RequestContext& context, ReplyCallback done);
void metadata(RequestContext& context, ReplyCallback done);
void produce(RequestContext& context, ReplyCallback done);
void fetch(RequestContext& context, ReplyCallback done);
void list_offsets(RequestContext& context, ReplyCallback done);
void create_topics(RequestContext& context, ReplyCallback done);
void delete_topics(RequestContext& context, ReplyCallback done);
void delete_records(RequestContext& context, ReplyCallback done);
void init_producer_id(RequestContext& context, ReplyCallback done);
void describe_configs(RequestContext& context, ReplyCallback done);
void alter_configs(RequestContext& context, ReplyCallback done);
void incremental_alter_configs(RequestContext& context, ReplyCallback done);
void create_partitions(RequestContext& context, ReplyCallback done);
void describe_cluster(RequestContext& context, ReplyCallback done);
void describe_log_dirs(RequestContext& context, ReplyCallback done);

// The ApiVersions answer to a version newer than we know (KIP-511): a v0 body with
// UNSUPPORTED_VERSION and our ApiVersions range, so the client can retry lower.
Reply unsupported_api_versions_reply(std::int32_t correlation_id);

}  // namespace weir::handlers
