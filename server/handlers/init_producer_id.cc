// InitProducerId (key 22): a fresh producer id for an idempotent producer. Transactions
// are not served, so a transactional id is refused.
#include "protocol/generated/init_producer_id_request.h"
#include "protocol/generated/init_producer_id_response.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"

namespace weir::handlers {

void init_producer_id(RequestContext& context, ReplyCallback done) {
  protocol::InitProducerIdRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  protocol::InitProducerIdResponse response;
  if (request.transactional_id) {
    // Without a transaction coordinator there is nothing to bind the id to; Java and
    // librdkafka treat this error as fatal, which stops a transactional producer at once
    // instead of letting it retry forever.
    response.error_code = protocol::code(protocol::ErrorCode::invalid_request);
    return done(encode_reply(context, response));
  }
  // Kafka gives a non-transactional producer a new id with epoch 0 every time, even when
  // it sends its current id and epoch (v3+) to bump the epoch: the new id fences nothing
  // and starts every partition's sequence afresh.
  std::int64_t producer_id = -1;
  const storage::StorageErrc error = context.services.store.allocate_producer_id(&producer_id);
  response.error_code = error_code_of(error);
  response.producer_id = error == storage::StorageErrc::ok ? producer_id : -1;
  response.producer_epoch = error == storage::StorageErrc::ok ? 0 : -1;
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
